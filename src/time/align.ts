// Local wall times without a zone or year (RHEL `secure`, `messages`) are checked against events
// of the same host whose instant is exact: an sshd login is logged by `sshd[PID]: Accepted …` in
// local time, and by the same PID in wtmp (USER_PROCESS) and in audit (USER_LOGIN) in epoch
// seconds. The difference between the two stamps of one login is the zone offset the host used
// (plus whole years, when the year was inferred from an mtime that a copy reset). When the pairs
// agree, the local source is shifted by that difference and the manifest says how it was found.
// This runs before uptime anchoring, so kernel lines in those files anchor on corrected times.
import type { Db } from '../store/db.js';
import type { PostPassOptions } from '../ingest/postpasses.js';
import { formatOffset } from './zone-inference.js';

const QUARTER_HOUR_MS = 15 * 60 * 1000;
const DAY_MS = 86400000;
/** How far apart the two stamps of one login may be once the offset is taken out. */
const PAIR_TOLERANCE_MS = 10000;

/** Tables whose rows carry a time copied from their line, shifted together with the events. */
const TIMED_FACT_TABLES = ['logins', 'commands', 'process_ends', 'services', 'audit_loss', 'boot_anchors'] as const;

interface Pair {
  source_id: number;
  t_local: number;
  t_exact: number;
}

export interface SourceShift {
  source_id: number;
  delta_ms: number;
  pairs: number;
  how: string;
}

/** Logins seen in a local-time source and again, by pid and user, in an exact source. */
function loginPairs(db: Db): Pair[] {
  return db
    .prepare(
      `WITH local AS (
         SELECT l.source_id, l.ts_utc_ms, l.pid, l.user FROM logins l
         JOIN sources s ON s.id = l.source_id
         WHERE l.kind IN ('ssh_accepted', 'session_opened') AND l.pid IS NOT NULL AND l.ts_utc_ms IS NOT NULL
           AND EXISTS (SELECT 1 FROM events e WHERE e.source_id = l.source_id AND e.src_line = l.src_line
                       AND e.ts_quality IN ('local_assumed', 'year_inferred'))
       ),
       exact AS (
         SELECT pid, user, ts_utc_ms FROM utmp_records WHERE type_name = 'USER_PROCESS' AND pid IS NOT NULL AND ts_utc_ms > 86400000
         UNION ALL
         SELECT l.pid, l.user, l.ts_utc_ms FROM logins l JOIN sources s ON s.id = l.source_id
         WHERE s.format = 'audit' AND l.kind IN ('audit_USER_LOGIN', 'audit_USER_START') AND l.pid IS NOT NULL
       )
       SELECT local.source_id, local.ts_utc_ms AS t_local, exact.ts_utc_ms AS t_exact
       FROM local JOIN exact ON exact.pid = local.pid AND (exact.user IS NULL OR local.user IS NULL OR exact.user = local.user)`,
    )
    .all() as Pair[];
}

/** The difference a pair supports, rounded to the quarter hour, or null if it is not one login. */
export function pairDelta(p: Pair): number | null {
  const d = p.t_local - p.t_exact;
  const rounded = Math.round(d / QUARTER_HOUR_MS) * QUARTER_HOUR_MS;
  return Math.abs(d - rounded) <= PAIR_TOLERANCE_MS ? rounded : null;
}

/** The delta most pairs of a source agree on, when at least two agree and they are the majority. */
export function consensus(deltas: number[]): { delta: number; support: number } | null {
  const counts = new Map<number, number>();
  for (const d of deltas) counts.set(d, (counts.get(d) ?? 0) + 1);
  let best: { delta: number; support: number } | null = null;
  for (const [delta, support] of counts) if (!best || support > best.support) best = { delta, support };
  if (!best || best.support < 2 || best.support * 2 <= deltas.length) return null;
  return best;
}

function describe(delta: number): string {
  const days = Math.round(delta / DAY_MS);
  const offset = delta - days * DAY_MS;
  const parts: string[] = [];
  if (offset) parts.push(`zone offset UTC${formatOffset(offset / 60000)}`);
  if (days) parts.push(`${days} day(s) of year correction`);
  return parts.join(' and ');
}

export function alignLocalSources(db: Db, _opts: PostPassOptions): SourceShift[] {
  const bySource = new Map<number, number[]>();
  for (const p of loginPairs(db)) {
    const d = pairDelta(p);
    if (d === null) continue;
    const list = bySource.get(p.source_id) ?? [];
    list.push(d);
    bySource.set(p.source_id, list);
  }
  const shifts: SourceShift[] = [];
  for (const [source_id, deltas] of bySource) {
    const c = consensus(deltas);
    if (!c || c.delta === 0) continue;
    shifts.push({
      source_id,
      delta_ms: c.delta,
      pairs: c.support,
      how: `shifted by ${describe(c.delta)}: ${c.support} of ${deltas.length} sshd logins found again by pid in wtmp/audit`,
    });
  }
  // Sources of the same hosts with local times but no login lines (messages, cron) take the
  // zone offset the paired sources agree on, not their year correction.
  const offsets = new Set(shifts.map((s) => s.delta_ms - Math.round(s.delta_ms / DAY_MS) * DAY_MS));
  if (offsets.size === 1 && shifts.length) {
    const offset = [...offsets][0];
    if (offset !== 0) {
      const paired = new Set(shifts.map((s) => s.source_id));
      const others = db
        .prepare(`SELECT DISTINCT source_id FROM events WHERE ts_quality = 'local_assumed'`)
        .all() as Array<{ source_id: number }>;
      for (const o of others) {
        if (paired.has(o.source_id)) continue;
        shifts.push({
          source_id: o.source_id,
          delta_ms: offset,
          pairs: 0,
          how: `shifted by zone offset UTC${formatOffset(offset / 60000)} found by pairing sshd logins of other files with wtmp/audit`,
        });
      }
    }
  }
  const shiftEvents = db.prepare(
    `UPDATE events SET ts_utc_ms = ts_utc_ms - ? WHERE source_id = ? AND ts_quality IN ('local_assumed', 'year_inferred') AND ts_utc_ms IS NOT NULL`,
  );
  const shiftFacts = TIMED_FACT_TABLES.map((t) =>
    db.prepare(
      `UPDATE ${t} SET ts_utc_ms = ts_utc_ms - ? WHERE source_id = ? AND ts_utc_ms IS NOT NULL AND src_line IN
         (SELECT src_line FROM events WHERE source_id = ? AND ts_quality IN ('local_assumed', 'year_inferred'))`,
    ),
  );
  const note = db.prepare(`UPDATE sources SET time_notes = coalesce(time_notes || '; ', '') || ? WHERE id = ?`);
  for (const s of shifts) {
    // Facts first: their subquery selects lines by quality, which the event update keeps.
    for (const st of shiftFacts) st.run(s.delta_ms, s.source_id, s.source_id);
    shiftEvents.run(s.delta_ms, s.source_id);
    note.run(s.how, s.source_id);
  }
  return shifts;
}
