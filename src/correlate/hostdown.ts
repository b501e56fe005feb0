// The host went down under the process (formats.md §4.3, §1.11, §9): wtmp `reboot` records with no
// `shutdown` record since the previous boot (what `last -x` shows as "crash"), and kernel panic lines.
// Every process alive at that moment ended with the host, none of them has a record of its own.
//
//   wtmp: ut_type=BOOT_TIME user=reboot line=~ host=6.18.44 time=2026-11-21T21:06:00Z
//   Kernel panic - not syncing: System is deadlocked on memory
import type { Db } from '../store/db.js';
import { type Candidate, EvidenceResolver, emptyActor, iso } from './common.js';

export interface HostDown {
  /** Boot that followed the unclean end. */
  boot_ms: number;
  /** Last thing the evidence shows before that boot. */
  last_seen_ms: number | null;
  clean: boolean;
  source_id: number;
  src_line: number;
}

interface UtmpRow {
  source_id: number;
  src_line: number;
  ts_utc_ms: number;
  ut_type: number | null;
  type_name: string | null;
  user: string | null;
}

/** Boots recorded in wtmp, each flagged clean when a shutdown record precedes it. */
export function hostDowns(db: Db): HostDown[] {
  const rows = db
    .prepare(
      `SELECT source_id, src_line, ts_utc_ms, ut_type, type_name, user FROM utmp_records
       WHERE ts_utc_ms IS NOT NULL AND (file_kind IS NULL OR file_kind IN ('wtmp', 'wtmpdb'))
       AND (ut_type IN (1, 2) OR type_name IN ('BOOT_TIME', 'RUN_LVL') OR user IN ('reboot', 'shutdown'))
       ORDER BY ts_utc_ms`,
    )
    .all() as UtmpRow[];
  const lastBefore = db.prepare(`SELECT MAX(ts_utc_ms) AS t FROM events WHERE ts_utc_ms < ? AND ts_utc_ms > ?`);
  const out: HostDown[] = [];
  let sawShutdown = true; // the first boot in the file has no known predecessor
  let prevBoot = 0;
  for (const r of rows) {
    const isBoot = r.ut_type === 2 || r.type_name === 'BOOT_TIME' || (r.user === 'reboot' && r.ut_type !== 1);
    const isShutdown = r.user === 'shutdown' || (r.ut_type === 1 && r.user === 'shutdown');
    if (isShutdown) sawShutdown = true;
    if (isBoot) {
      const last = (lastBefore.get(r.ts_utc_ms - 1000, prevBoot) as { t: number | null }).t;
      out.push({ boot_ms: r.ts_utc_ms, last_seen_ms: last, clean: sawShutdown, source_id: r.source_id, src_line: r.src_line });
      sawShutdown = false;
      prevBoot = r.ts_utc_ms;
    }
  }
  return out.filter((b, i) => i > 0 && !b.clean);
}

/** A host-down explanation for a process last seen at `lastSeenMs`, if the host went down after it. */
export function hostDownFor(
  db: Db,
  ev: EvidenceResolver,
  pid: number,
  comm: string | null,
  host: string | null,
  lastSeenMs: number,
  downs: HostDown[],
): Candidate | null {
  const d = downs.find((x) => x.boot_ms > lastSeenMs && (x.last_seen_ms === null || x.last_seen_ms >= lastSeenMs - 1000));
  if (!d) return null;
  return {
    cause: 'host-down',
    strength: 50,
    host,
    pid,
    comm,
    time_ms: d.last_seen_ms ?? lastSeenMs,
    signal: null,
    confidence: 'low',
    summary: `${comm ?? 'the process'} (pid ${pid}) was still running when the host went down without a clean shutdown; the host booted again at ${iso(d.boot_ms)}`,
    actor: emptyActor('kernel'),
    evidence: [ev.line(d.source_id, d.src_line, { role: 'boot with no shutdown record before it (crash or power loss)', decisive: true, text: `wtmp: reboot at ${iso(d.boot_ms)} with no shutdown record since the previous boot` })],
    missing: ['why the host went down: kernel panic lines rarely reach disk; look at pstore (/sys/fs/pstore), kdump or the hypervisor console'],
    standalone: false,
  };
}

const PANIC = /^Kernel panic - not syncing: (.*)$/;
const CPU = /^CPU: \d+ (?:UID: \d+ )?PID: (\d+) Comm: (\S+)/;

/** Kernel panics with the task that was running (the `CPU: … PID: … Comm:` line right after). */
export function panicCandidates(db: Db, ev: EvidenceResolver): Candidate[] {
  const out: Candidate[] = [];
  const next = db.prepare(`SELECT message FROM events WHERE source_id = ? AND src_line > ? AND src_line <= ? + 5 ORDER BY src_line`);
  for (const p of db
    .prepare(`SELECT source_id, src_line, ts_utc_ms, host, boot_key, message FROM events WHERE program = 'kernel' AND message LIKE 'Kernel panic - not syncing:%'`)
    .all() as Array<{ source_id: number; src_line: number; ts_utc_ms: number | null; host: string | null; boot_key: string | null; message: string }>) {
    const why = PANIC.exec(p.message)?.[1] ?? p.message;
    let pid: number | null = null;
    let comm: string | null = null;
    for (const n of next.all(p.source_id, p.src_line, p.src_line) as Array<{ message: string }>) {
      const m = CPU.exec(n.message);
      if (m) {
        pid = Number(m[1]);
        comm = m[2]!;
        break;
      }
    }
    if (pid === null) continue;
    out.push({
      cause: 'host-down', strength: 80, host: p.host, pid, comm, time_ms: p.ts_utc_ms, boot: p.boot_key, signal: null, confidence: 'high',
      summary: `kernel panic while ${comm} (pid ${pid}) was running: ${why}`,
      actor: { ...emptyActor('kernel'), via: 'kernel' },
      evidence: [ev.line(p.source_id, p.src_line, { role: 'kernel panic', decisive: true })],
      standalone: true,
    });
  }
  return out;
}
