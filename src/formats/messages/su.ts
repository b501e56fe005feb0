// su / runuser lines (formats.md §6.4):
//
//   su[4242]: (to root) alice on pts/0                      util-linux su (Debian ≥ 10, RHEL)
//   su[4242]: FAILED SU (to root) alice on pts/0
//   su[812]: Successful su for root by alice                shadow-utils su (Debian ≤ 9)
//   su[812]: FAILED su for root by alice
//   su[812]: + pts/0 alice:root                             shadow-utils with SYSLOG_SU_ENAB
//
// One logins row (kind 'su', user = who ran su, detail = target) and one commands row (via 'su')
// per switch, so both session and command views see it.
import type { EventRow, ParseOutput } from '../types.js';

const UTIL_LINUX = /^(FAILED SU |FAILED RUNUSER )?\(to (\S+)\) (.+?) on (\S+)$/;
const SHADOW = /^(Successful|FAILED) su for (\S+) by (\S+)$/;
const SHADOW_TTY = /^([+-]) (\S+) (\S+):(\S+)$/;

export function extractSu(ev: EventRow, out: ParseOutput): void {
  const msg = ev.message;
  let from: string, to: string, tty: string | null, ok: boolean;
  let m: RegExpExecArray | null;
  if ((m = UTIL_LINUX.exec(msg))) {
    from = m[3];
    to = m[2];
    tty = m[4] === 'none' ? null : m[4];
    ok = !m[1];
  } else if ((m = SHADOW.exec(msg))) {
    from = m[3];
    to = m[2];
    tty = null;
    ok = m[1] === 'Successful';
  } else if ((m = SHADOW_TTY.exec(msg))) {
    from = m[3];
    to = m[4];
    tty = m[2] === '???' ? null : m[2];
    ok = m[1] === '+';
  } else return;
  const result = ok ? 'success' : 'failure';
  out.fact('logins', { ts_utc_ms: ev.ts_utc_ms, host: ev.host, kind: 'su', user: from, pid: ev.pid, tty, service: ev.program, result, detail: `to ${to}` });
  out.fact('commands', { ts_utc_ms: ev.ts_utc_ms, ts_quality: ev.ts_quality, host: ev.host, via: 'su', user: from, run_as: to, pid: ev.pid, tty, result });
}
