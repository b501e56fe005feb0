// systemd (pid 1 or a user manager) unit lifecycle and death lines (formats.md §6.7; strings of
// libsystemd-core v252, lower-case variants of v219/RHEL 7):
//
//   systemd[1]: mariadb.service: A process of this unit has been killed by the OOM killer.
//   systemd[1]: mariadb.service: Main process exited, code=killed, status=9/KILL
//   systemd[1]: mariadb.service: Failed with result 'oom-kill'.
//   systemd[1]: foo.service: State 'stop-sigterm' timed out. Killing.
//   systemd[1]: foo.service: Killing process 1234 (foo) with signal SIGKILL.
//   systemd[1]: Stopping Foo Daemon...   /  Stopped Foo Daemon.  /  Started foo.service - Foo Daemon.
//   systemd: tidb-4000.service: main process exited, code=killed, status=9/KILL          (v219)
//   systemd: Unit tidb-4000.service entered failed state.                                 (v219)
//
// Every recognised line gives a `services` row; lines that say a process died by a signal, by
// the OOM killer or on a stop timeout also give a `process_ends` row with the unit. Start/stop
// lines of v252 name the unit's description, not its id (the journal's UNIT= field has the id;
// journal parsers fill it in), so `unit` is null there and the description goes to `detail`.
import type { EventRow, FactRow, ParseOutput } from '../types.js';
import { signalNumber } from '../../lookups/signals.js';
import { int } from './common.js';

const UNIT_PREFIX = /^([\w@:.\\-]+\.(?:service|scope|slice|socket|timer|mount|target|path|swap|device|automount)): (.*)$/s;
const EXITED = /^(Main|Control) process exited, code=(\w+), status=(-?\d+)(?:\/(\w+))?/i;
const FAILED_RESULT = /^Failed with result '([^']+)'\.?/;
const TIMED_OUT = /^State '([^']+)' timed out\. (Killing|Terminating|Aborting|Skipping SIGKILL|Stopping)\.?/;
const KILLING = /^Killing process (\d+) \((.*)\) with signal SIG(\w+)\.?/;
const SCHEDULED = /^Scheduled restart job, restart counter is at (\d+)\.?/;
const CONSUMED = /^Consumed (.*?)\.?$/;
const OOMD_UNIT = /^systemd-oomd killed (\d+) process\(es\) in this unit\.?/;
const UNIT_FAILED_OLD = /^Unit (\S+) entered failed state\.?$/;
const UNIT_FAILED_219 = /^(\S+\.(?:service|scope|socket|timer|mount|path|swap)) failed\.$/;
const STARTED_NEW = /^(Started|Stopped|Finished|Starting|Stopping|Reloading|Reloaded) (\S+\.(?:service|scope|socket|timer|mount|target|path|swap|slice)) - (.*?)(?:\.\.\.|\.)?$/;
const LIFECYCLE = /^(Started|Stopped|Finished|Starting|Stopping|Reloading|Reloaded|Failed to start) (.*?)(?:\.\.\.|\.)?$/;

const ACTION: Readonly<Record<string, string>> = {
  Started: 'started',
  Stopped: 'stopped',
  Finished: 'finished',
  Starting: 'starting',
  Stopping: 'stopping',
  Reloading: 'reloading',
  Reloaded: 'reloaded',
  'Failed to start': 'failed',
};

/** The signal systemd sends when a stop times out, by the word that follows "timed out.". */
const TIMEOUT_SIGNAL: Readonly<Record<string, number | null>> = {
  Killing: 9,
  Terminating: 15,
  Aborting: 6,
  'Skipping SIGKILL': null,
  Stopping: null,
};

function svc(ev: EventRow, unit: string | null, action: string, extra: FactRow = {}): FactRow {
  // Built field by field: object spread costs more than the regex on hot paths.
  const row: FactRow = { ts_utc_ms: ev.ts_utc_ms, host: ev.host, unit, action };
  for (const k in extra) row[k] = extra[k];
  return row;
}

export function extractSystemd(ev: EventRow, out: ParseOutput): void {
  const msg = ev.message;
  const u = UNIT_PREFIX.exec(msg);
  if (!u) {
    unitless(ev, msg, out);
    return;
  }
  const unit = u[1];
  const rest = u[2];
  let m: RegExpExecArray | null;
  if ((m = EXITED.exec(rest))) {
    const code = m[2].toLowerCase();
    const signalled = code === 'killed' || code === 'dumped';
    const signal = signalled ? (signalNumber(m[4] ?? m[3]) ?? int(m[3])) : null;
    out.fact('services', svc(ev, unit, m[1].toLowerCase() === 'main' ? 'main_exited' : 'control_exited', {
      code,
      status: m[4] ? `${m[3]}/${m[4]}` : m[3],
      signal,
      result: code,
    }));
    if (signalled) {
      out.fact('process_ends', {
        ts_utc_ms: ev.ts_utc_ms, ts_quality: ev.ts_quality, host: ev.host, boot_key: ev.boot_key ?? null,
        kind: code === 'dumped' ? 'unit_dumped' : 'unit_killed',
        unit,
        signal,
        detail: `${m[1].toLowerCase()} process, code=${code}, status=${m[3]}${m[4] ? '/' + m[4] : ''}`,
      });
    }
    return;
  }
  if ((m = FAILED_RESULT.exec(rest))) {
    out.fact('services', svc(ev, unit, 'failed', { result: m[1] }));
    return;
  }
  if (rest.startsWith('A process of this unit has been killed by the OOM killer') || rest.startsWith('Process of control group was killed by the OOM killer')) {
    out.fact('services', svc(ev, unit, 'oom', { detail: rest }));
    out.fact('process_ends', { ts_utc_ms: ev.ts_utc_ms, ts_quality: ev.ts_quality, host: ev.host, boot_key: ev.boot_key ?? null, kind: 'unit_oom', unit, signal: 9, detail: rest });
    return;
  }
  if ((m = TIMED_OUT.exec(rest))) {
    const signal = TIMEOUT_SIGNAL[m[2]] ?? null;
    out.fact('services', svc(ev, unit, 'timeout', { status: m[1], signal, detail: rest }));
    out.fact('process_ends', { ts_utc_ms: ev.ts_utc_ms, ts_quality: ev.ts_quality, host: ev.host, boot_key: ev.boot_key ?? null, kind: 'unit_timeout', unit, signal, detail: `state ${m[1]} timed out; ${m[2]}` });
    return;
  }
  if ((m = KILLING.exec(rest))) {
    const signal = signalNumber(m[3]);
    out.fact('services', svc(ev, unit, 'killed', { pid: int(m[1]), signal, detail: rest }));
    out.fact('process_ends', { ts_utc_ms: ev.ts_utc_ms, ts_quality: ev.ts_quality, host: ev.host, boot_key: ev.boot_key ?? null, kind: 'systemd_kill', pid: int(m[1]), comm: m[2], unit, signal, detail: rest });
    return;
  }
  if ((m = OOMD_UNIT.exec(rest))) {
    out.fact('services', svc(ev, unit, 'oomd_kill', { detail: rest }));
    return;
  }
  if (rest.startsWith('Deactivated successfully') || rest.startsWith('Succeeded')) {
    out.fact('services', svc(ev, unit, 'deactivated'));
    return;
  }
  if ((m = SCHEDULED.exec(rest))) {
    out.fact('services', svc(ev, unit, 'restart_scheduled', { detail: `restart counter ${m[1]}` }));
    return;
  }
  if (rest.startsWith('Start request repeated too quickly')) {
    out.fact('services', svc(ev, unit, 'start_limit', { detail: rest }));
    return;
  }
  if ((m = CONSUMED.exec(rest))) {
    out.fact('services', svc(ev, unit, 'consumed', { detail: m[1] }));
    return;
  }
  if (rest.startsWith('Failed') || rest === 'Unit entered failed state.') {
    out.fact('services', svc(ev, unit, 'failed', { detail: rest }));
  }
}

function unitless(ev: EventRow, msg: string, out: ParseOutput): void {
  let m: RegExpExecArray | null;
  if ((m = STARTED_NEW.exec(msg))) {
    out.fact('services', svc(ev, m[2], ACTION[m[1]], { detail: m[3] }));
  } else if ((m = UNIT_FAILED_OLD.exec(msg)) || (m = UNIT_FAILED_219.exec(msg))) {
    out.fact('services', svc(ev, m[1], 'failed', { detail: msg }));
  } else if ((m = LIFECYCLE.exec(msg))) {
    // v219 `Stopping foo.service...` is not a description; recognise a bare unit id.
    const id = /^\S+\.(?:service|scope|socket|timer|mount|target|path|swap|slice)$/.test(m[2]) ? m[2] : null;
    out.fact('services', svc(ev, id, ACTION[m[1]], { detail: m[2] }));
  }
}
