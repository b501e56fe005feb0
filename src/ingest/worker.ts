// Runs one ingest in a worker thread whose heap the caller bounds (resourceLimits): V8 grows a busy
// thread's heap lazily, so the bound is what keeps `procforensics ingest` under its memory budget
// whatever the input. Messages: progress, file, then done (the result) or error.
import { parentPort, workerData } from 'node:worker_threads';
import { ingest, type IngestOptions } from './ingest.js';

const { inputs, opts } = workerData as { inputs: string[]; opts: Omit<IngestOptions, 'onProgress' | 'onFile'> & { progress: boolean } };
const port = parentPort!;
ingest(inputs, {
  ...opts,
  onProgress: opts.progress ? (p) => port.postMessage({ type: 'progress', p }) : undefined,
}).then(
  (result) => port.postMessage({ type: 'done', result }),
  (e: unknown) => {
    const err = e instanceof Error ? e : new Error(String(e));
    port.postMessage({ type: 'error', name: err.constructor.name, message: err.message, stack: err.stack });
  },
);
