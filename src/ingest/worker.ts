// The thread side of `ingestBounded` (bounded.ts): runs one ingest and posts what it does.
import { parentPort, workerData } from 'node:worker_threads';
import { ingest, type IngestOptions } from './ingest.js';
import type { WorkerMessage } from './bounded.js';

type Plain = Omit<IngestOptions, 'onProgress' | 'onFile'> & { progress: boolean; files: boolean };
const { inputs, opts } = workerData as { inputs: string[]; opts: Plain };
const post = (m: WorkerMessage) => parentPort!.postMessage(m);
const { progress, files, ...rest } = opts;
ingest(inputs, {
  ...rest,
  onProgress: progress ? (p) => post({ type: 'progress', p }) : undefined,
  onFile: files ? (s) => post({ type: 'file', s }) : undefined,
}).then(
  (result) => post({ type: 'done', result }),
  (e: unknown) => {
    const err = e instanceof Error ? e : new Error(String(e));
    post({ type: 'error', name: err.constructor.name, message: err.message, stack: err.stack });
  },
);
