// pam_unix session and authentication lines, whatever program logged them (sshd, sudo, su, cron,
// the systemd user manager, login…). Format from Linux-PAM pam_syslog: `module(service:type): `
// (formats.md §6.2):
//
//   CRON[16461]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)
//   sudo: pam_unix(sudo:session): session opened for user root(uid=0) by (uid=1001)
//   CRON[5523]: pam_unix(cron:session): session opened for user root by (uid=0)      (PAM < 1.4.0)
//   sshd[1234]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=10.0.0.9  user=root
//
// Very old PAM (RHEL 4 era) put the module in the tag instead: `sshd(pam_unix)[19939]: session
// opened for user test by (uid=509)`; index.ts passes those here with the service from the tag.
import type { EventRow, ParseOutput } from '../types.js';
import { int } from './common.js';

const PREFIX = /^pam_unix\(([^:)]+):(\w+)\): (.*)$/;
const OPENED = /^session opened for user (.+?)(?:\(uid=(\d+)\))? by (.*?)\(uid=(\d+)\)\s*$/;
const CLOSED = /^session closed for user (.+?)\s*$/;
const AUTHFAIL = /^authentication failure; logname=(\S*) uid=(\d+) euid=(\d+) tty=(\S*) ruser=(\S*) rhost=(\S*)(?:\s+user=(\S+))?/;

/** Lines that start with `pam_unix(`. */
export function extractPam(ev: EventRow, out: ParseOutput): void {
  const m = PREFIX.exec(ev.message);
  if (m) pamBody(ev, out, m[1], m[3]);
}

/** The text after the module prefix, with the PAM service it was logged for. */
export function pamBody(ev: EventRow, out: ParseOutput, service: string, text: string): void {
  let m: RegExpExecArray | null;
  if ((m = OPENED.exec(text))) {
    out.fact('logins', {
      ts_utc_ms: ev.ts_utc_ms, host: ev.host,
      kind: 'session_opened',
      user: m[1],
      uid: int(m[2]),
      pid: ev.pid,
      service,
      result: 'success',
      detail: `by ${m[3]}(uid=${m[4]})`,
    });
  } else if ((m = CLOSED.exec(text))) {
    out.fact('logins', { ts_utc_ms: ev.ts_utc_ms, host: ev.host, kind: 'session_closed', user: m[1], pid: ev.pid, service });
  } else if ((m = AUTHFAIL.exec(text))) {
    out.fact('logins', {
      ts_utc_ms: ev.ts_utc_ms, host: ev.host,
      kind: 'auth_failure',
      user: m[7] ?? (m[5] || null),
      uid: int(m[2]),
      pid: ev.pid,
      from_host: m[6] || null,
      tty: m[4] || null,
      service,
      result: 'failure',
      detail: m[1] ? `logname=${m[1]}` : null,
    });
  }
}
