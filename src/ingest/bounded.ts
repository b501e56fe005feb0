// `ingest` in a worker thread whose heap is capped (resourceLimits). V8 grows a busy thread's heap
// lazily, so the cap is what keeps `procforensics ingest` under its memory budget whatever the
// input. The worker (worker.ts) posts progress, file, then done or error; errors keep their class.
import { Worker } from 'node:worker_threads';
import { CaseBusyError, ResourceError, UsageError } from '../errors.js';
import { CaseDbError } from '../store/db.js';
import type { IngestOptions, IngestProgress, IngestResult, SourceSummary } from './ingest.js';

/**
 * The old-generation heap an ingest thread may use: with SQLite's cache and the code, the process
 * stays under 256 MiB. PROCFORENSICS_HEAP_MB raises it.
 */
export const INGEST_HEAP_MB = 96;

/** Error classes that cross the thread boundary by name. */
const ERRORS: Readonly<Record<string, new (message: string) => Error>> = { UsageError, CaseDbError, ResourceError, CaseBusyError };

export type WorkerMessage =
  | { type: 'progress'; p: IngestProgress }
  | { type: 'file'; s: SourceSummary }
  | { type: 'done'; result: IngestResult }
  | { type: 'error'; name: string; message: string; stack?: string };

export function ingestBounded(
  inputs: string[],
  opts: IngestOptions,
  heapMb = Number(process.env.PROCFORENSICS_HEAP_MB) || INGEST_HEAP_MB,
): Promise<IngestResult> {
  const { onProgress, onFile, ...plain } = opts;
  const worker = new Worker(new URL('./worker.js', import.meta.url), {
    workerData: { inputs, opts: { ...plain, progress: !!onProgress, files: !!onFile } },
    resourceLimits: { maxOldGenerationSizeMb: heapMb },
  });
  return new Promise<IngestResult>((resolve, reject) => {
    let settled = false;
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') onProgress?.(m.p);
      else if (m.type === 'file') onFile?.(m.s);
      else if (m.type === 'done') {
        settled = true;
        resolve(m.result);
      } else {
        settled = true;
        const e = new (ERRORS[m.name] ?? Error)(m.message);
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
