// The host went down under the process (formats.md §4.3, §1.11, §9): an orderly shutdown (wtmp
// runlevel 0/6 and shutdown records, audit SYSTEM_SHUTDOWN, systemd's shutdown lines; boots.ts)
// during which the init system signals every process left, a boot with no shutdown record since
// the previous boot (what `last -x` shows as "crash"), and kernel panic lines. Every process alive
// at that moment ended with the host; none of them was ended by a person.
//
//   wtmp: ut_type=BOOT_TIME user=reboot line=~ host=6.18.44 time=2026-11-21T21:06:00Z
//   Kernel panic - not syncing: System is deadlocked on memory
import type { Db } from '../store/db.js';
import type { Actor, EvidenceLine } from './types.js';
import { type Candidate, EvidenceResolver, emptyActor, iso, signalName } from './common.js';
import type { Boot, BootTimeline, ShutdownMarker } from './boots.js';

/** Causes an orderly shutdown explains better: nobody but the init system is known to have sent the signal. */
const SHUTDOWN_EXPLAINS: ReadonlySet<string> = new Set(['signal', 'systemd', 'unknown']);
/** pacct end times are begin (whole seconds) + elapsed: a kill at the shutdown's first record may read up to this early. */
const PACCT_SLACK_MS = 2_000;
/** Kills this long before the first shutdown record are probably its start (systemd writes wtmp late). */
const EARLY_MS = 60_000;

const KIND_WORDS: Readonly<Record<string, string>> = { reboot: 'rebooting', poweroff: 'powering off', halt: 'halting' };

function markerLine(ev: EvidenceResolver, m: ShutdownMarker, role: string, decisive: boolean): EvidenceLine {
  return ev.line(m.source_id, m.src_line, { role, decisive, ...(m.text ? { text: m.text } : {}), ts_utc_ms: m.ms });
}

function bootLine(ev: EvidenceResolver, b: Boot, role: string): EvidenceLine | null {
  const r = b.records.find((x) => x.source_id !== null && x.src_line !== null);
  if (!r) return null;
  const text = r.kind === 'wtmp' ? `wtmp: reboot (BOOT_TIME) at ${iso(r.ms)}` : undefined;
  return ev.line(r.source_id!, r.src_line!, { role, ...(text ? { text } : {}), ts_utc_ms: r.ms });
}

/**
 * A death during an orderly shutdown: from the shutdown's first record to the next boot every
 * process still running is signalled by the init system (SIGTERM, then SIGKILL). Returns the
 * host-down verdict that replaces a "signal from nobody knows" or a systemd stop, or null.
 */
export function shutdownVerdict(win: Candidate, tl: BootTimeline, ev: EvidenceResolver): Candidate | null {
  if (win.time_ms === null || !SHUTDOWN_EXPLAINS.has(win.cause)) return null;
  if (win.actor && (win.actor.kind === 'user' || win.actor.kind === 'cron')) return null;
  const s = tl.shutdownAt(win.time_ms, win.host, EARLY_MS);
  if (!s) return null;
  const bracketed = win.time_ms >= s.start_ms - PACCT_SLACK_MS;
  const kindWord = s.kind ? KIND_WORDS[s.kind] : null;
  const first = s.markers[0]!;
  // The record that shows the host going down at or before the death is decisive; else the first one.
  const coarse = win.evidence.some((e) => e.text.startsWith('pacct:'));
  const decisive = [...s.markers].reverse().find((m) => m.ms <= win.time_ms! + (coarse ? PACCT_SLACK_MS : 0)) ?? first;
  const evidence: EvidenceLine[] = [markerLine(ev, decisive, `the host was ${kindWord ?? 'shutting down'}: ${decisive.what}`, true)];
  if (decisive !== first) evidence.push(markerLine(ev, first, `first record of the shutdown: ${first.what}`, false));
  const shutdownRec = s.markers.find((m) => m.what === 'wtmp shutdown record' && m !== decisive && m !== first);
  if (shutdownRec) evidence.push(markerLine(ev, shutdownRec, 'shutdown record', false));
  if (s.next_boot) {
    const l = bootLine(ev, s.next_boot, 'next boot');
    if (l) evidence.push(l);
  }
  const req = s.markers.find((m) => m.requester && (m.requester.auid !== null || m.requester.exe))?.requester;
  const actor: Actor = { ...emptyActor('systemd'), via: s.systemd ? 'systemd' : null };
  let asked = '';
  if (req) {
    actor.auid = req.auid;
    actor.session = req.ses;
    actor.tty = req.tty;
    actor.user = req.user;
    actor.command = req.exe;
    asked = ` (requested with ${req.exe ?? 'a shutdown command'}${req.auid !== null ? ` by login uid ${req.user ?? req.auid}${req.ses !== null ? `, session ${req.ses}` : ''}` : ''}${req.tty ? ` on ${req.tty}` : ''})`;
  }
  const sig = win.signal !== null ? `killed by ${signalName(win.signal)}` : 'ended';
  const missing: string[] = [];
  if (!s.next_boot) missing.push('no later boot in the evidence: the shutdown is assumed to have completed');
  return {
    cause: 'host-down',
    strength: (win.strength ?? 0) + 1,
    host: win.host,
    pid: win.pid,
    comm: win.comm,
    time_ms: win.time_ms,
    start_ms: win.start_ms ?? null,
    boot: win.boot ?? null,
    signal: win.signal,
    confidence: bracketed && s.next_boot ? 'high' : 'medium',
    summary:
      `${win.comm ?? 'the process'} (pid ${win.pid}) was ${sig} while the host was ${kindWord ?? 'shutting down'}: ` +
      `an orderly shutdown began at ${iso(s.start_ms)}${asked}` +
      (s.next_boot ? ` and the host booted again at ${iso(s.next_boot.start_ms)}` : '') +
      (bracketed ? '' : `; the kill came ${Math.round((s.start_ms - win.time_ms) / 1000)} s before the first shutdown record`),
    actor,
    evidence,
    missing,
    alternatives: [],
    standalone: false,
  };
}

/**
 * A host-down explanation for a process last seen at `lastSeenMs` and never seen to end: the
 * host went down (crash boot, or an orderly shutdown) before the evidence shows it again.
 */
export function hostDownFor(
  ev: EvidenceResolver,
  tl: BootTimeline,
  pid: number,
  comm: string | null,
  host: string | null,
  lastSeenMs: number,
  lastLineBefore: (ms: number) => number | null,
): Candidate | null {
  const nb = tl.nextBootAfter(lastSeenMs, host);
  if (!nb) return null;
  // The first boot of the evidence has no known predecessor: clean or not is unknown.
  if (!nb.prev && !nb.shutdown) return null;
  const base = { cause: 'host-down' as const, strength: 50, host, pid, comm, signal: null, standalone: false };
  if (nb.shutdown) {
    const s = nb.shutdown;
    const first = s.markers[0]!;
    return {
      ...base,
      time_ms: s.start_ms,
      boot: nb.prev?.id ?? null,
      confidence: 'low',
      summary: `${comm ?? 'the process'} (pid ${pid}) was last seen at ${iso(lastSeenMs)} and nothing shows it ending before the orderly shutdown that began at ${iso(s.start_ms)}; it presumably ended with it`,
      actor: { ...emptyActor('systemd'), via: s.systemd ? 'systemd' : null },
      evidence: [markerLine(ev, first, `the host was shutting down: ${first.what}`, true)],
      missing: ['process accounting or audit would show whether it ended before the shutdown or was killed by it'],
    };
  }
  const last = lastLineBefore(nb.boot.start_ms);
  const close = last !== null && last - lastSeenMs <= 15 * 60_000;
  const boot = bootLine(ev, nb.boot, 'boot with no shutdown record before it (crash or power loss)');
  const evidence = boot ? [{ ...boot, decisive: true }] : [];
  return {
    ...base,
    time_ms: last ?? lastSeenMs,
    boot: nb.prev?.id ?? null,
    confidence: close ? 'medium' : 'low',
    summary:
      `${comm ?? 'the process'} (pid ${pid}) was still running, as far as the evidence shows, when the host went down without a clean shutdown` +
      `${last !== null ? ` (last log line ${iso(last)})` : ''}; the host booted again at ${iso(nb.boot.start_ms)}` +
      (close ? '' : `; it was last seen at ${iso(lastSeenMs)}, so it may have ended earlier`),
    actor: emptyActor('kernel'),
    evidence,
    missing: ['why the host went down: kernel panic lines rarely reach disk; look at pstore (/sys/fs/pstore), kdump or the hypervisor console'],
  };
}

const PANIC = /^Kernel panic - not syncing: (.*)$/;
const CPU = /^CPU: \d+ (?:UID: \d+ )?PID: (\d+) Comm: (\S+)/;

/** How far back from a panic its cause and the running task's line are looked for. */
const PANIC_LOOKBACK_LINES = 300;

/** What led to a panic, nearest first (formats.md §1.11; kernel/hung_task.c; lib/bug.c). */
const PANIC_CAUSES: ReadonlyArray<{ re: RegExp; say: (m: RegExpExecArray) => string }> = [
  { re: /^Out of memory and no killable processes/, say: () => 'the OOM killer found no process it could kill' },
  { re: /^Out of memory: (compulsory|system-wide) panic_on_oom is enabled/, say: (m) => `an OOM with vm.panic_on_oom=${m[1] === 'compulsory' ? '2' : '1'} (${m[1]}): the kernel panics instead of killing a process` },
  { re: /^out of memory(?: from page fault)?\. (Compulsory )?panic_on_oom is selected/, say: (m) => `an OOM with vm.panic_on_oom${m[1] ? '=2 (compulsory)' : '=1'}: the kernel panics instead of killing a process` },
  { re: /^INFO: task (\S+):(\d+) blocked for more than (\d+) seconds/, say: (m) => `a hung task: ${m[1]} (pid ${m[2]}) blocked for more than ${m[3]} s` },
  { re: /^(?:BUG: |kernel BUG at |Oops: |general protection fault)(.*)$/, say: (m) => `a kernel bug: ${m[0]!.slice(0, 120)}` },
  { re: /^(\S.{0,40}) invoked oom-killer:/, say: (m) => `${m[1]} invoked the OOM killer` },
];
const TASK_ROW = /^\[\s*(\d+)\]\s+-?\d+\s+\d+\s+(?:-?\d+\s+)+(\S.*)$/;

/**
 * Kernel panics, each one host-down incident: the task that was running (the `CPU: … PID: …
 * Comm:` line after the panic, else the one before it in the same report), what led to it (an
 * OOM with no killable process or panic_on_oom, a hung task, a BUG), and the processes the OOM
 * report's task table shows running.
 */
export function panicCandidates(db: Db, ev: EvidenceResolver): Candidate[] {
  const out: Candidate[] = [];
  for (const p of db
    .prepare(
      `SELECT e.source_id AS source_id, e.src_line AS src_line, e.ts_utc_ms AS ts_utc_ms, e.host AS host, e.boot_key AS boot_key, e.message AS message
       FROM notable_lines e WHERE e.kind = 'panic' AND e.program = 'kernel' AND e.message LIKE 'Kernel panic - not syncing:%'`,
    )
    .all() as Array<{ source_id: number; src_line: number; ts_utc_ms: number | null; host: string | null; boot_key: string | null; message: string }>) {
    const why = PANIC.exec(p.message)?.[1] ?? p.message;
    let pid: number | null = null;
    let comm: string | null = null;
    let cpuLine: number | null = null;
    for (const n of ev.lines.range(p.source_id, p.src_line + 1, p.src_line + 5)) {
      const m = CPU.exec(n.message);
      if (m) {
        pid = Number(m[1]);
        comm = m[2]!;
        cpuLine = n.src_line;
        break;
      }
    }
    // Before the panic: its cause, the report's CPU line, the task table (lines of the same boot).
    const before = [...ev.lines.range(p.source_id, Math.max(1, p.src_line - PANIC_LOOKBACK_LINES), p.src_line - 1)].filter(
      (l) => l.program === 'kernel' && (p.boot_key === null || l.boot_key === null || l.boot_key === p.boot_key),
    );
    let cause: { text: string; line: number } | null = null;
    const running = new Map<number, string>();
    for (let i = before.length - 1; i >= 0; i--) {
      const l = before[i]!;
      const msg = l.message.trim();
      if (!cause) {
        for (const c of PANIC_CAUSES) {
          const m = c.re.exec(msg);
          if (m) {
            cause = { text: c.say(m), line: l.src_line };
            break;
          }
        }
      }
      if (pid === null) {
        const m = CPU.exec(msg);
        if (m) {
          pid = Number(m[1]);
          comm = m[2]!;
          cpuLine = l.src_line;
        }
      }
      const t = TASK_ROW.exec(msg);
      if (t) running.set(Number(t[1]), t[2]!.trim());
      if (/^Kernel panic - not syncing:/.test(msg)) break; // an earlier panic: another boot's story
    }
    if (pid === null) continue;
    const names = [...running.entries()].map(([tp, name]) => `${name} (${tp})`);
    const summary =
      `kernel panic while ${comm} (pid ${pid}) was running: ${why}` +
      (cause && !why.includes(cause.text) ? `; before it, ${cause.text}` : '') +
      (names.length ? `; ${names.length} process(es) were running by the OOM report's task table: ${names.slice(0, 12).join(', ')}${names.length > 12 ? ', …' : ''}` : '');
    const evidence = [ev.line(p.source_id, p.src_line, { role: 'kernel panic', decisive: true })];
    if (cause) evidence.push(ev.line(p.source_id, cause.line, { role: `what led to the panic: ${cause.text}`, decisive: true }));
    if (cpuLine !== null) evidence.push(ev.line(p.source_id, cpuLine, { role: `the task running on that CPU: ${comm} (pid ${pid})` }));
    out.push({
      cause: 'host-down', strength: 80, host: p.host, pid, comm, time_ms: p.ts_utc_ms, boot: p.boot_key, signal: null, confidence: 'high',
      summary,
      actor: { ...emptyActor('kernel'), via: 'kernel' },
      evidence,
      recommendations: /panic_on_oom/.test(`${why} ${cause?.text ?? ''}`)
        ? ['vm.panic_on_oom turns every OOM into a host crash: set it to 0 unless a reboot is wanted, and give the host memory or limits']
        : [],
      standalone: true,
    });
  }
  return out;
}
