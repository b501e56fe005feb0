// Local wall times without a zone (traditional syslog, dmesg -T) are converted with, in order:
// the user's --tz; else the UTC offsets the host itself wrote in RFC 3339 stamps (tz_offsets);
// else UTC, said out loud. Never the analyst machine's zone.
import type { Db } from '../store/db.js';
import type { AssumedOffset } from '../formats/types.js';

export function inferOffsetContext(db: Db): AssumedOffset | null {
  const rows = db
    .prepare(
      `SELECT offset_min, MIN(first_utc_ms) AS from_ms, MAX(last_utc_ms) AS to_ms, SUM(lines) AS n,
              GROUP_CONCAT(DISTINCT host) AS hosts
       FROM tz_offsets GROUP BY offset_min ORDER BY from_ms`,
    )
    .all() as Array<{ offset_min: number; from_ms: number; to_ms: number; n: number; hosts: string | null }>;
  if (!rows.length) return null;
  const best = rows.reduce((a, b) => (b.n > a.n ? b : a));
  const list = rows.map((r) => formatOffset(r.offset_min)).join(', ');
  return {
    minutes: best.offset_min,
    why: `UTC${formatOffset(best.offset_min)} inferred from RFC 3339 stamps written by host ${best.hosts ?? '?'} (offsets seen: ${list}); give --tz to override`,
    spans: rows.map((r) => ({ from_ms: r.from_ms, to_ms: r.to_ms, minutes: r.offset_min })),
  };
}

/** The offset to apply to a local time (wall clock read as UTC ms): the span nearest in time. */
export function offsetForLocal(a: AssumedOffset, localMs: number): number {
  if (a.spans.length <= 1) return a.minutes;
  let best = a.spans[0];
  let bestDist = Infinity;
  for (const s of a.spans) {
    const t = localMs - s.minutes * 60000;
    const dist = t < s.from_ms ? s.from_ms - t : t > s.to_ms ? t - s.to_ms : 0;
    if (dist < bestDist) {
      bestDist = dist;
      best = s;
    }
  }
  return best.minutes;
}

export function formatOffset(min: number): string {
  const sign = min < 0 ? '-' : '+';
  const a = Math.abs(min);
  return `${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}
