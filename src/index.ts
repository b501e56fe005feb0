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
