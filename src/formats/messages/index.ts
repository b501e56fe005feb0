// Structured facts from the text of one log message (sshd, pam, logind, sudo, su, cron, systemd,
// oomd, earlyoom, coredump, kernel death lines…). Shared by every text format that carries
// program + message (syslog, journal exports, sudo's own log): they call `extractMessageFacts`
// once per stored event. Pure: it only calls `out.fact`.
//
// Cost: one Map lookup on the normalised program name picks the family; only that family's
// regexes run. Two cheap cross-program checks follow (a `pam_unix(` prefix, a `fork: ` substring),
// because PAM lines and shell fork failures come from many programs.
import type { EventRow, ParseOutput } from '../types.js';
import { extractCoredump } from './coredump.js';
import { extractCron } from './cron.js';
import { extractForkFailed, extractKernel } from './kernel.js';
import { extractLogind } from './logind.js';
import { extractEarlyoom, extractOomd } from './oomd.js';
import { extractPam, pamBody } from './pam.js';
import { extractSshd } from './sshd.js';
import { extractSu } from './su.js';
import { extractSudo } from './sudo.js';
import { extractSystemd } from './systemd.js';

export type MessageExtractor = (ev: EventRow, out: ParseOutput) => void;

/**
 * One entry per program family. Names are compared after normalisation: lower case, path
 * stripped (`/USR/SBIN/CROND` → `crond`), parentheses stripped (`(systemd)` → `systemd`).
 */
const EXTRACTORS: ReadonlyArray<{ programs: readonly string[]; extract: MessageExtractor }> = [
  { programs: ['sshd', 'sshd-session', 'sshd-auth'], extract: extractSshd },
  { programs: ['systemd-logind'], extract: extractLogind },
  { programs: ['sudo'], extract: extractSudo },
  { programs: ['su', 'runuser'], extract: extractSu },
  { programs: ['cron', 'crond'], extract: extractCron },
  { programs: ['systemd', 'init'], extract: extractSystemd },
  { programs: ['systemd-oomd'], extract: extractOomd },
  { programs: ['earlyoom'], extract: extractEarlyoom },
  { programs: ['systemd-coredump'], extract: extractCoredump },
  { programs: ['kernel', 'klogd'], extract: extractKernel },
];

const BY_PROGRAM: ReadonlyMap<string, MessageExtractor> = new Map(
  EXTRACTORS.flatMap((x) => x.programs.map((p) => [p, x.extract] as const)),
);

/** Raw tag → normalised name; tags repeat a lot, so each is normalised once. */
const normalised = new Map<string, string>();

function normalise(program: string): string {
  let n = normalised.get(program);
  if (n === undefined) {
    n = program.toLowerCase();
    const slash = n.lastIndexOf('/');
    if (slash >= 0) n = n.slice(slash + 1);
    if (n.startsWith('(') && n.endsWith(')')) n = n.slice(1, -1);
    if (normalised.size > 10000) normalised.clear();
    normalised.set(program, n);
  }
  return n;
}

/** RHEL 4-era PAM put the module in the tag: `sshd(pam_unix)[19939]: session opened for …`. */
const OLD_PAM_TAG = '(pam_unix)';

export function extractMessageFacts(ev: EventRow, out: ParseOutput): void {
  const program = ev.program;
  const msg = ev.message;
  if (program) {
    if (program.endsWith(OLD_PAM_TAG)) {
      pamBody(ev, out, program.slice(0, -OLD_PAM_TAG.length), msg);
      return;
    }
    const x = BY_PROGRAM.get(normalise(program));
    if (x) x(ev, out);
  }
  if (msg.charCodeAt(0) === 112 /* p */ && msg.startsWith('pam_unix(')) extractPam(ev, out);
  else if (msg.includes('fork: ')) extractForkFailed(ev, out);
}
