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
import type { Actor, Cause } from './types.js';
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

export function systemdCandidates(db: Db, ev: EvidenceResolver): Candidate[] {
  const out: Candidate[] = [];
  const stopRequest = db.prepare(
    `SELECT * FROM commands WHERE via IN ('sudo', 'execve', 'user_cmd') AND ts_utc_ms BETWEEN ? AND ? AND command LIKE ? ORDER BY ts_utc_ms DESC LIMIT 1`,
  );
  const stopping = db.prepare(
    `SELECT * FROM services WHERE unit = ? AND action IN ('stopping', 'stop') AND ts_utc_ms BETWEEN ? AND ? ORDER BY ts_utc_ms DESC LIMIT 1`,
  );
  const timedOut = db.prepare(
    `SELECT * FROM services WHERE unit = ? AND action = 'timeout' AND ts_utc_ms BETWEEN ? AND ? ORDER BY ts_utc_ms DESC LIMIT 1`,
  );
  const exitedNear = db.prepare(
    `SELECT * FROM services WHERE unit = ? AND action IN ('main_exited', 'failed') AND ts_utc_ms BETWEEN ? AND ? ORDER BY ts_utc_ms`,
  );
  // The main pid is not in `Main process exited` lines: the unit's process logs under its own name.
  const mainPid = db.prepare(
    `SELECT pid, program, source_id, src_line, ts_utc_ms FROM events WHERE program = ? AND pid IS NOT NULL AND ts_utc_ms BETWEEN ? AND ?
     AND (? IS NULL OR host IS NULL OR host = ?) ORDER BY ts_utc_ms DESC LIMIT 1`,
  );
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
      const p = mainPid.get(base, t - MAIN_PID_LOOKBACK_MS, t, s.host, s.host) as { pid: number; program: string; source_id: number; src_line: number } | undefined;
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
      out.push({
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
      });
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
    out.push({
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
    });
  }
  for (const e of db
    .prepare(`SELECT * FROM process_ends WHERE pid IS NOT NULL AND kind IN ('oomd_kill', 'earlyoom_kill', 'unit_killed', 'unit_timeout', 'unit_oom')`)
    .all() as ProcessEndRow[]) {
    const line = ev.line(e.source_id, e.src_line, { role: e.kind.replace('_', ' '), decisive: true });
    if (e.kind === 'oomd_kill' || e.kind === 'earlyoom_kill') {
      const oomd = e.kind === 'oomd_kill';
      out.push({
        cause: 'oom-kill',
        strength: 90,
        host: e.host,
        pid: e.pid!,
        comm: e.comm,
        time_ms: e.ts_utc_ms,
        boot: e.boot_key,
        signal: e.signal ?? 9,
        confidence: 'high',
        summary: `${oomd ? 'systemd-oomd' : 'earlyoom'} killed ${e.comm ?? 'the process'} (pid ${e.pid}) under memory pressure${e.cgroup ? ` in ${e.cgroup}` : ''}${e.detail ? `: ${e.detail}` : ''}`,
        actor: { ...emptyActor(oomd ? 'systemd' : 'unknown'), via: oomd ? 'systemd' : null, command: oomd ? 'systemd-oomd' : 'earlyoom' },
        evidence: [line],
        recommendations: ['lower the memory use of the unit or raise the pressure limit (ManagedOOMMemoryPressureLimit= / earlyoom -m)'],
        standalone: true,
      });
    } else if (e.kind === 'unit_oom') {
      out.push({
        cause: 'oom-kill', strength: 40, host: e.host, pid: e.pid!, comm: e.comm, time_ms: e.ts_utc_ms, signal: 9, confidence: 'medium',
        summary: `systemd: a process of ${e.unit ?? 'the unit'} was killed by the OOM killer`, actor: emptyActor('kernel'), evidence: [line], standalone: false,
      });
    } else {
      out.push({
        cause: 'systemd', strength: 75, host: e.host, pid: e.pid!, comm: e.comm, time_ms: e.ts_utc_ms, signal: e.signal, confidence: 'high',
        summary: `systemd killed ${e.comm ?? 'the process'} (pid ${e.pid})${e.unit ? ` of ${e.unit}` : ''}${e.kind === 'unit_timeout' ? ' after a stop timeout' : ''}`,
        actor: { ...emptyActor('systemd'), via: 'systemd' }, evidence: [line], standalone: true,
      });
    }
  }
  return out;
}
