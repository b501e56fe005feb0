// The derived tables (src/store/schema/derived.ts), brought up to date at the end of an ingest
// that changed something: segment summaries of the sources whose times a post pass changed (the
// writer summarised every new line as it stored it), then the incidents of the whole case, from
// fact tables and indexes only.
import type { Db } from '../store/db.js';
import { setMeta } from '../store/db.js';
import { materializeIncidents } from '../correlate/index.js';

export function refreshSegments(db: Db, sourceIds: Iterable<number>): void {
  const del = db.prepare(`DELETE FROM segments WHERE source_id = ?`);
  const ins = db.prepare(
    `INSERT INTO segments (source_id, boot_key, host, first_ms, last_ms, timed_lines, host_lines, kernel_lines)
     SELECT source_id, boot_key, MAX(CASE WHEN ts_utc_ms IS NOT NULL THEN host END), MIN(ts_utc_ms), MAX(ts_utc_ms),
            COUNT(ts_utc_ms), COUNT(CASE WHEN ts_utc_ms IS NOT NULL THEN host END), COUNT(CASE WHEN program = 'kernel' THEN 1 END)
     FROM events WHERE source_id = ? GROUP BY boot_key`,
  );
  db.transaction(() => {
    for (const id of sourceIds) {
      del.run(id);
      ins.run(id);
    }
  })();
}

export function refreshDerived(db: Db, touched: Set<number>): void {
  refreshSegments(db, touched);
  db.transaction(() => {
    materializeIncidents(db);
    setMeta(db, 'derived_at', String(Date.now()));
  })();
}
