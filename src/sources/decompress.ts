// Decompression by magic bytes, never by file name: logrotate's `compresscmd` can be anything and
// evidence gets renamed. Every decoder streams; on damage we keep every byte decoded before it and
// report where (compressed offset) it stopped.
import zlib from 'node:zlib';
import { PassThrough, Readable } from 'node:stream';
import { createRequire } from 'node:module';
import { byteSource } from './bytes.js';

const require = createRequire(import.meta.url);

export type Compression = 'none' | 'gzip' | 'bzip2' | 'xz' | 'zstd';

export interface Damage {
  /** Offset in the compressed file where decoding stopped, when known. */
  compressed_offset: number | null;
  message: string;
}

export interface DecodedStream {
  compression: Compression;
  chunks: AsyncIterable<Buffer>;
  /** Set once the iteration ended, if the stream was damaged. */
  damage(): Damage | null;
  /** Bytes of the file read so far (compressed), for progress. */
  consumed(): number;
}

export function detectCompression(magic: Buffer): Compression {
  if (magic.length >= 2 && magic[0] === 0x1f && magic[1] === 0x8b) return 'gzip';
  if (magic.length >= 4 && magic[0] === 0x42 && magic[1] === 0x5a && magic[2] === 0x68 && magic[3] >= 0x31 && magic[3] <= 0x39)
    return 'bzip2';
  if (magic.length >= 6 && magic.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (magic.length >= 4 && magic.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

/** The first 8 stored bytes; none when even they cannot be read (the read that follows says why). */
export async function readMagic(path: string): Promise<Buffer> {
  return byteSource(path)
    .read(0, 8)
    .catch(() => Buffer.alloc(0));
}

/** The mtime written in a gzip header (seconds), 0 when absent. */
export async function gzipHeaderMtime(path: string): Promise<number> {
  const magic = await readMagic(path);
  if (detectCompression(magic) !== 'gzip' || magic.length < 8) return 0;
  return magic.readUInt32LE(4);
}

const CHUNK = 256 * 1024;
const MIB = 1024 * 1024;

/**
 * Caps on what one compressed file may expand to. A decompression bomb (a few MB of gzip holding
 * tens of GB of zeros) would otherwise be read to the end. Logs compress 4 to 30 times, rarely
 * past 100; deflate cannot exceed about 1030 to 1. Past a cap the file is marked damaged with a
 * warning naming the cap and the option that raises it, and the rest of the tree is read.
 */
export interface DecodeLimits {
  /** Decompressed bytes of one file at most. */
  maxBytes: number;
  /** Decompressed bytes per compressed byte at most, checked once RATIO_GRACE bytes came out. */
  maxRatio: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = { maxBytes: 64 * 1024 * MIB, maxRatio: 200 };
/** Small files may expand more (a near-empty rotation of repeated lines): the ratio counts past this. */
const RATIO_GRACE = 16 * MIB;

/** Opens a file and yields its decompressed bytes. Never throws while iterating: damage is recorded. */
export async function openDecoded(path: string, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): Promise<DecodedStream> {
  const compression = detectCompression(await readMagic(path));
  let damage: Damage | null = null;
  let consumed = 0;
  /** Compressed bytes the decoder itself took in, where it says (zlib), else what was read. */
  let decoderIn: () => number = () => consumed;
  const source = byteSource(path);
  const raw = () => {
    const rs = source.stream();
    rs.on('data', (d) => (consumed += (d as Buffer).length));
    return rs;
  };

  async function* fromNodeStream(make: () => NodeJS.ReadableStream & { bytesWritten?: number }): AsyncGenerator<Buffer> {
    const src = raw();
    const dec = make();
    if (typeof dec.bytesWritten === 'number') decoderIn = () => dec.bytesWritten!;
    src.on('error', (e) => (dec as unknown as Readable).destroy(e));
    src.pipe(dec as unknown as NodeJS.WritableStream);
    // Old-style streams (unbzip2-stream is a `through` stream) are not async iterable: bridge them.
    // On damage the bridge is ended, not destroyed: what the decoder produced before the damage and
    // the bridge still buffers is read to the end first (a busy machine buffers more of it).
    const pass = new PassThrough();
    let failure: { err: Error; at: number } | null = null;
    dec.on('error', (e) => {
      failure ??= { err: e as Error, at: typeof dec.bytesWritten === 'number' ? dec.bytesWritten : consumed };
      pass.end();
    });
    dec.pipe(pass);
    let delivered = 0;
    try {
      for await (const chunk of pass) {
        const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
        delivered += b.length;
        yield b;
      }
    } catch (err) {
      failure ??= { err: err as Error, at: typeof dec.bytesWritten === 'number' ? dec.bytesWritten : consumed };
    } finally {
      src.destroy();
    }
    if (!failure) return;
    damage = { compressed_offset: failure.at, message: `${compression} stream damaged: ${failure.err.message}` };
    // A stream that errors drops what it had decoded but not yet handed on (more of it on a busy
    // machine). gzip is decoded again, tolerantly (Z_SYNC_FLUSH: no error at a cut end), and what
    // follows the bytes already delivered is handed on: everything before the damage, every time.
    if (compression === 'gzip') yield* gzipTail(delivered);
  }

  async function* gzipTail(skip: number): AsyncGenerator<Buffer> {
    const dec = zlib.createGunzip({ chunkSize: CHUNK, finishFlush: zlib.constants.Z_SYNC_FLUSH });
    const src = source.stream();
    src.on('error', (e) => dec.destroy(e));
    src.pipe(dec);
    let seen = 0;
    try {
      for await (const chunk of dec as AsyncIterable<Buffer>) {
        const end = seen + chunk.length;
        if (end > skip) yield seen >= skip ? chunk : chunk.subarray(skip - seen);
        seen = end;
      }
    } catch {
      // The damage itself: what came before it has been handed on.
    } finally {
      src.destroy();
    }
  }

  async function* plain(): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of raw()) yield chunk as Buffer;
    } catch (err) {
      damage = { compressed_offset: consumed, message: `read error: ${(err as Error).message}` };
    }
  }

  async function* zstd(): AsyncGenerator<Buffer> {
    const { Decompress } = require('fzstd') as typeof import('fzstd');
    const out: Buffer[] = [];
    const d = new Decompress((chunk: Uint8Array) => out.push(Buffer.from(chunk)));
    try {
      for await (const chunk of raw()) {
        d.push(chunk as Buffer);
        while (out.length) yield out.shift()!;
      }
      d.push(new Uint8Array(0), true);
      while (out.length) yield out.shift()!;
    } catch (err) {
      while (out.length) yield out.shift()!;
      damage = { compressed_offset: consumed, message: `zstd stream damaged: ${(err as Error).message}` };
    }
  }

  async function* xz(): AsyncGenerator<Buffer> {
    const { XzReadableStream } = require('xz-decompress') as { XzReadableStream: new (s: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array> };
    const web = Readable.toWeb(raw()) as unknown as ReadableStream<Uint8Array>;
    const reader = new XzReadableStream(web).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (value && value.length) yield Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      }
    } catch (err) {
      damage = { compressed_offset: consumed, message: `xz stream damaged: ${(err as Error)?.message ?? String(err)}` };
    } finally {
      // A reader that stops early (the 64 KiB probe) must cancel: xz-decompress decodes one stream
      // at a time, and the next one waits for this one forever otherwise.
      await reader.cancel().catch(() => {});
    }
  }

  let chunks: AsyncIterable<Buffer>;
  switch (compression) {
    case 'gzip':
      chunks = fromNodeStream(() => zlib.createGunzip({ chunkSize: CHUNK }));
      break;
    case 'bzip2':
      chunks = fromNodeStream(() => (require('unbzip2-stream') as () => NodeJS.ReadWriteStream)());
      break;
    case 'xz':
      chunks = xz();
      break;
    case 'zstd':
      chunks = zstd();
      break;
    default:
      chunks = plain();
  }
  if (compression !== 'none') chunks = capped(chunks);
  return { compression, chunks, damage: () => damage, consumed: () => consumed };

  async function* capped(src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    let out = 0;
    const it = src[Symbol.asyncIterator]();
    try {
      for (;;) {
        const { done, value } = await it.next();
        if (done) return;
        out += value.length;
        const ratio = out / Math.max(1, decoderIn());
        const overBytes = out > limits.maxBytes;
        const overRatio = out > RATIO_GRACE && ratio > limits.maxRatio;
        if (overBytes || overRatio) {
          damage = {
            compressed_offset: decoderIn(),
            message: overBytes
              ? `decompression stopped after ${Math.floor(limits.maxBytes / MIB)} MiB, the cap for one file (raise it with --max-decompressed-mib)`
              : `decompression stopped after ${Math.floor(out / MIB)} MiB: the file expands ${Math.round(ratio)} to 1, past the cap of ${limits.maxRatio} to 1 (a decompression bomb, or raise it with --max-ratio)`,
          };
          const keep = overBytes ? value.length - (out - limits.maxBytes) : value.length;
          if (keep > 0) yield value.subarray(0, keep);
          return;
        }
        yield value;
      }
    } finally {
      await it.return?.();
    }
  }
}
