// Where a file's stored bytes are read from. Every reader of evidence (the decoders, the hashes,
// the formats that read a file themselves) asks `byteSource(path)`: for a file of the tree it is
// the file; for an entry of an archive (`varlog.tar.gz!var/log/syslog.2.gz`) it is a view of the
// archive registered while the archive is read, so nothing is ever extracted to disk.
//
// Entries of a plain tar and stored zip entries are byte ranges of the archive; a deflated zip
// entry is inflated from its own offset each time it is read. Entries of a compressed tar
// (`.tar.gz`, `.tar.xz`, …) can only be reached by decoding the archive from its start: small ones
// are kept in memory from the one pass that lists the archive (within a budget), larger ones are
// read by a cursor that decodes forward and starts over only when asked for bytes behind it.
import fs from 'node:fs';
import { Readable } from 'node:stream';

const CHUNK = 256 * 1024;

export interface ByteSource {
  /** Stored bytes (still compressed when the file or entry is). */
  readonly size: number;
  /** Bytes allocated on disk (a sparse file has fewer than its size); an entry's size. */
  readonly allocated: number;
  /** The stored bytes from `start` to the end. */
  stream(start?: number): Readable;
  /** Up to `length` stored bytes at `position` (fewer at the end). */
  read(position: number, length: number): Promise<Buffer>;
  /** Lets go of bytes held in memory (later reads take the slower way). */
  release?(): void;
  /** False when every read decodes from the start (an inflated zip entry, a compressed tar's entry): a tar inside is then read as a compressed one is. */
  readonly randomAccess?: boolean;
}

/** A file of the tree. */
export function fileSource(file: string): ByteSource {
  let st: fs.Stats | null = null;
  const stat = () => (st ??= fs.statSync(file));
  return {
    get size() {
      return stat().size;
    },
    get allocated() {
      return stat().blocks * 512;
    },
    stream: (start = 0) => fs.createReadStream(file, { start, highWaterMark: CHUNK }),
    read: async (position, length) => {
      const fh = await fs.promises.open(file, 'r');
      try {
        const buf = Buffer.alloc(length);
        const { bytesRead } = await fh.read(buf, 0, length, position);
        return buf.subarray(0, bytesRead);
      } finally {
        await fh.close();
      }
    },
  };
}

/** `size` bytes of `file` from `offset`: an entry of a plain tar, a stored zip entry. */
export function rangeSource(file: string, offset: number, size: number): ByteSource {
  return {
    size,
    allocated: size,
    stream: (start = 0) =>
      start >= size ? Readable.from([]) : fs.createReadStream(file, { start: offset + start, end: offset + size - 1, highWaterMark: CHUNK }),
    read: async (position, length) => {
      const n = Math.max(0, Math.min(length, size - position));
      if (!n) return Buffer.alloc(0);
      const fh = await fs.promises.open(file, 'r');
      try {
        const buf = Buffer.alloc(n);
        const { bytesRead } = await fh.read(buf, 0, n, offset + position);
        return buf.subarray(0, bytesRead);
      } finally {
        await fh.close();
      }
    },
  };
}

/**
 * `size` bytes from `offset` of a file of the tree or of another entry (a tar inside a zip): a
 * plain tar's entry, a stored zip entry.
 */
export function sliceSource(file: string, offset: number, size: number): ByteSource {
  if (!entries.has(file)) return rangeSource(file, offset, size);
  const parent = entries.get(file)!;
  return {
    size,
    allocated: size,
    randomAccess: parent.randomAccess,
    stream: (start = 0) => (start >= size ? Readable.from([]) : Readable.from(take(parent.stream(offset + start), size - start), { objectMode: false, highWaterMark: CHUNK })),
    read: (position, length) => parent.read(offset + position, Math.max(0, Math.min(length, size - position))),
  };
}

async function* take(src: AsyncIterable<Buffer>, n: number): AsyncGenerator<Buffer> {
  if (n <= 0) return;
  for await (const chunk of src) {
    if (chunk.length >= n) {
      yield chunk.subarray(0, n);
      return;
    }
    n -= chunk.length;
    yield chunk;
  }
}

/** Bytes held in memory. */
export function memorySource(bytes: Buffer): ByteSource {
  return {
    size: bytes.length,
    allocated: bytes.length,
    stream: (start = 0) => Readable.from(start < bytes.length ? chunksOf(bytes.subarray(start)) : []),
    read: async (position, length) => bytes.subarray(position, Math.min(bytes.length, position + length)),
  };
}

function* chunksOf(b: Buffer): Generator<Buffer> {
  for (let at = 0; at < b.length; at += CHUNK) yield b.subarray(at, at + CHUNK);
}

/**
 * A source made from a function that streams its bytes from the start (an inflated zip entry, a
 * cursor over a compressed tar): reads skip forward to where they are asked for. `head` (its
 * first bytes, when known) answers small reads without streaming at all.
 */
export function streamedSource(size: number, fromStart: () => AsyncIterable<Buffer>, head: Buffer | null = null): ByteSource {
  async function* from(start: number): AsyncGenerator<Buffer> {
    let seen = 0;
    for await (const chunk of fromStart()) {
      const end = seen + chunk.length;
      if (end > start) yield seen >= start ? chunk : chunk.subarray(start - seen);
      seen = end;
    }
  }
  return {
    size,
    allocated: size,
    randomAccess: head !== null && head.length >= size,
    stream: (start = 0) => {
      if (head && head.length >= size) return memorySource(head).stream(start);
      return Readable.from(from(start), { objectMode: false, highWaterMark: CHUNK });
    },
    read: async (position, length) => {
      if (head && position + Math.min(length, size - position) <= head.length) return head.subarray(position, Math.min(size, position + length));
      const parts: Buffer[] = [];
      let n = 0;
      for await (const chunk of from(position)) {
        parts.push(chunk);
        n += chunk.length;
        if (n >= length) break;
      }
      return Buffer.concat(parts).subarray(0, length);
    },
  };
}

const entries = new Map<string, ByteSource>();

/** Registers the entries of an archive under their `archive!entry` names; returns their removal. */
export function registerEntries(list: Iterable<[string, ByteSource]>): () => void {
  const names: string[] = [];
  for (const [name, src] of list) {
    entries.set(name, src);
    names.push(name);
  }
  return () => {
    for (const n of names) entries.delete(n);
  };
}

/** An entry's bytes are no longer needed (its source is stored): what it held in memory is let go. */
export function releaseEntry(name: string): void {
  entries.get(name)?.release?.();
}

/** Is this name an archive entry (not a file of the tree)? */
export function isEntry(name: string): boolean {
  return entries.has(name);
}

export function byteSource(path: string): ByteSource {
  return entries.get(path) ?? fileSource(path);
}
