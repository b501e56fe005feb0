// sshd authentication and connection lines (OpenSSH portable auth.c / packet.c, formats.md §6.5).
//
//   sshd[4713]: Accepted publickey for ubuntu from 192.168.252.1 port 57259 ssh2: RSA SHA256:aC3B0PYf…
//   sshd[16523]: Invalid user admin from 127.0.0.1 port 33968
//   sshd[16426]: Disconnected from user alice 127.0.0.1 port 44070
//   sshd[16520]: Connection closed by authenticating user root 127.0.0.1 port 33962 [preauth]
//
// The "user X" preamble of Disconnected/Connection closed exists since OpenSSH 7.5; older versions
// write the address alone, and some omit the port, so both are optional. pam_unix(sshd:…) lines
// are handled by pam.ts.
import type { EventRow, ParseOutput } from '../types.js';
import { int } from './common.js';

const AUTH = /^(Accepted|Failed|Partial|Postponed) (\S+) for (invalid user )?(.*?) from (\S+) port (\d+)(?: ssh\d?)?(?:: (.*))?$/;
const INVALID = /^Invalid user (.*?) from (\S+)(?: port (\d+))?$/;
/** Disconnected from / Connection closed by / Connection reset by, with the optional 7.5+ preamble. */
const ENDED = /^(Disconnected from|Connection closed by|Connection reset by) (?:(authenticating user|invalid user|user) (.*?) )?(\S+?)(?: port (\d+))?(?: \[preauth\])?$/;
const RECEIVED = /^Received disconnect from (\S+?)(?: port (\d+))?: ?(\d+): (.*?)(?: \[preauth\])?$/;

const AUTH_KIND: Readonly<Record<string, string>> = {
  Accepted: 'ssh_accepted',
  Failed: 'ssh_failed',
  Partial: 'ssh_partial',
  Postponed: 'ssh_postponed',
};

const ENDED_KIND: Readonly<Record<string, string>> = {
  'Disconnected from': 'ssh_disconnect',
  'Connection closed by': 'ssh_closed',
  'Connection reset by': 'ssh_reset',
};

export function extractSshd(ev: EventRow, out: ParseOutput): void {
  const msg = ev.message;
  const c = msg.charCodeAt(0);
  let m: RegExpExecArray | null;
  if (c === 65 /* A */ || c === 70 /* F */ || c === 80 /* P */) {
    if ((m = AUTH.exec(msg))) {
      out.fact('logins', {
        ts_utc_ms: ev.ts_utc_ms, host: ev.host,
        kind: AUTH_KIND[m[1]],
        user: m[4],
        pid: ev.pid,
        from_host: m[5],
        port: int(m[6]),
        service: 'sshd',
        method: m[2],
        result: m[1] === 'Accepted' ? 'success' : m[1] === 'Failed' ? 'failure' : m[1].toLowerCase(),
        detail: [m[3] ? 'invalid user' : null, m[7] ?? null].filter(Boolean).join('; ') || null,
      });
      return;
    }
  }
  if (c === 73 /* I */ && (m = INVALID.exec(msg))) {
    out.fact('logins', {
      ts_utc_ms: ev.ts_utc_ms, host: ev.host,
      kind: 'ssh_invalid_user',
      user: m[1],
      pid: ev.pid,
      from_host: m[2],
      port: int(m[3]),
      service: 'sshd',
      result: 'failure',
    });
    return;
  }
  if ((c === 68 /* D */ || c === 67) /* C */ && (m = ENDED.exec(msg))) {
    out.fact('logins', {
      ts_utc_ms: ev.ts_utc_ms, host: ev.host,
      kind: ENDED_KIND[m[1]],
      user: m[3] ?? null,
      pid: ev.pid,
      from_host: m[4],
      port: int(m[5]),
      service: 'sshd',
      detail: [m[2] ?? null, msg.endsWith('[preauth]') ? 'preauth' : null].filter(Boolean).join('; ') || null,
    });
    return;
  }
  if (c === 82 /* R */ && (m = RECEIVED.exec(msg))) {
    out.fact('logins', {
      ts_utc_ms: ev.ts_utc_ms, host: ev.host,
      kind: 'ssh_received_disconnect',
      pid: ev.pid,
      from_host: m[1],
      port: int(m[2]),
      service: 'sshd',
      result: m[3],
      detail: m[4],
    });
  }
}
