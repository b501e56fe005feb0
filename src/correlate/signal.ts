// Kills by a process: audit kill/tkill/tgkill records (table `signals`, one row per target; formats.md
// §3.5–3.6) traced back to a person: sender → login uid/session (auid/ses, §3.9) → the login
// (audit USER_LOGIN/USER_START, sshd "Accepted … from HOST") → the sudo command or the cron job that
// ran the kill. The actor is the login user (auid), not the uid the kill ran as (root under sudo).
//
//   type=SYSCALL msg=audit(1795297725.047:327): arch=c000003e syscall=62 success=yes exit=0 a0=4020 a1=9 … ppid=16429 pid=16430 auid=1001 uid=0 … tty=pts1 ses=21 comm="kill" exe="/usr/bin/kill" key="lab_signal"
//   type=OBJ_PID msg=audit(1795297725.047:327): opid=16416 oauid=-1 ouid=0 oses=-1 ocomm="ingest-daemon"
import type { Db } from '../store/db.js';
import type { Actor, EvidenceLine } from './types.js';
import { type Session, reconstructSessions, sessionsAt } from './sessions.js';
import { AUDIT_KILL_RULE, type Candidate, type LoginRow, EvidenceResolver, ROUTINE_SIGNALS, auditId, decodeAuditHex, emptyActor, iso, signalName } from './common.js';
import { signalNumber } from '../lookups/signals.js';
import { type PacctRow, pacctText } from './exit.js';

interface SignalRow {
  id: number;
  source_id: number;
  src_line: number;
  ts_utc_ms: number | null;
  host: string | null;
  audit_stamp: string | null;
  syscall: string | null;
  success: string | null;
  exit_code: number | null;
  sender_pid: number | null;
  sender_ppid: number | null;
  sender_comm: string | null;
  sender_exe: string | null;
  sender_uid: number | null;
  sender_user: string | null;
  sender_auid: number | null;
  sender_auser: string | null;
  sender_ses: number | null;
  sender_tty: string | null;
  sender_proctitle: string | null;
  target_pid: number | null;
  target_comm: string | null;
  signal: number | null;
  pid_arg?: number | null;
}

/** Programs that send a signal from an interactive screen (top's and htop's `k`), not a command line. */
const INTERACTIVE_SENDERS: ReadonlySet<string> = new Set(['top', 'htop', 'atop', 'btop', 'glances']);
/** A history line this long before the kill can be the command that sent it (top stays open for minutes). */
const HISTORY_LOOKBACK_MS = 30 * 60_000;

function victimMentioned(cmd: string, pid: number | null, comm: string | null): boolean {
  return (pid !== null && new RegExp(`(^|[^0-9])${pid}([^0-9]|$)`).test(cmd)) || (!!comm && cmd.includes(comm));
}

/** Kills of one sender this close together are one command (`kill -9 a b c`, `kill -- -PGID`). */
const SAME_COMMAND_MS = 1000;


interface CommandRow {
  source_id: number;
  host?: string | null;
  src_line: number;
  ts_utc_ms: number | null;
  via: string;
  user: string | null;
  run_as: string | null;
  auid: number | null;
  ses: number | null;
  pid: number | null;
  ppid: number | null;
  tty: string | null;
  command: string | null;
}


/** Signals whose default action is to ignore, stop or continue: SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG, SIGWINCH. */
const NEVER_FATAL: ReadonlySet<number> = new Set([17, 18, 19, 20, 21, 22, 23, 28]);

const CRON_RE = /cron/i;
const KILL_CMD = /\b(?:kill|pkill|killall|skill|systemctl\s+kill)\b/;

function mentions(cmd: string | null, pid: number, comm: string | null): number {
  if (!cmd) return 0;
  let s = 0;
  if (new RegExp(`(^|[^0-9])${pid}([^0-9]|$)`).test(cmd)) s += 2;
  if (comm && cmd.includes(comm)) s += 2;
  if (KILL_CMD.test(cmd)) s += 1;
  return s;
}

export class ActorResolver {
  private readonly loginsBySes;
  private readonly sshByUser;
  private readonly userByAuid;
  private readonly sudoNear;
  private readonly cronNear;
  private readonly pacctAt;
  private readonly byLoginPid;
  private sessions: Session[] | null = null;
  constructor(private readonly db: Db, private readonly ev: EvidenceResolver) {
    // sshd's audit USER_LOGIN says `id=1002`, its syslog line `Accepted … for carol`: the same sshd pid.
    this.byLoginPid = db.prepare(
      `SELECT * FROM logins WHERE pid = ? AND user IS NOT NULL AND user NOT LIKE '(%' AND (? IS NULL OR host IS NULL OR host = ?)
       AND ts_utc_ms BETWEEN ? AND ? ORDER BY (kind = 'ssh_accepted') DESC, ABS(ts_utc_ms - ?), id LIMIT 1`,
    );
    this.loginsBySes = db.prepare(
      `SELECT * FROM logins WHERE ses = ? AND (? IS NULL OR host IS NULL OR host = ?) AND (ts_utc_ms IS NULL OR ts_utc_ms <= ?)
       ORDER BY ts_utc_ms DESC, id LIMIT 50`,
    );
    this.sshByUser = db.prepare(
      `SELECT * FROM logins WHERE kind = 'ssh_accepted' AND user = ? AND (? IS NULL OR host IS NULL OR host = ?)
       AND ts_utc_ms BETWEEN ? AND ? ORDER BY ts_utc_ms DESC, id LIMIT 1`,
    );
    this.userByAuid = db.prepare(
      `SELECT user FROM logins WHERE (auid = ? OR uid = ?) AND user IS NOT NULL AND user NOT LIKE '(%' ORDER BY (auid = ?) DESC, id LIMIT 1`,
    );
    this.sudoNear = db.prepare(
      `SELECT * FROM commands WHERE via = 'sudo' AND ts_utc_ms BETWEEN ? AND ? AND (? IS NULL OR host IS NULL OR host = ?) ORDER BY ts_utc_ms DESC, id`,
    );
    this.cronNear = db.prepare(
      `SELECT * FROM commands WHERE via = 'cron' AND ts_utc_ms BETWEEN ? AND ? AND (? IS NULL OR host IS NULL OR host = ?) ORDER BY ts_utc_ms DESC, id`,
    );
    this.pacctAt = db.prepare(`SELECT comm FROM pacct_records WHERE pid = ? AND begin_utc_ms <= ? AND end_utc_ms >= ? LIMIT 1`);
  }

  userName(auid: number | null, named: string | null): string | null {
    if (named && named !== 'unset' && !/^\?/.test(named)) return named;
    if (auid === null) return null;
    const r = this.userByAuid.get(auid, auid, auid) as { user: string } | undefined;
    return r?.user ?? null;
  }

  /** Traces the sender of a signal to a person and the way the kill was run. */
  resolve(s: SignalRow, victimComm: string | null): { actor: Actor; evidence: EvidenceLine[]; notes: string[]; recommendations: string[] } {
    const t = s.ts_utc_ms ?? 0;
    const evidence: EvidenceLine[] = [];
    const notes: string[] = [];
    const recs: string[] = [];
    const auid = auditId(s.sender_auid);
    const ses = auditId(s.sender_ses);
    const actor: Actor = {
      ...emptyActor(auid !== null ? 'user' : 'unknown'),
      uid: s.sender_uid,
      auid,
      session: ses,
      // audit writes /dev/pts/1 as `pts1`; show it as the tty name every other log uses.
      tty: s.sender_tty && s.sender_tty !== '(none)' ? s.sender_tty.replace(/^pts(\d+)$/, 'pts/$1') : null,
      command: decodeAuditHex(s.sender_proctitle) ?? null,
      sender_pid: s.sender_pid,
      sender_comm: s.sender_comm,
      sender_exe: s.sender_exe,
    };
    actor.user = this.userName(auid, s.sender_auser);
    const victimPid = s.target_pid ?? 0;

    let cronSession = false;
    if (ses !== null) {
      const logins = this.loginsBySes.all(ses, s.host, s.host, t + 1000) as LoginRow[];
      // The record that opened the session is the one to cite, not the one that closed it.
      const opening = (l: LoginRow) => (/USER_LOGIN$/.test(l.kind) ? 0 : /USER_START$|LOGIN$/.test(l.kind) ? 1 : /END|LOGOUT|DISP/.test(l.kind) ? 3 : 2);
      logins.sort((a, b) => opening(a) - opening(b));
      const withHost = logins.find((l) => l.from_host && l.from_host !== '?');
      const main = withHost ?? logins.find((l) => /USER_LOGIN|USER_START|LOGIN/.test(l.kind)) ?? logins[0];
      cronSession = logins.some((l) => CRON_RE.test(`${l.tty ?? ''} ${l.service ?? ''} ${l.detail ?? ''}`));
      if (main) {
        if (!actor.user && main.user) actor.user = main.user;
        if (!actor.user && main.pid !== null && main.ts_utc_ms !== null) {
          const named = this.byLoginPid.get(main.pid, s.host, s.host, main.ts_utc_ms - 120_000, main.ts_utc_ms + 120_000, main.ts_utc_ms) as LoginRow | undefined;
          if (named?.user) {
            actor.user = named.user;
            if (!actor.from_host && named.from_host && named.from_host !== '?') actor.from_host = named.from_host;
            evidence.push(this.ev.line(named.source_id, named.src_line, { role: `${named.user} logged in (same login process ${main.pid})` }));
          }
        }
        if (main.from_host && main.from_host !== '?') actor.from_host = main.from_host;
        if (!actor.tty && main.tty && !/^(ssh|cron|\?)$/.test(main.tty)) actor.tty = main.tty.replace(/^\/dev\//, '');
        evidence.push(this.ev.line(main.source_id, main.src_line, { role: `login session ${ses}${cronSession ? ' (a cron job)' : ''}` }));
      }
    }
    // The sshd line of that login is cited too, even when audit already named the source address:
    // it is the line an analyst recognises ("Accepted publickey for alice from …").
    if (actor.user && !cronSession) {
      const ssh = this.sshByUser.get(actor.user, s.host, s.host, t - 12 * 3_600_000, t + 1000) as LoginRow | undefined;
      if (ssh?.from_host && (!actor.from_host || actor.from_host === ssh.from_host)) {
        actor.from_host = ssh.from_host;
        evidence.push(this.ev.line(ssh.source_id, ssh.src_line, { role: `${actor.user} logged in over ssh from ${ssh.from_host}` }));
      }
    }

    // wtmp: the login session of that user open at the time of the kill (tty, remote host).
    if (actor.user && !cronSession && (!actor.from_host || !actor.tty) && s.ts_utc_ms !== null) {
      this.sessions ??= reconstructSessions(this.db);
      const open = sessionsAt(this.db, s.ts_utc_ms, this.sessions).filter((x) => x.user === actor.user);
      const w = (actor.tty ? open.find((x) => x.tty === actor.tty || x.tty === actor.tty!.replace(/^pts(\d)/, 'pts/$1')) : undefined) ?? (open.length === 1 ? open[0] : undefined);
      if (w) {
        actor.from_host ??= w.from_host || w.addr || null;
        actor.tty ??= w.tty;
        const r = w.rows[0];
        if (r) evidence.push(this.ev.line(r.source_id, r.src_line, { role: `${w.user} logged in on ${w.tty}${w.from_host ? ` from ${w.from_host}` : ''} (wtmp)` }));
      }
    }

    // cron: the kill ran under a cron session, or a cron job around then ran a matching kill.
    const crons = (this.cronNear.all(t - 600_000, t + 1000, s.host, s.host) as CommandRow[])
      .map((c) => {
        let score = mentions(c.command, victimPid, victimComm);
        if (s.sender_ppid !== null && (c.pid === s.sender_ppid || (c.command ?? '').includes(`[${s.sender_ppid}]`))) score += 4;
        if (cronSession && c.ses !== null && c.ses === ses) score += 4;
        return { c, score };
      })
      .filter((x) => x.score >= (cronSession ? 1 : 3))
      .sort((a, b) => b.score - a.score);
    // sudo: a sudo command of this user shortly before the kill (or the sender's parent is sudo).
    const parentIsSudo =
      s.sender_ppid !== null && s.ts_utc_ms !== null && (this.pacctAt.get(s.sender_ppid, s.ts_utc_ms + 1000, s.ts_utc_ms - 1000) as { comm: string } | undefined)?.comm === 'sudo';
    const sudos = (this.sudoNear.all(t - 120_000, t + 2000, s.host, s.host) as CommandRow[])
      .map((c) => {
        let score = mentions(c.command, victimPid, victimComm);
        if (actor.user && c.user === actor.user) score += 2;
        if (auid !== null && c.auid === auid) score += 2;
        if (ses !== null && c.ses === ses) score += 2;
        if (s.sender_ppid !== null && c.pid === s.sender_ppid) score += 4;
        return { c, score };
      })
      .filter((x) => x.score >= 4)
      .sort((a, b) => b.score - a.score);

    if (cronSession || crons.length) {
      actor.kind = 'cron';
      actor.via = 'cron';
      const c = crons[0]?.c;
      if (c) {
        actor.command = (c.command ?? '').replace(/^\[\d+\]\s*/, '') || actor.command;
        if (!actor.user && c.user) actor.user = c.user;
        evidence.push(this.ev.line(c.source_id, c.src_line, { role: 'the cron job that ran the kill', decisive: true }));
        recs.push(`review the cron entry of ${c.user ?? actor.user ?? 'its owner'}: ${actor.command}`);
      } else {
        notes.push('the kill ran in a cron session, but the cron CMD line is not in the evidence (cron log rotated away or not collected)');
      }
    } else if (sudos.length || parentIsSudo || s.sender_comm === 'sudo') {
      actor.kind = 'user';
      actor.via = 'sudo';
      const c = sudos[0]?.c;
      if (c) {
        actor.command = c.command ?? actor.command;
        if (!actor.user && c.user) actor.user = c.user;
        if (!actor.tty && c.tty) actor.tty = c.tty;
        evidence.push(this.ev.line(c.source_id, c.src_line, { role: 'the sudo command', decisive: true }));
        // The same command as sudo logged it elsewhere (auth.log/secure as well as audit USER_CMD).
        const cited = new Set([c.source_id]);
        for (const o of sudos.slice(1)) {
          const sameRun = o.c.user === c.user && o.c.ts_utc_ms !== null && c.ts_utc_ms !== null && Math.abs(o.c.ts_utc_ms - c.ts_utc_ms) <= 5000;
          const sameText = o.c.command === c.command || (o.c.command ?? '').endsWith(` ${c.command ?? ''}`) || (o.c.command ?? '').endsWith(`/${c.command ?? ''}`);
          if (!sameRun || !sameText || cited.has(o.c.source_id)) continue;
          cited.add(o.c.source_id);
          evidence.push(this.ev.line(o.c.source_id, o.c.src_line, { role: 'the sudo command, as logged by sudo', decisive: true }));
        }
      } else {
        notes.push('the sender ran under sudo, but the sudo log line is not in the evidence');
      }
      if (actor.user) recs.push(`review what ${actor.user} may run through sudo (sudoers) and why this kill was run`);
    } else if (auid !== null) {
      actor.via = 'login-session';
    } else if (s.sender_comm === 'systemd' || s.sender_pid === 1) {
      actor.kind = 'systemd';
      actor.via = 'systemd';
    } else {
      notes.push(
        `the sender ${s.sender_comm ?? '?'} (pid ${s.sender_pid ?? '?'}, parent ${s.sender_ppid ?? '?'}) had no login uid: a daemon or boot-time service, not a login session`,
      );
    }
    if (actor.kind === 'user' && !actor.from_host && !actor.tty) notes.push('the login the sender belonged to is not in the evidence (wtmp/auth log/audit login records)');
    return { actor, evidence, notes, recommendations: recs };
  }
}

function numField(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string' || !/^-?\d+$/.test(v)) return null;
  return Number(v);
}

function objPid(fieldsJson: string): number | null {
  try {
    return numField((JSON.parse(fieldsJson) as Record<string, unknown>)['opid']);
  } catch {
    return null;
  }
}

/** Rows read per query: a monitoring agent's kill(pid, 0) probes fill a kill-audited log. */
const SIGNAL_PAGE = 5000;

/**
 * Every signal row that could have ended its target, a page at a time. The audit parser writes a
 * signals row for every kill syscall, with or without OBJ_PID (src/formats/audit.ts signalFacts):
 * nothing is parsed again here. kill(pid, 0) only probes: such rows are not read at all.
 */
function* signalRows(db: Db): Generator<SignalRow> {
  const page = db.prepare(
    `SELECT * FROM signals WHERE id > ? AND +target_pid > 0 AND (signal <> 0 OR (signal IS NULL AND syscall IS NOT NULL))
     ORDER BY id LIMIT ${SIGNAL_PAGE}`,
  );
  for (let last = 0; ; ) {
    const rows = page.all(last) as SignalRow[];
    if (!rows.length) return;
    last = rows[rows.length - 1]!.id;
    yield* rows;
  }
}

export function* signalCandidates(db: Db, ev: EvidenceResolver): Generator<Candidate> {
  const resolver = new ActorResolver(db, ev);
  // The audit parser emits a signal fact when the event's last record arrives (PROCTITLE, EOE):
  // the line to cite is the SYSCALL record, with the OBJ_PID that names this target.
  const eventRecords = db.prepare(
    `SELECT src_line, record_type, fields_json FROM audit_records WHERE source_id = ? AND audit_stamp = ? AND record_type IN ('SYSCALL', 'OBJ_PID')
     AND src_line BETWEEN ? - 64 AND ? ORDER BY src_line`,
  );
  const siblings = db.prepare(
    `SELECT DISTINCT target_pid, target_comm FROM signals WHERE sender_pid = ? AND success = 'yes' AND target_pid IS NOT NULL AND target_pid > 0
       AND target_pid <> ? AND ts_utc_ms BETWEEN ? AND ? AND (? IS NULL OR host IS NULL OR host = ?) ORDER BY target_pid LIMIT 50`,
  );
  const historyOf = db.prepare(
    `SELECT source_id, src_line, command, ts_utc_ms FROM commands WHERE via = 'history' AND user = ? AND ts_utc_ms BETWEEN ? AND ?
     ORDER BY ts_utc_ms DESC, src_line DESC LIMIT 10`,
  );
  for (const s of signalRows(db)) {
    // Default action ignore/stop/continue (signal(7)): such a signal cannot have ended the process.
    if (s.signal !== null && NEVER_FATAL.has(s.signal)) continue;
    // A process signalling itself: a shell re-raising the hang-up or interrupt it received, abort().
    const self = s.sender_pid !== null && s.sender_pid === s.target_pid;
    // A kill that failed is never the cause: ESRCH (-3) says the target was already gone, EPERM
    // (-1) that the signal was refused. It is shown as an attempt beside whatever did end it.
    const failed = s.success === 'no';
    const { actor, evidence, notes, recommendations } = resolver.resolve(s, s.target_comm);
    let syscallLine = s.src_line;
    let targetLine: number | null = null;
    if (s.audit_stamp !== null) {
      for (const r of eventRecords.all(s.source_id, s.audit_stamp, s.src_line, s.src_line) as Array<{ src_line: number; record_type: string; fields_json: string | null }>) {
        if (r.record_type === 'SYSCALL') syscallLine = r.src_line;
        else if (targetLine === null && r.fields_json && objPid(r.fields_json) === s.target_pid) targetLine = r.src_line;
      }
    }
    if (targetLine !== null && targetLine !== syscallLine) evidence.unshift(ev.line(s.source_id, targetLine, { role: `the target of the signal (OBJ_PID)` }));
    evidence.unshift(ev.line(s.source_id, syscallLine, { role: `the ${s.syscall ?? 'kill'} syscall (signal ${s.signal ?? '?'})`, decisive: true }));
    const sig = s.signal;
    const who =
      actor.via === 'cron'
        ? `a cron job of ${actor.user ?? '?'}`
        : actor.user
          ? `${actor.user}${actor.via === 'sudo' ? ' via sudo' : ''}${actor.from_host ? ` (logged in from ${actor.from_host})` : ''}`
          : `${s.sender_comm ?? 'an unknown process'} (pid ${s.sender_pid ?? '?'})`;
    const summary = self
      ? `${s.target_comm ?? s.sender_comm ?? 'the process'} (pid ${s.target_pid}) sent ${signalName(sig) ?? 'a signal'} to itself` +
        (sig !== null && ROUTINE_SIGNALS.has(sig) ? ' (a shell re-raises the hang-up or interrupt it received to end with that status)' : '') +
        (actor.user ? `; it ran in the login session of ${actor.user}` : '')
      : `${signalName(sig) ?? 'a signal'} sent to ${s.target_comm ?? 'pid'} ${s.target_comm ? `(pid ${s.target_pid})` : s.target_pid} by ${who}` +
      (actor.command ? `: ${actor.command}` : '');
    if (failed) {
      const why = s.exit_code === -1 ? 'EPERM (-1): not permitted, the signal was not delivered' : s.exit_code === -3 ? 'ESRCH (-3): no such process, it had already exited' : `error ${s.exit_code ?? '?'}`;
      evidence[0] = { ...evidence[0]!, decisive: false, role: `a kill attempt that failed: ${why}` };
      yield {
        cause: 'unknown',
        attempt: true,
        strength: 5,
        host: s.host,
        pid: s.target_pid!,
        comm: s.target_comm,
        time_ms: s.ts_utc_ms,
        signal: null,
        confidence: 'low',
        summary:
          `${who} tried to send ${signalName(sig) ?? 'a signal'} to ${s.target_comm ?? 'pid'} ${s.target_comm ? `(pid ${s.target_pid})` : s.target_pid} at ${iso(s.ts_utc_ms) ?? '?'}` +
          (actor.command ? ` (${actor.command})` : '') +
          `, but the syscall failed with ${why}; this attempt did not end the process`,
        actor,
        evidence,
        missing: [...notes, 'how the process ended is not shown by this attempt: process accounting (pacct), a kernel line or the end of its session would say'],
        standalone: false,
      };
      continue;
    }
    const missing = [...notes];
    // One command, several victims: a group kill reaches every member, a shell's `kill a b c` or
    // `kill $(…)` sends one syscall per pid from the same process.
    const group = s.pid_arg != null && s.pid_arg < -1 ? -s.pid_arg : null;
    if (group !== null) actor.process_group = group;
    const others =
      s.sender_pid !== null && s.ts_utc_ms !== null && !self
        ? (siblings.all(s.sender_pid, s.target_pid, s.ts_utc_ms - SAME_COMMAND_MS, s.ts_utc_ms + SAME_COMMAND_MS, s.host, s.host) as Array<{ target_pid: number; target_comm: string | null }>).map(
            (r) => ({ pid: r.target_pid, comm: r.target_comm }),
          )
        : [];
    let how = '';
    if (group !== null) how += `; it was a member of process group ${group}, which the kill was sent to (kill -- -${group})`;
    if (others.length) {
      how += `; the same ${group !== null ? 'kill' : 'command'} also killed ${others.map((o) => `${o.comm ?? '?'} (pid ${o.pid})`).join(', ')}`;
    }
    // The user's shell history (stamped with HISTTIMEFORMAT): the command typed before the kill.
    const typed =
      actor.user && s.ts_utc_ms !== null && actor.via !== 'cron'
        ? (historyOf.all(actor.user, s.ts_utc_ms - HISTORY_LOOKBACK_MS, s.ts_utc_ms + 1000) as Array<{ source_id: number; src_line: number; command: string; ts_utc_ms: number }>)
        : [];
    const sender = s.sender_comm ?? '';
    const hist =
      typed.find((h) => (victimMentioned(h.command, s.target_pid, s.target_comm) || KILL_CMD.test(h.command)) && h.command.length > 0) ??
      typed.find((h) => sender !== '' && h.command.split(/\s+/)[0]!.endsWith(sender));
    if (hist) {
      evidence.push(ev.line(hist.source_id, hist.src_line, { role: `${actor.user}'s shell history: the command typed before the signal` }));
    }
    if (s.sender_comm && INTERACTIVE_SENDERS.has(s.sender_comm) && actor.user) {
      how +=
        `; it was sent interactively from ${s.sender_comm} (its kill command)` +
        (hist ? `: ${actor.user}'s shell history shows only \`${hist.command}\`` : ', which no shell history records');
    }
    yield {
      ...(others.length ? { other_victims: others } : {}),
      cause: 'signal',
      strength: 85,
      host: s.host,
      pid: s.target_pid!,
      comm: s.target_comm ?? (self ? s.sender_comm : null),
      time_ms: s.ts_utc_ms,
      signal: sig,
      confidence: self ? 'medium' : actor.kind === 'unknown' ? 'medium' : 'high',
      summary: summary + how,
      actor,
      evidence,
      missing,
      recommendations: recommendations.length ? recommendations : [],
      standalone: !(self && sig !== null && ROUTINE_SIGNALS.has(sig)),
    };
  }
}

/** What a logged `kill` command line asks for: the signal and the pids it names. */
export interface KillRequest {
  signal: number;
  pids: number[];
  /** pkill/killall: process names, not pids. */
  names: string[];
}

/**
 * Parses a kill(1)/pkill(1)/killall(1) command line as sudo or cron logged it
 * (`/usr/bin/kill -9 4242`, `kill -s KILL 4242`, `pkill -f worker`). Negative numbers are process
 * groups (`kill -9 -4242`) and `-1` is every process: those are not read as a pid here.
 * Returns null for anything that is not a kill command.
 */
export function parseKillCommand(cmd: string | null): KillRequest | null {
  if (!cmd) return null;
  const words = cmd.trim().split(/\s+/);
  // `sudo` logs the command itself; a cron CMD may wrap it (`/bin/sh -c`) — only a plain first word is read.
  const tool = (words[0] ?? '').replace(/^.*\//, '');
  if (tool !== 'kill' && tool !== 'pkill' && tool !== 'killall') return null;
  let signal = 15; // the default of all three tools
  const pids: number[] = [];
  const names: string[] = [];
  for (let k = 1; k < words.length; k++) {
    const w = words[k]!;
    if (w === '-s' || w === '-n' || w === '--signal') {
      const n = signalNumber(words[++k] ?? '');
      if (n === null) return null;
      signal = n;
    } else if (/^--signal=/.test(w)) {
      const n = signalNumber(w.slice(9));
      if (n === null) return null;
      signal = n;
    } else if (/^-(\d+|[A-Za-z][A-Za-z0-9+-]*)$/.test(w) && signalNumber(w.slice(1)) !== null && pids.length === 0 && names.length === 0) {
      signal = signalNumber(w.slice(1))!;
    } else if (w === '-l' || w === '-L' || w === '--list' || w === '-0' || w === '-s0') {
      return null; // lists signals or only probes
    } else if (w.startsWith('-')) {
      continue; // pkill -f, killall -u …: options of the name match
    } else if (tool === 'kill' && /^\d+$/.test(w)) {
      pids.push(Number(w));
    } else if (tool !== 'kill') {
      names.push(w);
    }
  }
  if (!pids.length && !names.length) return null;
  return { signal, pids, names };
}

/** How far a logged kill command and a pacct death by the same signal may be apart. */
const LOGGED_KILL_MS = 3_000;

/**
 * Kills known only from the command that ran them (sudo or cron logged `kill -9 4242`), for hosts
 * without an audit kill rule. The command says what was asked, not that the signal was delivered or
 * ended the process: alone it is low; a pacct record of the pid dying of that very signal then makes
 * it medium (two independent sources, still no syscall record). pkill/killall name no pid, so they
 * only count where pacct shows a process of that name dying of the signal at that moment.
 */
export function loggedKillCandidates(db: Db, ev: EvidenceResolver): Candidate[] {
  // Only kill, pkill and killall commands can name a kill (parseKillCommand): a busy host logs a
  // million cron and sudo commands, a few of which are these.
  const cmds = db
    .prepare(`SELECT * FROM commands WHERE via IN ('sudo', 'cron') AND ts_utc_ms IS NOT NULL AND command LIKE '%kill%'`)
    .all() as CommandRow[];
  if (!cmds.length) return [];
  const resolver = new ActorResolver(db, ev);
  const pacctByPid = db.prepare(
    `SELECT * FROM pacct_records WHERE pid = ? AND end_utc_ms BETWEEN ? AND ? ORDER BY ABS(end_utc_ms - ?) LIMIT 1`,
  );
  const pacctByComm = db.prepare(`SELECT * FROM pacct_records WHERE end_utc_ms BETWEEN ? AND ? AND exit_signal = ?`);
  // The latest line the pid wrote in [lo, hi] that names its program.
  const lastLine = (pid: number, lo: number, hi: number) => {
    let best: { program: string | null; source_id: number; src_line: number; ts: number } | undefined;
    for (const l of ev.lines.ofPid(pid)) {
      const t = l.ts_utc_ms;
      if (t === null || t < lo || t > hi || l.program === null) continue;
      if (!best || t > best.ts) best = { program: l.program, source_id: l.source_id, src_line: l.src_line, ts: t };
    }
    return best;
  };
  const out: Candidate[] = [];
  for (const c of cmds) {
    // sudo logs `COMMAND=/usr/bin/kill -9 4242`; a cron CMD line may carry the job pid as `[123] …`.
    const req = parseKillCommand((c.command ?? '').replace(/^\[\d+\]\s*/, ''));
    if (!req) continue;
    const t = c.ts_utc_ms!;
    type Target = { pid: number; comm: string | null; pacct: { source_id: number; src_line: number; end_utc_ms: number; exit_signal: number | null; comm: string | null } | null };
    const targets: Target[] = [];
    for (const pid of req.pids) {
      if (pid <= 1) continue;
      const p = pacctByPid.get(pid, t - LOGGED_KILL_MS, t + LOGGED_KILL_MS, t) as Target['pacct'] | undefined;
      targets.push({ pid, comm: p?.comm ?? null, pacct: p && p.exit_signal === req.signal ? p : null });
    }
    if (req.names.length) {
      for (const p of pacctByComm.all(t - LOGGED_KILL_MS, t + LOGGED_KILL_MS, req.signal) as Array<NonNullable<Target['pacct']> & { pid: number }>) {
        if (p.comm && req.names.some((n) => n.slice(0, 15) === p.comm || n.endsWith(`/${p.comm}`))) targets.push({ pid: p.pid, comm: p.comm, pacct: p });
      }
    }
    for (const tg of targets) {
      if (req.names.length && !tg.pacct) continue;
      const pseudo: SignalRow = {
        id: 0, source_id: c.source_id, src_line: c.src_line, ts_utc_ms: t, host: c.host ?? null,
        audit_stamp: null, syscall: null, success: null, exit_code: null,
        sender_pid: null, sender_ppid: c.via === 'cron' ? c.pid : null, sender_comm: null, sender_exe: null, sender_uid: null,
        sender_user: c.run_as, sender_auid: c.auid, sender_auser: c.user, sender_ses: c.ses, sender_tty: c.tty,
        sender_proctitle: null, target_pid: tg.pid, target_comm: tg.comm, signal: req.signal,
      };
      // Without pacct, the name the pid last logged under (weak: the pid may have been reused since).
      const seen = tg.comm === null ? lastLine(tg.pid, t - 3_600_000, t + 1000) : undefined;
      if (seen?.program) pseudo.target_comm = seen.program;
      const { actor, evidence, notes, recommendations } = resolver.resolve(pseudo, pseudo.target_comm);
      if (seen?.program) evidence.push(ev.line(seen.source_id, seen.src_line, { role: `last line written by pid ${tg.pid} before the kill` }));
      if (c.via === 'sudo' && actor.via !== 'sudo') {
        // The command row itself is the sudo line: the resolver matched it by pid/user, this is a fallback.
        actor.kind = 'user';
        actor.via = 'sudo';
        actor.user ??= c.user;
        actor.command = c.command;
        evidence.unshift(ev.line(c.source_id, c.src_line, { role: 'the sudo command', decisive: true }));
      }
      if (tg.pacct) {
        evidence.push(
          ev.line(tg.pacct.source_id, tg.pacct.src_line, {
            role: `process accounting: pid ${tg.pid} ended by ${signalName(req.signal)}`, text: pacctText(tg.pacct as unknown as PacctRow), ts_utc_ms: tg.pacct.end_utc_ms,
          }),
        );
      }
      const who = actor.via === 'cron' ? `a cron job of ${actor.user ?? '?'}` : `${actor.user ?? c.user ?? '?'} via sudo${actor.from_host ? ` (logged in from ${actor.from_host})` : ''}`;
      out.push({
        cause: 'signal',
        strength: 60,
        host: pseudo.host,
        pid: tg.pid,
        comm: pseudo.target_comm,
        comm_weak: tg.comm === null,
        time_ms: t,
        signal: req.signal,
        confidence: tg.pacct ? 'medium' : 'low',
        summary:
          `${signalName(req.signal)} sent to ${pseudo.target_comm ?? 'pid'} ${pseudo.target_comm ? `(pid ${tg.pid})` : tg.pid} by ${who}: ${actor.command ?? c.command}` +
          (tg.pacct ? `; process accounting shows it ended by ${signalName(req.signal)} then` : '; nothing shows the process ended then'),
        actor,
        evidence,
        missing: [
          `no audit kill record: the kill is inferred from the logged command${tg.pacct ? ' and process accounting' : ''}, the syscall itself was not recorded; load \`${AUDIT_KILL_RULE}\` to record it`,
          ...notes,
        ],
        recommendations,
        // A command that names a pid is a disappearance only when something shows the process ended.
        standalone: tg.pacct !== null,
      });
    }
  }
  return out;
}
