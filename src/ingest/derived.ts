// The derived tables (src/store/schema/derived.ts), brought up to date at the end of an ingest
// that changed something: segment summaries of the sources whose times a post pass changed (the
// writer summarised every new line as it stored it), then the incidents of the whole case, from
// fact tables and indexes only.
import type { Db } from '../store/db.js';
import { setMeta } from '../store/db.js';
import { materializeIncidents } from '../correlate/index.js';
import { LineStore } from '../store/lines.js';
import { addToSegment, type SegmentSummary } from '../store/writer.js';

export function refreshSegments(db: Db, sourceIds: Iterable<number>): void {
  const del = db.prepare(`DELETE FROM segments WHERE source_id = ?`);
  const ins = db.prepare(
    `INSERT INTO segments (source_id, boot_key, host, first_ms, last_ms, timed_lines, host_lines, kernel_lines) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const lines = new LineStore(db);
  db.transaction(() => {
    for (const id of sourceIds) {
      const segs = new Map<string | null, SegmentSummary>();
      for (const l of lines.range(id)) addToSegment(segs, l.boot_key, l.ts_utc_ms, l.host, l.program);
      del.run(id);
      for (const [bk, g] of segs) ins.run(id, bk, g.host, g.first_ms, g.last_ms, g.timed, g.hosted, g.kernel);
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
