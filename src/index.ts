// The public API of procforensics. The CLI is a thin layer over these functions.
export { ingest, UsageError } from './ingest/ingest.js';
export type { IngestOptions, IngestResult, IngestProgress, SourceSummary } from './ingest/ingest.js';
export { openCaseDb, CaseDbError } from './store/db.js';
export type { Db } from './store/db.js';
export { listSources, listWarnings } from './store/queries.js';
export type { SourceManifestEntry, WarningRow } from './store/queries.js';
export { FORMATS, formatByName } from './formats/registry.js';
export type { FormatModule, EventRow, TimeQuality } from './formats/types.js';
export { VERSION } from './version.js';
export { buildReportModel, renderReports, writeReportSet, renderMarkdown, renderHtml, renderJson, parseWindow, REPORT_FORMATS } from './report/index.js';
export type { ReportModel, ReportOptions, ReportFormat } from './report/index.js';
export { findIncidents, processesByPid } from './correlate/index.js';
export { parseOomLines } from './correlate/oom.js';
export type { Incident, IncidentFilter, Cause, Actor, EvidenceLine, OomDetails } from './correlate/types.js';
