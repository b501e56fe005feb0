// systemd-logind session lines (formats.md §6.6; strings of systemd-logind v252, and the newer
// quoted form with class and type):
//
//   systemd-logind[411]: New session 37 of user root.
//   systemd-logind[411]: Session 37 logged out. Waiting for processes to exit.
//   systemd-logind[411]: Removed session 37.
//   systemd-logind[411]: New session '5' of user 'alice' with class 'user' and type 'tty'.
//
// Greeter/background sessions are named c1, c2…: they are not audit session numbers, so `ses`
// stays null for them and the id goes to `detail`.
import type { EventRow, ParseOutput } from '../types.js';
import { int } from './common.js';

const NEW = /^New session '?([^' ]+)'? of user '?(.+?)'?(?: with class '(.*?)' and type '(.*?)')?\.$/;
const REMOVED = /^Removed session '?([^' ]+?)'?\.$/;
const LOGGED_OUT = /^Session '?([^' ]+?)'? logged out\. Waiting for processes to exit\.$/;

function sessionCols(id: string): { ses: number | null; detail: string } {
  return { ses: /^\d+$/.test(id) ? int(id) : null, detail: `session ${id}` };
}

export function extractLogind(ev: EventRow, out: ParseOutput): void {
  const msg = ev.message;
  let m: RegExpExecArray | null;
  if ((m = NEW.exec(msg))) {
    const s = sessionCols(m[1]);
    out.fact('logins', {
      ts_utc_ms: ev.ts_utc_ms, host: ev.host,
      kind: 'logind_new',
      user: m[2],
      ses: s.ses,
      service: 'systemd-logind',
      detail: m[3] ? `${s.detail}; class ${m[3]}; type ${m[4]}` : s.detail,
    });
  } else if ((m = REMOVED.exec(msg))) {
    out.fact('logins', { ts_utc_ms: ev.ts_utc_ms, host: ev.host, kind: 'logind_removed', ...sessionCols(m[1]), service: 'systemd-logind' });
  } else if ((m = LOGGED_OUT.exec(msg))) {
    out.fact('logins', { ts_utc_ms: ev.ts_utc_ms, host: ev.host, kind: 'logind_logout', ...sessionCols(m[1]), service: 'systemd-logind' });
  }
}
