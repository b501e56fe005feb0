// Maps kernel uptime stamps to UTC. A boot's anchor is the offset (wall - uptime) seen on lines
// that carry both (kern.log with printk times). Lines that carry only an uptime (dmesg dumps)
// join an anchored boot when the same message at the same uptime is found in an anchored
// source; otherwise the user's --boot-time applies.
import type { Db } from '../store/db.js';
import type { PostPassOptions } from '../ingest/postpasses.js';

export function anchorUptimeEvents(db: Db, opts: PostPassOptions): void {
  db.prepare(`DELETE FROM boots`).run();
  // 1. Anchors from lines with both stamps, per source and boot segment. The lowest offsets are the
  //    least delayed readings (the daemon stamps when it reads); take the median of the lowest quarter.
  const groups = db
    .prepare(`SELECT source_id, boot_key, host, GROUP_CONCAT(ts_utc_ms - CAST(uptime_s * 1000 AS INTEGER)) AS offs, COUNT(*) AS n
              FROM boot_anchors GROUP BY source_id, boot_key`)
    .all() as Array<{ source_id: number; boot_key: string; host: string | null; offs: string; n: number }>;
  const insertBoot = db.prepare(`INSERT INTO boots (host, source_id, boot_key, boot_utc_ms, method, samples) VALUES (?, ?, ?, ?, ?, ?)`);
  for (const g of groups) {
    const offs = g.offs.split(',').map(Number).sort((a, b) => a - b);
    const low = offs.slice(0, Math.max(1, Math.ceil(offs.length / 4)));
    const boot = low[Math.floor(low.length / 2)];
    insertBoot.run(g.host, g.source_id, g.boot_key, boot, 'wall-clock and uptime on the same kernel lines', g.n);
  }
  const anchored = db.prepare(`SELECT source_id, boot_key, boot_utc_ms FROM boots`).all() as Array<{ source_id: number; boot_key: string; boot_utc_ms: number }>;
  const bootOf = new Map(anchored.map((b) => [`${b.source_id}|${b.boot_key}`, b.boot_utc_ms]));

  // 2. Segments with uptime-only lines: find a line with the same uptime and text in an anchored segment.
  const segs = db
    .prepare(`SELECT DISTINCT source_id, boot_key FROM events WHERE uptime_s IS NOT NULL AND ts_utc_ms IS NULL`)
    .all() as Array<{ source_id: number; boot_key: string | null }>;
  const findTwin = db.prepare(
    `SELECT b.source_id, b.boot_key FROM events e
       JOIN events t ON t.uptime_s = e.uptime_s AND t.message = e.message AND t.source_id <> e.source_id
       JOIN boot_anchors b ON b.source_id = t.source_id AND b.boot_key IS t.boot_key
     WHERE e.source_id = ? AND e.boot_key IS ? AND e.uptime_s > 1 LIMIT 1`,
  );
  const update = db.prepare(
    `UPDATE events SET ts_utc_ms = ? + CAST(uptime_s * 1000 AS INTEGER), ts_quality = 'uptime_anchored'
     WHERE source_id = ? AND boot_key IS ? AND uptime_s IS NOT NULL AND (ts_utc_ms IS NULL OR ts_quality = 'uptime_anchored')`,
  );
  const userBoot = parseBootTime(opts.bootTime);
  for (const s of segs) {
    const twin = findTwin.get(s.source_id, s.boot_key) as { source_id: number; boot_key: string } | undefined;
    let boot: number | undefined;
    let method = '';
    if (twin) {
      boot = bootOf.get(`${twin.source_id}|${twin.boot_key}`);
      method = `same kernel line found in anchored source ${twin.source_id}`;
    }
    if (boot === undefined && userBoot !== null) {
      boot = userBoot;
      method = 'boot time given with --boot-time';
    }
    if (boot === undefined) continue;
    insertBoot.run(null, s.source_id, s.boot_key, boot, method, 0);
    update.run(boot, s.source_id, s.boot_key);
  }
}

export function parseBootTime(v: string | null): number | null {
  if (!v) return null;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isFinite(t) && /([zZ]|[+-]\d\d:?\d\d)$/.test(v) ? t : null;
}
