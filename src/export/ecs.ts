// Export to NDJSON with Elastic Common Schema field names (ECS 8.x: @timestamp, host.name,
// process.pid, process.name, user.name, event.action, log.file.path, log.offset, message), so that
// a fleet's cases load into Elasticsearch/OpenSearch or Timesketch as they are. Fields ECS has no
// name for keep ours under `procforensics.*`. One object per line, nested as ECS documents are.
import type { Db } from '../store/db.js';
import { LineStore, type StoredLine } from '../store/lines.js';
import { eachIncident } from '../correlate/index.js';
import type { Incident } from '../correlate/types.js';

export type ExportWhat = 'events' | 'incidents' | 'all';

/** The ECS fields an exported document may carry (what the tests check every document against). */
export const ECS_FIELDS: readonly string[] = [
  '@timestamp', 'message', 'event.kind', 'event.action', 'event.reason', 'event.outcome', 'event.id',
  'host.name', 'process.pid', 'process.name', 'process.parent.pid', 'user.name', 'source.address',
  'log.file.path', 'log.offset', 'log.syslog.severity.code',
];

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Drops null and undefined members (ECS documents omit what is unknown). */
function compact<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (v === null || v === undefined) delete o[k];
    else if (typeof v === 'object' && !Array.isArray(v)) {
      compact(v as Record<string, unknown>);
      if (!Object.keys(v as object).length) delete o[k];
    }
  }
  return o;
}

export function eventDocument(l: StoredLine, pathOf: (id: number) => string): Record<string, unknown> {
  return compact({
    '@timestamp': iso(l.ts_utc_ms),
    message: l.message,
    event: { kind: 'event' },
    host: { name: l.host },
    process: { pid: l.pid, name: l.program },
    log: { file: { path: pathOf(l.source_id) }, offset: l.src_offset, syslog: l.severity !== null ? { severity: { code: l.severity } } : null },
    procforensics: { type: 'line', src_line: l.src_line, ts_quality: l.ts_quality, uptime_s: l.uptime_s, boot_key: l.boot_key, raw: l.raw !== l.message ? l.raw : null },
  });
}

export function incidentDocument(i: Incident): Record<string, unknown> {
  return compact({
    '@timestamp': i.time,
    message: i.summary,
    event: { kind: 'alert', id: i.id, action: i.cause, reason: i.summary, outcome: 'success' },
    host: { name: i.host },
    process: { pid: i.pid, name: i.comm },
    user: { name: i.actor.user },
    source: { address: i.actor.from_host },
    procforensics: { type: 'incident', incident: i },
  });
}

/** The documents of a case, one at a time: lines file by file, then the incidents newest first. */
export function* exportDocuments(db: Db, what: ExportWhat): Generator<Record<string, unknown>> {
  if (what !== 'incidents') {
    const paths = new Map((db.prepare(`SELECT id, path FROM sources`).all() as Array<{ id: number; path: string }>).map((r) => [r.id, r.path]));
    const pathOf = (id: number) => paths.get(id) ?? `source#${id}`;
    for (const l of new LineStore(db).all()) yield eventDocument(l, pathOf);
  }
  if (what !== 'events') for (const i of eachIncident(db, {})) yield incidentDocument(i);
}
