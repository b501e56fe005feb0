// The public API of procforensics. The CLI is a thin layer over these functions.
import { LineStore } from './store/lines.js';
import type { Db } from './store/db.js';
import type { IngestOptions, IngestResult } from './ingest/ingest.js';
import { ZoneConverter } from './time/civil.js';
export { CaseBusyError, ResourceError, UsageError } from './errors.js';
export type { IngestOptions, IngestResult, IngestProgress, SourceSummary } from './ingest/ingest.js';

/**
 * Reads files and directories into the case database (src/ingest/ingest.ts). Loaded on first use:
 * the reading commands (incidents, report) never load the formats and decoders.
 */
export async function ingest(inputs: string[], opts: IngestOptions): Promise<IngestResult> {
  return (await import('./ingest/ingest.js')).ingest(inputs, opts);
}

export { ingestBounded, INGEST_HEAP_MB } from './ingest/bounded.js';
export { openCaseDb, CaseDbError } from './store/db.js';
export type { Db } from './store/db.js';
export { listSources, listWarnings } from './store/queries.js';
export type { SourceManifestEntry, WarningRow } from './store/queries.js';
export type { FormatModule, EventRow, TimeQuality } from './formats/types.js';
export { VERSION } from './version.js';
/** Whether `zone` is an IANA time zone this build knows (for --tz). */
export function isValidTimeZone(zone: string): boolean {
  return ZoneConverter.isValid(zone);
}
export { buildReportModel, renderReports, writeReportSet, renderMarkdown, renderHtml, renderJson, parseWindow, REPORT_FORMATS } from './report/index.js';
export type { ReportModel, ReportOptions, ReportFormat } from './report/index.js';
export { eachIncident, findIncidents, processesByPid } from './correlate/index.js';
export { parseOomLines } from './correlate/oom.js';
export type { Incident, IncidentFilter, Cause, Actor, EvidenceLine, OomDetails } from './correlate/types.js';
export { ECS_FIELDS, exportDocuments, type ExportWhat } from './export/ecs.js';

/** The time of the newest stored line (the host's own "now" as far as the evidence goes), or null. */
export function newestLineMs(db: Db): number | null {
  return new LineStore(db).maxTs();
}
