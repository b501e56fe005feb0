// Structured facts from the text of one log message (sshd, pam, logind, sudo, su, cron, systemd,
// oomd, earlyoom, coredump, kernel death lines…). Shared by every text format that carries
// program + message (syslog, journal exports, sudo's own log): they call `extractMessageFacts`
// once per stored event. Pure: it only calls `out.fact`.
import type { EventRow, ParseOutput } from '../types.js';

export type MessageExtractor = (ev: EventRow, out: ParseOutput) => void;

/** One entry per program family; see the modules in this folder. */
const EXTRACTORS: ReadonlyArray<{ programs: RegExp; extract: MessageExtractor }> = [];

export function extractMessageFacts(ev: EventRow, out: ParseOutput): void {
  const prog = ev.program ?? '';
  for (const x of EXTRACTORS) if (x.programs.test(prog)) x.extract(ev, out);
}
