// systemd and userspace OOM daemons ending processes (formats.md §6.7, §6.8, §6.10).
//
//   foo.service: Main process exited, code=killed, status=9/KILL
//   foo.service: State 'stop-sigterm' timed out. Killing.
//   systemd-oomd[581]: Killed /user.slice/…/app.scope due to memory pressure for … being 86.80% > 50.00% for > 20s with reclaim activity
//
// A unit's main process that ends with code=killed says only that a signal ended it; it joins the
// incident another module found. systemd itself is the cause when it killed the process (stop
// timeout, leftover processes, a stop request: then who ran `systemctl stop` matters), and
// systemd-oomd / earlyoom are OOM kills without any kernel report.
import type { Db } from '../store/db.js';
import type { StoredLine } from '../store/lines.js';
import type { Actor, Cause, EvidenceLine } from './types.js';
import { type Candidate, type ProcessEndRow, EvidenceResolver, emptyActor, signalName } from './common.js';

interface ServiceRow {
  source_id: number;
  src_line: number;
  ts_utc_ms: number | null;
  host: string | null;
  unit: string | null;
  action: string;
  pid: number | null;
  result: string | null;
  code: string | null;
  status: string | null;
  signal: number | null;
  detail: string | null;
}

const SIGNAL_BY_NAME: Readonly<Record<string, number>> = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10, SEGV: 11, USR2: 12, PIPE: 13, ALRM: 14, TERM: 15,
};

/** `status=9/KILL` or `status=1/FAILURE`. */
function statusNumber(status: string | null): number | null {
  if (!status) return null;
  const m = /^(\d+)(?:\/(\w+))?/.exec(status);
  if (m) return Number(m[1]);
  const n = SIGNAL_BY_NAME[status.replace(/^SIG/, '')];
  return n ?? null;
}

/** How far back the unit's own log lines are searched for its main pid. */
const MAIN_PID_LOOKBACK_MS = 7 * 24 * 3_600_000;

/** `foo.service` → `foo`, `getty@tty1.service` → `getty`: the name its process logs under. */
function unitBase(unit: string | null): string | null {
  if (!unit || !unit.endsWith('.service')) return null;
  return unit.replace(/\.service$/, '').replace(/@.*$/, '') || null;
}

export function* systemdCandidates(db: Db, ev: EvidenceResolver): Generator<Candidate> {
  const stopRequest = db.prepare(
    `SELECT * FROM commands WHERE via IN ('sudo', 'execve', 'user_cmd') AND ts_utc_ms BETWEEN ? AND ? AND command LIKE ? ORDER BY ts_utc_ms DESC, id LIMIT 1`,
  );
  const stopping = db.prepare(
    `SELECT * FROM services WHERE unit = ? AND action IN ('stopping', 'stop') AND ts_utc_ms BETWEEN ? AND ? ORDER BY ts_utc_ms DESC, id LIMIT 1`,
  );
  const timedOut = db.prepare(
    `SELECT * FROM services WHERE unit = ? AND action = 'timeout' AND ts_utc_ms BETWEEN ? AND ? ORDER BY ts_utc_ms DESC, id LIMIT 1`,
  );
  const exitedNear = db.prepare(
    `SELECT * FROM services WHERE unit = ? AND action IN ('main_exited', 'failed') AND ts_utc_ms BETWEEN ? AND ? ORDER BY ts_utc_ms`,
  );
  // The main pid is not in `Main process exited` lines: the unit's process logs under its own name.
  // (the latest pid that logged under the unit's name before the exit).
  const mainPid = (program: string, lo: number, hi: number, host: string | null) => {
    const keep = (x: StoredLine) => x.program === program && x.pid !== null && (host === null || x.host === null || x.host === host);
    for (const l of ev.lines.byTime(lo, hi, 'desc', keep, { program })) {
      return { pid: l.pid!, program: l.program!, source_id: l.source_id, src_line: l.src_line };
    }
    return undefined;
  };
  for (const s of db
    .prepare(`SELECT * FROM services WHERE action IN ('main_exited', 'killed', 'timeout', 'oom', 'failed') ORDER BY ts_utc_ms`)
    .all() as ServiceRow[]) {
    const t = s.ts_utc_ms ?? 0;
    const n = s.signal ?? statusNumber(s.status);
    const code = s.code ?? (s.action === 'killed' ? 'killed' : null);
    if (s.action === 'failed' && s.result !== 'oom-kill') continue; // the main_exited line of the same death says more
    const line = ev.line(s.source_id, s.src_line, { role: `systemd: ${s.unit ?? 'unit'} ${s.action.replace('_', ' ')}`, decisive: s.action === 'killed' });
    const base = unitBase(s.unit);
    let pid = s.pid;
    let commWeak = false;
    let comm: string | null = s.action === 'killed' ? (/Killing process \d+ \((.*)\)/.exec(s.detail ?? '')?.[1] ?? null) : null;
    const extra = [];
    if (pid === null) {
      if (s.action === 'timeout' || !base || s.ts_utc_ms === null) continue; // the `Killing process N` line carries the pid
      const p = mainPid(base, t - MAIN_PID_LOOKBACK_MS, t, s.host);
      if (!p) continue;
      pid = p.pid;
      comm = p.program;
      commWeak = true;
      extra.push(ev.line(p.source_id, p.src_line, { role: `last line written by ${base}[${p.pid}], the unit's process` }));
    }
    const stop = s.unit ? (stopping.get(s.unit, t - 120_000, t) as ServiceRow | undefined) : undefined;
    const timeout = s.unit && s.action === 'killed' ? (timedOut.get(s.unit, t - 5_000, t + 1) as ServiceRow | undefined) : undefined;
    if (s.action === 'killed' || (stop && s.action !== 'oom')) {
      // systemd killed it (stop timeout, leftover process, a stop request): find who asked for the stop.
      const req = base ? (stopRequest.get(t - 180_000, t, `%systemctl%${base}%`) as (ServiceRow & { user: string | null; command: string | null; via: string; tty: string | null }) | undefined) : undefined;
      const actor: Actor = { ...emptyActor('systemd'), via: 'systemd' };
      const evidence = [line];
      if (timeout) evidence.unshift(ev.line(timeout.source_id, timeout.src_line, { role: 'the stop timed out (TimeoutStopSec=)', decisive: true }));
      if (stop) evidence.unshift(ev.line(stop.source_id, stop.src_line, { role: 'systemd began stopping the unit', decisive: !timeout && s.action !== 'killed' }));
      if (s.unit) for (const x of exitedNear.all(s.unit, t, t + 5_000) as ServiceRow[]) evidence.push(ev.line(x.source_id, x.src_line, { role: `systemd: ${s.unit} ${x.action.replace('_', ' ')}` }));
      evidence.push(...extra);
      if (req) {
        actor.kind = 'user';
        actor.user = req.user;
        actor.via = req.via === 'sudo' ? 'sudo' : 'systemd';
        actor.command = req.command;
        actor.tty = req.tty;
        evidence.push(ev.line(req.source_id, req.src_line, { role: 'the stop request', decisive: true }));
      }
      const what = `${comm ?? 'the main process'} (pid ${pid})${s.unit ? ` of ${s.unit}` : ''}`;
      yield {
        cause: 'systemd',
        strength: 72,
        host: s.host,
        pid,
        comm,
        comm_weak: commWeak,
        time_ms: s.ts_utc_ms,
        signal: code === 'killed' ? n : null,
        confidence: req || timeout ? 'high' : 'medium',
        summary:
          (s.action === 'killed'
            ? `systemd killed ${what} with ${signalName(n) ?? 'a signal'}${timeout ? ` after the stop timeout (${timeout.status ?? 'stop'} timed out)` : stop ? ' while stopping the unit' : ''}`
            : `systemd stopped ${s.unit ?? 'a unit'}; ${what} ended`) +
          (req ? `; the stop was requested by ${req.user ?? '?'}: ${req.command}` : ''),
        actor,
        evidence,
        missing: req || !stop ? [] : ['who asked systemd to stop the unit is not in the evidence (audit USER_CMD/execve rules or sudo log would show it)'],
        recommendations: timeout ? [`make ${base ?? 'the service'} handle SIGTERM within TimeoutStopSec=, or raise TimeoutStopSec= if it needs longer to stop`] : [],
        standalone: true,
      };
      continue;
    }
    let cause: Cause = 'exit';
    let strength = 25;
    if (s.action === 'oom' || s.result === 'oom-kill') {
      cause = 'oom-kill';
      strength = 40;
    } else if (code === 'dumped') {
      cause = 'crash';
      strength = 45;
    } else if (code === 'killed') {
      cause = 'signal';
      strength = 25;
    }
    const evidence = [line, ...extra];
    if (s.unit && s.action === 'main_exited') {
      for (const x of exitedNear.all(s.unit, t, t + 2_000) as ServiceRow[]) if (x.action === 'failed') evidence.push(ev.line(x.source_id, x.src_line, { role: `systemd: ${s.unit} failed` }));
    }
    yield {
      cause,
      strength,
      host: s.host,
      pid,
      comm,
      comm_weak: commWeak,
      time_ms: s.ts_utc_ms,
      signal: code === 'killed' || code === 'dumped' ? n : cause === 'oom-kill' ? 9 : null,
      confidence: 'low',
      summary:
        `main process${comm ? ` ${comm} (pid ${pid})` : ''} of ${s.unit ?? 'a unit'} ${code === 'exited' ? `exited with status ${s.status ?? '?'}` : cause === 'oom-kill' ? 'was killed by the OOM killer' : `ended: code=${code ?? '?'} status=${s.status ?? '?'}`}` +
        (cause === 'signal' ? `; systemd does not say who sent ${signalName(n) ?? 'the signal'}` : ''),
      actor: emptyActor(),
      evidence,
      // A unit whose main process was killed is a disappearance even when nothing says by whom.
      standalone: cause === 'exit' ? n !== null && n !== 0 && s.pid !== null : true,
    };
  }
  for (const e of db
    .prepare(`SELECT * FROM process_ends WHERE pid IS NOT NULL AND kind IN ('oomd_kill', 'earlyoom_kill', 'unit_killed', 'unit_timeout', 'unit_oom')`)
    .all() as ProcessEndRow[]) {
    const line = ev.line(e.source_id, e.src_line, { role: e.kind.replace('_', ' '), decisive: true });
    if (e.kind === 'oomd_kill' || e.kind === 'earlyoom_kill') {
      yield userspaceOomCandidate(db, ev, e, line);
    } else if (e.kind === 'unit_oom') {
      yield {
        cause: 'oom-kill', strength: 40, host: e.host, pid: e.pid!, comm: e.comm, time_ms: e.ts_utc_ms, signal: 9, confidence: 'medium',
        summary: `systemd: a process of ${e.unit ?? 'the unit'} was killed by the OOM killer`, actor: emptyActor('kernel'), evidence: [line], standalone: false,
      };
    } else {
      yield {
        cause: 'systemd', strength: 75, host: e.host, pid: e.pid!, comm: e.comm, time_ms: e.ts_utc_ms, signal: e.signal, confidence: 'high',
        summary: `systemd killed ${e.comm ?? 'the process'} (pid ${e.pid})${e.unit ? ` of ${e.unit}` : ''}${e.kind === 'unit_timeout' ? ' after a stop timeout' : ''}`,
        actor: { ...emptyActor('systemd'), via: 'systemd' }, evidence: [line], standalone: true,
      };
    }
  }
  yield* oomdScopeCandidates(db, ev);
}

interface KilledPacct {
  source_id: number;
  src_line: number;
  pid: number;
  uid: number | null;
  comm: string | null;
  end_utc_ms: number;
  begin_utc_ms: number | null;
  exit_signal: number;
}

/** The daemon that wrote a line: its pid and name, from the event the fact came from. */
function writerOf(ev: EvidenceResolver, e: { source_id: number; src_line: number }): { pid: number | null; program: string | null } {
  const r = ev.lines.at(e.source_id, e.src_line);
  return { pid: r?.pid ?? null, program: r?.program ?? null };
}

/** A pacct record ends within this of the oomd line (pacct end times are tick-rounded, the kill takes a moment). */
const OOMD_PACCT_MS = 2_000;

/**
 * earlyoom (or an oomd row that names a pid): the daemon's own line names the victim. earlyoom
 * sends SIGTERM first and, when the process does not exit in time, logs `escalating to SIGKILL
 * after N seconds` without repeating the pid; that line (before `process N exited`) makes it a kill
 * by SIGKILL at that instant.
 */
function userspaceOomCandidate(db: Db, ev: EvidenceResolver, e: ProcessEndRow, line: EvidenceLine): Candidate {
  const oomd = e.kind === 'oomd_kill';
  const daemon = oomd ? 'systemd-oomd' : 'earlyoom';
  const writer = writerOf(ev, e);
  let signal = e.signal ?? 9;
  let time = e.ts_utc_ms;
  const evidence = [line];
  if (!oomd && signal !== 9 && writer.pid !== null) {
    const after: Array<{ src_line: number; ts_utc_ms: number | null; message: string }> = [];
    for (const l of ev.lines.range(e.source_id, e.src_line + 1)) {
      if (l.program !== 'earlyoom' || l.pid !== writer.pid) continue;
      after.push(l);
      if (after.length >= 20) break;
    }
    for (const a of after) {
      if (a.message.startsWith('sending ') || a.message.startsWith('Killing process')) break; // the next victim
      if (a.message.startsWith('escalating to SIGKILL')) {
        signal = 9;
        time = a.ts_utc_ms ?? time;
        line.decisive = false;
        evidence.push(ev.line(e.source_id, a.src_line, { role: 'earlyoom escalated to SIGKILL: the process had not exited', decisive: true }));
      } else if (a.message.startsWith(`process ${e.pid} exited`) || a.message.startsWith(`process ${e.pid} did not exit`) || a.message.startsWith('kill failed')) {
        evidence.push(ev.line(e.source_id, a.src_line, { role: 'what earlyoom saw after the signal' }));
        break;
      }
    }
  }
  return {
    cause: 'oom-kill',
    strength: 90,
    host: e.host,
    pid: e.pid!,
    comm: e.comm,
    time_ms: time,
    boot: e.boot_key,
    signal,
    confidence: 'high',
    summary: `${daemon} killed ${e.comm ?? 'the process'} (pid ${e.pid}) with ${signalName(signal) ?? 'a signal'} under memory pressure${e.cgroup ? ` in ${e.cgroup}` : ''}${e.detail ? `: ${e.detail}` : ''}`,
    // earlyoom is neither the kernel nor systemd: the contract has no kind for a user-space OOM
    // daemon, so the kind stays unknown and the sender fields name it.
    actor: {
      ...emptyActor(oomd ? 'systemd' : 'unknown'),
      via: oomd ? 'systemd' : null,
      command: daemon,
      sender_pid: writer.pid,
      sender_comm: writer.program ?? daemon,
    },
    evidence,
    recommendations: [oomd ? 'lower the memory use of the unit or raise its pressure limit (ManagedOOMMemoryPressureLimit=)' : 'lower the memory use or adjust the earlyoom thresholds (earlyoom -m / -s, --prefer / --avoid)'],
    standalone: true,
  };
}

/**
 * systemd-oomd names the cgroup it killed, never a pid (formats.md §6.8): it SIGKILLs every
 * process of the cgroup. The processes are found in process accounting: records ended by SIGKILL
 * within 2 s of the oomd line, and, for a cgroup under `user-<uid>.slice`, of that uid. This ties
 * them to the cgroup by time and owner only (pacct has no cgroup), so the verdict is medium and
 * says so. Cause 'oom-kill' with actor systemd (via systemd, command systemd-oomd): a user-space OOM
 * kill is still a death from memory exhaustion, and systemd's oomd is the one that sent SIGKILL.
 * Without such records no per-process incident is made: a pid cannot be invented, and the oomd line
 * is then only context (the unit's `Failed with result 'oom-kill'` still says the scope died).
 */
function oomdScopeCandidates(db: Db, ev: EvidenceResolver): Candidate[] {
  const out: Candidate[] = [];
  const rows = db.prepare(`SELECT * FROM process_ends WHERE kind = 'oomd_kill' AND pid IS NULL AND ts_utc_ms IS NOT NULL`).all() as ProcessEndRow[];
  if (!rows.length) return out;
  const killed = db.prepare(
    `SELECT source_id, src_line, pid, uid, comm, end_utc_ms, begin_utc_ms, exit_signal FROM pacct_records
     WHERE exit_signal = 9 AND end_utc_ms BETWEEN ? AND ? ORDER BY end_utc_ms, src_line`,
  );
  const unitLines = db.prepare(
    `SELECT source_id, src_line, action FROM services WHERE unit = ? AND ts_utc_ms BETWEEN ? AND ? AND action IN ('failed', 'oomd_kill', 'killed', 'stopped') ORDER BY ts_utc_ms`,
  );
  for (const e of rows) {
    const t = e.ts_utc_ms!;
    const cgroup = e.cgroup ?? '';
    const uidM = /\/user-(\d+)\.slice\//.exec(cgroup);
    const sliceUid = uidM ? Number(uidM[1]) : null;
    const members = (killed.all(t - OOMD_PACCT_MS, t + OOMD_PACCT_MS) as KilledPacct[]).filter((p) => sliceUid === null || p.uid === sliceUid);
    if (!members.length) continue;
    const writer = writerOf(ev, e);
    const context = e.unit ? (unitLines.all(e.unit, t - 1000, t + 10_000) as Array<{ source_id: number; src_line: number; action: string }>) : [];
    for (const p of members) {
      const evidence = [
        ev.line(e.source_id, e.src_line, { role: 'systemd-oomd killed the cgroup', decisive: true }),
        ev.line(p.source_id, p.src_line, {
          role: `process accounting: pid ${p.pid} ended by SIGKILL at that moment`,
          text: `pacct: ${p.comm ?? '?'} pid ${p.pid} uid ${p.uid ?? '?'} ended ${new Date(p.end_utc_ms).toISOString()} signal 9 (SIGKILL)`,
          ts_utc_ms: p.end_utc_ms,
        }),
        ...context.map((x) => ev.line(x.source_id, x.src_line, { role: `systemd: ${e.unit} ${x.action}` })),
      ];
      out.push({
        cause: 'oom-kill',
        strength: 88,
        host: e.host,
        pid: p.pid,
        comm: p.comm,
        time_ms: t,
        start_ms: p.begin_utc_ms,
        boot: e.boot_key,
        signal: 9,
        confidence: 'medium',
        summary: `systemd-oomd killed ${e.unit ?? cgroup} (${e.detail ?? 'memory pressure'}); ${p.comm ?? 'the process'} (pid ${p.pid}) died of SIGKILL at that moment`,
        actor: { ...emptyActor('systemd'), via: 'systemd', command: 'systemd-oomd', sender_pid: writer.pid, sender_comm: writer.program ?? 'systemd-oomd' },
        evidence,
        missing: [
          `systemd-oomd names the cgroup ${cgroup}, not its processes: pid ${p.pid} is tied to it by process accounting (SIGKILL within ${OOMD_PACCT_MS / 1000} s${sliceUid !== null ? `, uid ${sliceUid} of the user slice` : ''}), not by cgroup membership; the journal's _SYSTEMD_CGROUP/_PID fields of the process would prove it`,
        ],
        recommendations: ['lower the memory use of the unit or raise its pressure limit (ManagedOOMMemoryPressureLimit=), or exclude it (ManagedOOMPreference=avoid)'],
        standalone: true,
      });
    }
  }
  return out;
}
