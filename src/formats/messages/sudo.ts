// sudo's log line, as sent to syslog and written to its own logfile (sudo 1.9 lib/eventlog/
// eventlog.c, formats.md §6.3):
//
//   sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/kill -9 16416
//   sudo:    alice : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls
//   sudo:      bob : command not allowed ; TTY=pts/1 ; PWD=/ ; USER=root ; COMMAND=/bin/sh
//
// The submitting user is right-aligned to 8 columns, then ` : `, then optional reasons (no `=`),
// then KEY=value items each followed by ` ; `, COMMAND last (its arguments may contain ` ; `, so
// it is taken whole). Exit logging may append ` ; EXIT=…` / ` ; SIGNAL=…`. Long lines continue as
// `user : (command continued) …`, which carry no new command.
import type { EventRow, FactRow, ParseOutput } from '../types.js';

const HEAD = /^\s*(\S+) : (.*)$/;
const TRAILER = / ; (EXIT|SIGNAL)=(\S+)$/;

export interface SudoLine {
  user: string;
  /** Reasons before the key/value items ('3 incorrect password attempts', 'command not allowed'). */
  reasons: string[];
  fields: Record<string, string>;
  command: string | null;
  exit: string | null;
}

/** Parses `user : [reason ; ]KEY=v ; … ; COMMAND=…`; null when it is not a sudo log line. */
export function parseSudoLine(text: string): SudoLine | null {
  const m = HEAD.exec(text);
  if (!m) return null;
  let rest = m[2];
  if (rest.startsWith('(command continued)')) return null;
  let command: string | null = null;
  let exit: string | null = null;
  const ci = rest.startsWith('COMMAND=') ? 0 : rest.indexOf(' ; COMMAND=');
  if (ci >= 0) {
    command = rest.slice(ci === 0 ? 8 : ci + 11);
    rest = ci === 0 ? '' : rest.slice(0, ci);
    const t = TRAILER.exec(command);
    if (t) {
      exit = `${t[1]}=${t[2]}`;
      command = command.slice(0, t.index);
    }
  }
  const reasons: string[] = [];
  const fields: Record<string, string> = {};
  for (const part of rest.split(' ; ')) {
    const p = part.replace(/ ;$/, '').trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    if (eq > 0 && /^[A-Z_]+$/.test(p.slice(0, eq))) fields[p.slice(0, eq)] = p.slice(eq + 1);
    else reasons.push(p);
  }
  if (command === null && !('USER' in fields) && !('TTY' in fields)) return null;
  return { user: m[1], reasons, fields, command, exit };
}

export function sudoCommandRow(ev: EventRow, s: SudoLine): FactRow {
  return {
    ts_utc_ms: ev.ts_utc_ms, ts_quality: ev.ts_quality, host: ev.host,
    via: 'sudo',
    user: s.user,
    run_as: s.fields.USER ?? null,
    pid: ev.pid,
    tty: s.fields.TTY ?? null,
    pwd: s.fields.PWD ?? null,
    command: s.command,
    result: s.reasons.length ? s.reasons.join('; ') : s.exit ? `allowed; ${s.exit}` : 'allowed',
  };
}

export function extractSudo(ev: EventRow, out: ParseOutput): void {
  const msg = ev.message;
  if (msg.startsWith('pam_')) return; // pam.ts
  const s = parseSudoLine(msg);
  if (s) out.fact('commands', sudoCommandRow(ev, s));
}

