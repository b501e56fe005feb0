// The public API of procforensics. The CLI is a thin layer over these functions.
import type { IngestOptions, IngestProgress, IngestResult } from './ingest/ingest.js';
import { ResourceError, UsageError } from './errors.js';
import { CaseDbError } from './store/db.js';
export { ResourceError, UsageError };
export type { IngestOptions, IngestResult, IngestProgress, SourceSummary } from './ingest/ingest.js';

/**
 * Reads files and directories into the case database (src/ingest/ingest.ts). Loaded on first use:
 * the reading commands (incidents, report) never load the formats and decoders.
 */
export async function ingest(inputs: string[], opts: IngestOptions): Promise<IngestResult> {
  return (await import('./ingest/ingest.js')).ingest(inputs, opts);
}

/**
 * The old-generation heap an ingest thread may use: with SQLite's cache and the code, the process
 * stays under 256 MiB. PROCFORENSICS_HEAP_MB raises it.
 */
export const INGEST_HEAP_MB = 96;

/**
 * `ingest` in a worker thread with a bounded heap (the CLI's way: memory stays under its budget
 * whatever the input). Errors keep their class (UsageError, CaseDbError).
 */
export async function ingestBounded(
  inputs: string[],
  opts: IngestOptions,
  heapMb = Number(process.env.PROCFORENSICS_HEAP_MB) || INGEST_HEAP_MB,
): Promise<IngestResult> {
  const { Worker } = await import('node:worker_threads');
  const { onProgress, onFile, ...plain } = opts;
  void onFile;
  const worker = new Worker(new URL('./ingest/worker.js', import.meta.url), {
    workerData: { inputs, opts: { ...plain, progress: !!onProgress } },
    resourceLimits: { maxOldGenerationSizeMb: heapMb },
  });
  return new Promise<IngestResult>((resolve, reject) => {
    let settled = false;
    worker.on('message', (m: { type: string; p?: IngestProgress; result?: IngestResult; name?: string; message?: string; stack?: string }) => {
      if (m.type === 'progress' && m.p) onProgress?.(m.p);
      else if (m.type === 'done') {
        settled = true;
        resolve(m.result!);
      } else if (m.type === 'error') {
        settled = true;
        const E = m.name === 'UsageError' ? UsageError : m.name === 'CaseDbError' ? CaseDbError : Error;
        const e = new E(m.message);
        if (m.stack) e.stack = m.stack;
        reject(e);
      }
    });
    worker.on('error', (e: NodeJS.ErrnoException) => {
      settled = true;
      reject(
        e.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new ResourceError(`ingest needed more than its ${heapMb} MiB heap; run it again with PROCFORENSICS_HEAP_MB=${heapMb * 2} (what was stored so far is kept)`)
          : e,
      );
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`ingest worker stopped (exit ${code})`));
    });
  });
}
export { openCaseDb, CaseDbError } from './store/db.js';
export type { Db } from './store/db.js';
export { listSources, listWarnings } from './store/queries.js';
export type { SourceManifestEntry, WarningRow } from './store/queries.js';
export type { FormatModule, EventRow, TimeQuality } from './formats/types.js';
export { VERSION } from './version.js';
import { ZoneConverter } from './time/civil.js';
/** Whether `zone` is an IANA time zone this build knows (for --tz). */
export function isValidTimeZone(zone: string): boolean {
  return ZoneConverter.isValid(zone);
}
export { buildReportModel, renderReports, writeReportSet, renderMarkdown, renderHtml, renderJson, parseWindow, REPORT_FORMATS } from './report/index.js';
export type { ReportModel, ReportOptions, ReportFormat } from './report/index.js';
export { eachIncident, findIncidents, processesByPid } from './correlate/index.js';
export { parseOomLines } from './correlate/oom.js';
export type { Incident, IncidentFilter, Cause, Actor, EvidenceLine, OomDetails } from './correlate/types.js';
