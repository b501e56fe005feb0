// Hangup at logout. A job started in the background of a plain login session (no nohup, setsid
// or unit) belongs to the session: when the session ends, the kernel sends SIGHUP to the
// terminal's process group and the shell passes it to its jobs (bash: huponexit / SIGHUP on exit;
// tty_io.c tty_vhangup), and a job that does not handle SIGHUP dies of it. No kill syscall is
// involved, so audit has no record of a sender; what shows it:
//
//   pacct v3 record:  comm=log-shipper pid=26270 uid=1002 flags=AXSIG exit_signal=1 end=21:40:00
//   auth.log:         2026-12-01T16:40:00.787933-05:00 vm sshd[26258]: pam_unix(sshd:session): session closed for user bob
//   audit (optional): type=USER_END … ses=52 … and the job's own execve with auid=1002 ses=52
//
// The death is a hangup at logout when the record's SIGHUP ends within a moment of the close of a
// session of the same login (audit ses, else the same uid's user), and no kill syscall reached it.
import type { Db } from '../store/db.js';
import type { Actor } from './types.js';
import { type Candidate, EvidenceResolver, type LoginRow, emptyActor, iso } from './common.js';

const SIGHUP = 1;
const AXSIG = 0x10;
/** pacct stamps the end from a begin in whole seconds plus the elapsed ticks: up to a second early. */
const BEFORE_CLOSE_MS = 1500;
const AFTER_CLOSE_MS = 2500;
/** The session's own processes die of the same hangup: they are the session ending, not a victim of it. */
const SESSION_PROGRAMS: ReadonlySet<string> = new Set([
  'sshd', 'sshd-session', 'sudo', 'su', 'login', 'sftp-server', '(sd-pam)', 'systemd', 'screen', 'tmux', 'mosh-server',
]);
/** A shell is the session's own when a login program started it; a shell job (`bash -c …` put in the background) is a victim. */
const SHELLS: ReadonlySet<string> = new Set(['bash', 'sh', 'dash', 'zsh', 'ksh', 'mksh', 'fish', 'tcsh', 'csh']);
/** Login records that end a session. */
const CLOSE_KINDS = ['session_closed', 'audit_USER_END', 'ssh_disconnect', 'ssh_closed'] as const;
const PAGE = 2000;

interface PacctRow {
  id: number;
  source_id: number;
  src_line: number;
  comm: string | null;
  pid: number;
  uid: number | null;
  begin_utc_ms: number | null;
  end_utc_ms: number;
}


interface ExecRow {
  source_id: number;
  src_line: number;
  user: string | null;
  auid: number | null;
  ses: number | null;
  tty: string | null;
  command: string | null;
  host: string | null;
}

const known = (v: string | null | undefined): v is string => !!v && v !== '?' && !v.startsWith('(');

export function* hangupCandidates(db: Db, ev: EvidenceResolver): Generator<Candidate> {
  const page = db.prepare(
    `SELECT id, source_id, src_line, comm, pid, ppid, uid, begin_utc_ms, end_utc_ms FROM pacct_records
     WHERE exit_signal = ${SIGHUP} AND (flags IS NULL OR (flags & ${AXSIG}) != 0) AND end_utc_ms IS NOT NULL AND id > ? ORDER BY id LIMIT ${PAGE}`,
  );
  const parentAt = db.prepare(`SELECT comm FROM pacct_records WHERE pid = ? AND begin_utc_ms <= ? AND end_utc_ms >= ? LIMIT 1`);
  const loginShell = (r: PacctRow & { ppid: number | null }) => {
    if (r.ppid === 1) return false; // re-parented to init: its shell was gone, it was a job
    if (r.ppid === null) return true;
    const parent = parentAt.get(r.ppid, (r.begin_utc_ms ?? r.end_utc_ms) + 1000, r.end_utc_ms - 1000) as { comm: string | null } | undefined;
    return !parent || parent.comm === null || SESSION_PROGRAMS.has(parent.comm);
  };
  const killed = db.prepare(`SELECT 1 FROM signals WHERE target_pid = ? AND success = 'yes' AND ts_utc_ms BETWEEN ? AND ? LIMIT 1`);
  const exec = db.prepare(
    `SELECT source_id, src_line, user, auid, ses, tty, command, host FROM commands WHERE pid = ? AND via = 'execve' AND ts_utc_ms <= ? ORDER BY ts_utc_ms DESC LIMIT 1`,
  );
  const inList = CLOSE_KINDS.map((k) => `'${k}'`).join(', ');
  const closeBySes = db.prepare(
    `SELECT * FROM logins WHERE ses = ? AND kind IN (${inList}) AND ts_utc_ms BETWEEN ? AND ? ORDER BY ABS(ts_utc_ms - ?) LIMIT 1`,
  );
  const closeByUser = db.prepare(
    `SELECT * FROM logins WHERE kind IN (${inList}) AND user = ? AND ts_utc_ms BETWEEN ? AND ? ORDER BY ABS(ts_utc_ms - ?) LIMIT 1`,
  );
  const userOfUid = db.prepare(`SELECT user FROM logins WHERE (uid = ? OR auid = ?) AND user IS NOT NULL AND user NOT LIKE '(%' ORDER BY (auid = ?) DESC, id LIMIT 1`);
  const openingBySes = db.prepare(
    `SELECT * FROM logins WHERE ses = ? AND kind IN ('audit_USER_LOGIN', 'audit_USER_START', 'audit_LOGIN') AND ts_utc_ms <= ? ORDER BY (kind = 'audit_USER_LOGIN') DESC, ts_utc_ms DESC LIMIT 1`,
  );
  const sshOfPid = db.prepare(`SELECT * FROM logins WHERE pid = ? AND kind = 'ssh_accepted' AND ts_utc_ms <= ? ORDER BY ts_utc_ms DESC LIMIT 1`);
  const sshOfUser = db.prepare(
    `SELECT * FROM logins WHERE kind = 'ssh_accepted' AND user = ? AND ts_utc_ms BETWEEN ? AND ? ORDER BY ts_utc_ms DESC LIMIT 1`,
  );

  for (let last = 0; ; ) {
    const rows = page.all(last) as Array<PacctRow & { ppid: number | null }>;
    if (!rows.length) return;
    last = rows[rows.length - 1]!.id;
    for (const r of rows) {
      if (r.comm !== null && (SESSION_PROGRAMS.has(r.comm) || (SHELLS.has(r.comm) && loginShell(r)))) continue;
      const end = r.end_utc_ms;
      // A kill syscall that reached it explains the death (the signal module says by whom).
      if (killed.get(r.pid, end - 10_000, end + AFTER_CLOSE_MS)) continue;
      const x = exec.get(r.pid, end + AFTER_CLOSE_MS) as ExecRow | undefined;
      const ses = x?.ses ?? null;
      let close = ses !== null ? (closeBySes.get(ses, end - BEFORE_CLOSE_MS, end + AFTER_CLOSE_MS, end) as LoginRow | undefined) : undefined;
      let user = known(x?.user) ? x!.user : null;
      if (!user && r.uid !== null) user = (userOfUid.get(r.uid, r.uid, r.uid) as { user: string } | undefined)?.user ?? null;
      const bySession = !!close;
      if (!close && user) close = closeByUser.get(user, end - BEFORE_CLOSE_MS, end + AFTER_CLOSE_MS, end) as LoginRow | undefined;
      if (!close) continue;
      user ??= known(close.user) ? close.user : null;

      const actor: Actor = { ...emptyActor('user'), user, uid: r.uid, auid: x?.auid ?? close.auid ?? null, session: ses ?? close.ses ?? null, via: 'session-hangup' };
      actor.command = x?.command ?? null;
      const evidence = [
        ev.line(r.source_id, r.src_line, { role: 'process accounting: killed by SIGHUP', decisive: true, ts_utc_ms: end }),
        ev.line(close.source_id, close.src_line, { role: `${user ?? 'the user'}'s session ended`, decisive: true }),
      ];
      if (x) evidence.push(ev.line(x.source_id, x.src_line, { role: `started in that session (audit session ${ses ?? '?'})` }));
      // Where the session came from: audit's login record of the session, the sshd line of its login.
      const opening = actor.session !== null ? (openingBySes.get(actor.session, end) as LoginRow | undefined) : undefined;
      if (opening) {
        if (known(opening.from_host)) actor.from_host = opening.from_host;
        if (known(opening.tty) && !/^(ssh|cron)$/.test(opening.tty)) actor.tty = opening.tty.replace(/^\/dev\//, '');
      }
      const ssh =
        (close.pid !== null ? (sshOfPid.get(close.pid, end) as LoginRow | undefined) : undefined) ??
        (user ? (sshOfUser.get(user, (r.begin_utc_ms ?? end) - 12 * 3_600_000, end) as LoginRow | undefined) : undefined);
      if (ssh) {
        if (known(ssh.from_host)) actor.from_host ??= ssh.from_host;
        evidence.push(ev.line(ssh.source_id, ssh.src_line, { role: `${user ?? 'the user'} logged in${ssh.from_host ? ` from ${ssh.from_host}` : ''}` }));
      }
      if (!actor.tty && x?.tty && x.tty !== '(none)') actor.tty = x.tty.replace(/^pts(\d+)$/, 'pts/$1');

      const where = [actor.from_host ? `from ${actor.from_host}` : null, actor.tty ? `on ${actor.tty}` : null].filter(Boolean).join(' ');
      const missing: string[] = [];
      if (!bySession) {
        missing.push(
          'no audit record ties the process to that session (its execve with the session id): it is matched by user and time only; with auditd recording execve, the session would be certain',
        );
      }
      yield {
        cause: 'signal',
        strength: 55,
        host: close.host ?? x?.host ?? null,
        pid: r.pid,
        comm: r.comm,
        time_ms: close.ts_utc_ms,
        start_ms: r.begin_utc_ms,
        signal: SIGHUP,
        confidence: bySession ? 'high' : 'medium',
        summary:
          `${r.comm ?? 'the process'} (pid ${r.pid}) died of SIGHUP when ${user ?? 'its user'}'s login session${where ? ` ${where}` : ''} ended at ${iso(close.ts_utc_ms)}: ` +
          'it ran in that session without nohup or setsid, so the hangup at logout killed it',
        actor,
        evidence,
        missing,
        alternatives: ['No kill syscall aimed at it is recorded: nobody sent the SIGHUP by hand; it came from the end of the session.'],
        recommendations: [
          'start jobs that must outlive the login with nohup or setsid, as a systemd unit (systemd-run, a service), or keep the user manager running with loginctl enable-linger',
        ],
        standalone: true,
      };
    }
  }
}
