// Tar archives as evidence (`varlog.tar.gz`, a sosreport `.tar.xz`): read entry by entry as a
// tree, never extracted to disk. A tar stream is a sequence of 512-byte headers, each followed by
// its entry's data padded to 512 bytes (POSIX ustar, with GNU `L` long names and pax `x` headers
// for long paths):
//
//   offset 0 name[100] · 100 mode · 124 size (octal) · 136 mtime (octal) · 156 typeflag · 157 linkname[100]
//   257 "ustar" · 345 prefix[155]
//
// One pass over the archive lists it. Each regular entry becomes a byte source (src/sources/bytes.ts)
// under the name `archive.tar.gz!var/log/syslog.2.gz`: in a plain tar a range of the file; in a
// compressed one, its bytes kept in memory when they fit the budget, else a cursor that decodes the
// archive again up to it. Entries keep their own compression (a `syslog.2.gz` stays gzip, decoded
// as any file is). Names that climb out of the tree (`..`) are refused; links are listed with their
// targets and not followed (a hard link reads the bytes of the entry it names, which tar stores once).
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { Readable, Transform, pipeline } from 'node:stream';
import { openDecoded, type DecodeLimits } from './decompress.js';
import { byteSource, memorySource, registerEntries, sliceSource, streamedSource, type ByteSource } from './bytes.js';
import type { FoundFile } from './discover.js';

const BLOCK = 512;

/** The decompressed stream starts with a tar header (ustar or GNU magic at offset 257, valid checksum). */
export function isTar(head: Buffer): boolean {
  return head.length >= BLOCK && validHeader(head.subarray(0, BLOCK));
}

/** A 512-byte block is a tar header: "ustar" at 257 and the checksum (bytes summed, the checksum field as spaces) right. */
function validHeader(h: Buffer): boolean {
  if (h.toString('latin1', 257, 262) !== 'ustar') return false;
  const stored = parseOctal(h.subarray(148, 156));
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
  return stored === sum;
}

function parseOctal(b: Buffer): number {
  // GNU base-256 for large sizes: high bit of the first byte set.
  if (b[0]! & 0x80) {
    let n = 0;
    for (let i = 1; i < b.length; i++) n = n * 256 + b[i]!;
    return n;
  }
  const s = b.toString('latin1').replace(/\0.*$/s, '').trim();
  return s ? parseInt(s, 8) : 0;
}

function cString(b: Buffer): string {
  const z = b.indexOf(0);
  return b.toString('utf8', 0, z === -1 ? b.length : z);
}

/** A pax extended header record: "LEN key=value\n". */
function paxValue(data: Buffer, key: string): string | null {
  const text = data.toString('utf8');
  const m = new RegExp(`(?:^|\\n)\\d+ ${key}=([^\\n]*)\\n`).exec(text);
  return m ? m[1]! : null;
}

/** A path inside the archive, relative and normalised (null when it would climb out of the tree). */
function safeName(name: string): string | null {
  const parts = name.split('/').filter((p) => p && p !== '.');
  if (!parts.length || parts.some((p) => p === '..')) return null;
  return parts.join('/');
}

export interface ArchiveListing {
  /** The entries, as files of a tree named `archive!entry` (links listed, not followed). */
  entries: FoundFile[];
  /** Regular files listed. */
  files: number;
  /** Entries not listed (devices, unsafe names, unread zip methods), with why. */
  skipped: string[];
  /** Where reading stopped, when the archive is damaged or cut. */
  damage: string | null;
  /** Unregisters the entries and stops the cursor. */
  dispose(): void;
}

// Memory for the entries of a compressed tar, which can only be reached by decoding from the start:
// small entries are kept from the listing pass (a sosreport's thousands of small files, a lastlog),
// every other entry keeps its first bytes (magic, gzip header) and is read by the cursor, and the
// entry being worked on is kept once read whole (its prescan and its parse read it twice), one at
// a time. Ingest reads the entries of such an archive in the archive's order within each format
// order (src/ingest/ingest.ts planJobs), so the cursor rarely starts over.
/** Bytes of small entries kept from the listing pass (all archives of one run), and the size of entry kept. */
const RETAIN_TOTAL = 16 * 1024 * 1024;
const RETAIN_ENTRY = 1024 * 1024;
/** Stored bytes of every other entry kept for magic and header reads. */
const HEAD_BYTES = 512;
/** The entry being worked on is kept once read whole from its start, up to this size. */
const CURRENT_MAX = 16 * 1024 * 1024;
let retained = 0;
let current: { key: object; bytes: Buffer } | null = null;

/** A cursor-read entry that keeps its bytes while it is the entry being worked on. */
function currentEntrySource(size: number, fromStart: () => AsyncIterable<Buffer>, head: Buffer): ByteSource {
  const key = {};
  const slow = streamedSource(size, fromStart, head);
  async function* remember(): AsyncGenerator<Buffer> {
    const parts: Buffer[] = [];
    let n = 0;
    for await (const chunk of fromStart()) {
      if (n <= CURRENT_MAX) parts.push(Buffer.from(chunk));
      n += chunk.length;
      yield chunk;
    }
    if (n <= CURRENT_MAX) current = { key, bytes: Buffer.concat(parts) };
  }
  const kept = () => (current?.key === key ? memorySource(current.bytes) : null);
  return {
    size,
    allocated: size,
    get randomAccess() {
      return kept() !== null;
    },
    stream: (start = 0) => {
      const k = kept();
      if (k) return k.stream(start);
      if (start === 0 && size <= CURRENT_MAX && size > head.length) {
        current = null; // the one being read now takes the place
        return Readable.from(remember(), { objectMode: false, highWaterMark: 256 * 1024 });
      }
      return slow.stream(start);
    },
    read: (p, l) => (kept() ?? slow).read(p, l),
    release: () => {
      if (current?.key === key) current = null;
    },
  };
}

/** Reads a decoded archive forward; a range behind where it stands starts the decoding over. */
class ArchiveCursor {
  private it: AsyncIterator<Buffer> | null = null;
  private buf: Buffer = Buffer.alloc(0);
  private bufAt = 0;
  private busy = false;
  constructor(
    private readonly file: string,
    private readonly limits: DecodeLimits | undefined,
  ) {}

  private async restart(): Promise<void> {
    await this.it?.return?.(undefined);
    this.it = (await openDecoded(this.file, this.limits)).chunks[Symbol.asyncIterator]();
    this.buf = Buffer.alloc(0);
    this.bufAt = 0;
  }

  async *range(offset: number, size: number): AsyncGenerator<Buffer> {
    if (this.busy) {
      // Two readers of one archive at once (rare): the second decodes on its own.
      yield* new ArchiveCursor(this.file, this.limits).range(offset, size);
      return;
    }
    this.busy = true;
    try {
      if (!this.it || offset < this.bufAt) await this.restart();
      const end = offset + size;
      for (;;) {
        const bufEnd = this.bufAt + this.buf.length;
        if (bufEnd > offset && this.bufAt < end) {
          const from = Math.max(offset, this.bufAt) - this.bufAt;
          const to = Math.min(end, bufEnd) - this.bufAt;
          offset = this.bufAt + to;
          yield this.buf.subarray(from, to);
        }
        if (offset >= end) return;
        const { done, value } = await this.it!.next();
        if (done) throw new Error('the archive ends inside this entry');
        this.bufAt = bufEnd;
        this.buf = value;
      }
    } finally {
      this.busy = false;
    }
  }

  dispose(): void {
    void this.it?.return?.(undefined);
    this.it = null;
  }
}

/**
 * Lists a tar archive (any compression) as a tree of byte sources, in one pass. `memoryBytes`
 * lowers the budget of compressed-tar entries kept in memory (0: every entry read by the cursor).
 */
export async function listTar(file: string, limits?: DecodeLimits, memoryBytes = RETAIN_TOTAL, onRead?: (compressedBytes: number) => void): Promise<ArchiveListing> {
  const dec = await openDecoded(file, limits);
  // A plain tar with random access has its entries as ranges; one that can only be decoded from
  // its start (compressed, or itself an inflated zip entry) is read as a compressed tar is.
  const plain = dec.compression === 'none' && byteSource(file).randomAccess !== false;
  const cursor = plain ? null : new ArchiveCursor(file, limits);
  const sources = new Map<string, ByteSource>();
  const entries: FoundFile[] = [];
  const skipped: string[] = [];
  const held: Array<{ release(): void }> = [];
  let files = 0;
  let pos = 0; // decoded bytes of the archive consumed
  let pending: Buffer = Buffer.alloc(0);
  // The data after a header: an entry read (hashed and kept), a long name or pax header gathered,
  // or bytes passed over; each is `left` bytes plus padding to the next 512.
  let body: { left: number; pad: number; take(b: Buffer): void; end(): void } | null = null;
  let longName: string | null = null;
  let longLink: string | null = null;
  let ended = false;
  const passOver = (size: number, pad: number) => {
    body = size + pad ? { left: size, pad, take: () => {}, end: () => {} } : null;
  };
  const gather = (size: number, pad: number, use: (data: Buffer) => void) => {
    const chunks: Buffer[] = [];
    body = { left: size, pad, take: (b) => chunks.push(Buffer.from(b)), end: () => use(Buffer.concat(chunks)) };
  };
  const found = (name: string, f: Omit<FoundFile, 'path'>) => entries.push({ path: `${file}!${name}`, ...f });
  /** Where a run of damaged headers began (null when reading normally), and what was passed over. */
  let resyncFrom: number | null = null;
  const headerDamage: string[] = [];
  /** Entries in the archive's order, for reading them in it (only set where reads decode from the start). */
  let seq = 0;
  /** The regular entry whose data is being passed (null between entries). */
  let reading: string | null = null;
  const readEntry = (name: string, dataAt: number, size: number, pad: number, mtime_ms: number) => {
    files++;
    reading = `${file}!${name}`;
    const base = { kind: 'file' as const, size, mtime_ms, allocated: size, note: null };
    if (plain) {
      sources.set(`${file}!${name}`, sliceSource(file, dataAt, size));
      found(name, base);
      passOver(size, pad);
      return;
    }
    // A compressed tar: the entry is hashed on the way past (its unchanged check needs no re-read)
    // and kept when it fits.
    const hash = crypto.createHash('sha256');
    const keep = size <= RETAIN_ENTRY && retained + size <= Math.min(memoryBytes, RETAIN_TOTAL);
    if (keep) retained += size;
    const kept: Buffer[] = [];
    let headLen = 0;
    body = {
      left: size,
      pad,
      take: (b) => {
        hash.update(b);
        if (keep) kept.push(Buffer.from(b));
        else if (headLen < HEAD_BYTES) {
          const part = b.subarray(0, HEAD_BYTES - headLen);
          kept.push(Buffer.from(part));
          headLen += part.length;
        }
      },
      end: () => {
        const bytes = Buffer.concat(kept);
        const fromCursor = currentEntrySource(size, () => cursor!.range(dataAt, size), bytes);
        let src: ByteSource = keep ? memorySource(bytes) : fromCursor;
        const view: ByteSource & { release(): void } = {
          size,
          allocated: size,
          get randomAccess() {
            return src !== fromCursor;
          },
          stream: (start) => src.stream(start),
          read: (p, l) => src.read(p, l),
          release: () => {
            if (src !== fromCursor) {
              retained -= size;
              src = fromCursor;
            }
            fromCursor.release?.();
          },
        };
        held.push(view);
        sources.set(`${file}!${name}`, view);
        found(name, { ...base, sha256: hash.digest('hex'), archive_seq: ++seq });
      },
    };
  };
  try {
    for await (const chunk of dec.chunks) {
      if (ended) break;
      onRead?.(dec.consumed());
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let at = 0;
      while (at < pending.length && !ended) {
        if (body) {
          const b: { left: number; pad: number; take(x: Buffer): void; end(): void } = body;
          const take = Math.min(b.left, pending.length - at);
          if (take > 0) b.take(pending.subarray(at, at + take));
          b.left -= take;
          at += take;
          if (b.left > 0) break;
          const skip = Math.min(b.pad, pending.length - at);
          b.pad -= skip;
          at += skip;
          if (b.pad > 0) break;
          body = null;
          b.end();
          continue;
        }
        if (pending.length - at < BLOCK) break;
        reading = null;
        const h = pending.subarray(at, at + BLOCK);
        const headerAt = pos + at;
        at += BLOCK;
        if (h.every((x) => x === 0)) {
          ended = true; // the end-of-archive blocks
          break;
        }
        if (!validHeader(h)) {
          // A damaged header: its size cannot be trusted, so the blocks after it are searched for
          // the next valid header (as GNU tar's "skipping to next header"); what lay between is lost.
          resyncFrom ??= headerAt;
          continue;
        }
        if (resyncFrom !== null) {
          headerDamage.push(`tar header damaged at byte ${resyncFrom} of the archive: ${headerAt - resyncFrom} bytes passed over to the next valid header`);
          resyncFrom = null;
        }
        const size = parseOctal(h.subarray(124, 136));
        const pad = (BLOCK - (size % BLOCK)) % BLOCK;
        const type = String.fromCharCode(h[156]!);
        if (type === 'L') {
          gather(size, pad, (d) => (longName = cString(d)));
          continue;
        }
        if (type === 'K') {
          gather(size, pad, (d) => (longLink = cString(d)));
          continue;
        }
        if (type === 'x') {
          gather(size, pad, (d) => {
            longName = paxValue(d, 'path') ?? longName;
            longLink = paxValue(d, 'linkpath') ?? longLink;
          });
          continue;
        }
        if (type === 'g') {
          passOver(size, pad);
          continue;
        }
        const prefix = cString(h.subarray(345, 500));
        const rawName = longName ?? (prefix ? `${prefix}/${cString(h.subarray(0, 100))}` : cString(h.subarray(0, 100)));
        const link = longLink ?? cString(h.subarray(157, 257));
        longName = null;
        longLink = null;
        const name = safeName(rawName);
        const mtime_ms = parseOctal(h.subarray(136, 148)) * 1000;
        if (name === null) {
          skipped.push(`${rawName}: a path outside the archive's tree`);
          passOver(size, pad);
          continue;
        }
        if (type === '0' || type === '\0' || type === '7') {
          readEntry(name, headerAt + BLOCK, size, pad, mtime_ms);
        } else if (type === '2' || type === '1') {
          const target = type === '1' ? safeName(link) : null;
          const same = target !== null ? sources.get(`${file}!${target}`) : undefined;
          if (same) {
            sources.set(`${file}!${name}`, same);
            const { path: _, ...of } = entries.find((e) => e.path === `${file}!${target}`)!;
            found(name, { ...of, note: `hard link to ${target} inside the archive` });
          } else {
            // A copied tree keeps links to what it does not hold (a sosreport's etc/localtime):
            // normal, listed with the target (the host's zone is read from it), not damage.
            found(name, {
              kind: 'dangling-symlink',
              size: 0,
              mtime_ms,
              allocated: 0,
              note: `${type === '2' ? 'symlink' : 'hard link'} to ${link} inside the archive: not followed`,
            });
          }
          passOver(size, pad);
        } else {
          if (type !== '5') skipped.push(`${name}: not a regular file (tar type ${JSON.stringify(type)})`);
          passOver(size, pad);
        }
      }
      pos += at;
      pending = pending.subarray(at);
    }
  } catch (err) {
    for (const h of held) h.release();
    cursor?.dispose();
    throw err;
  }
  const cut = body !== null;
  const left = body ? (body as { left: number }).left : 0;
  if (body) (body as { end(): void }).end();
  // The entry the archive ends inside is read as far as it goes, and is damaged.
  const last = cut && left > 0 && reading !== null ? entries.find((e) => e.path === reading) : undefined;
  if (last) last.cut = `the archive ends inside this entry: ${last.size - left} of its ${last.size} bytes are there`;
  if (resyncFrom !== null) headerDamage.push(`tar header damaged at byte ${resyncFrom} of the archive: no valid header after it`);
  // Every tar writer ends with zero blocks: an archive without them was cut between two entries,
  // and whatever followed is gone without a trace but this.
  else if (!ended && !cut && !dec.damage()) headerDamage.push('the archive ends without its end-of-archive blocks: it was cut short after its last entry');
  const damage =
    [...headerDamage, dec.damage()?.message ?? (cut ? 'the archive ends inside an entry (cut short)' : null)].filter(Boolean).join('; ') || null;
  const unregister = registerEntries(sources);
  return {
    entries,
    files,
    skipped,
    damage,
    dispose: () => {
      for (const h of held) h.release();
      unregister();
      cursor?.dispose();
    },
  };
}

// Zip archives (PKZIP APPNOTE 6.3.x §4.3): the central directory at the end lists every entry with
// its local header's offset; entries are stored (method 0) or deflated (method 8); other methods
// are named in the archive's note and not read. ZIP64 (§4.3.14-15, §4.5.3: archives past 4 GiB or
// 65,535 entries) keeps the real counts, sizes and offsets in a ZIP64 end record, found through its
// locator just before the end record, and in each entry's 0x0001 extra field, in the order
// uncompressed size, compressed size, local header offset, for the fields saturated at 0xFFFFFFFF.
const EOCD = 0x06054b50;
const ZIP64_EOCD = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const MIB = 1024 * 1024;

/** The file starts with a zip local header ("PK\3\4"), or is an empty zip ("PK\5\6"). */
export function isZip(magic: Buffer): boolean {
  return magic.length >= 4 && (magic.readUInt32LE(0) === LOCAL || magic.readUInt32LE(0) === EOCD);
}

/** Lists a zip archive as a tree of byte sources, from its central directory. */
export async function listZip(file: string, limits: DecodeLimits): Promise<ArchiveListing> {
  const sources = new Map<string, ByteSource>();
  const entries: FoundFile[] = [];
  const skipped: string[] = [];
  let files = 0;
  let damage: string | null = null;
  // A zip of the tree, or one inside another archive: read through its byte source alike.
  const archive = byteSource(file);
  try {
    const size = archive.size;
    const tailLen = Math.min(size, 65_557);
    const tail = await archive.read(size - tailLen, tailLen);
    let e = -1;
    for (let i = tailLen - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD) {
        e = i;
        break;
      }
    }
    if (e < 0) throw new Error('no end of central directory record: the zip is cut short');
    let count = tail.readUInt16LE(e + 10);
    let cdSize = tail.readUInt32LE(e + 12);
    let cdOffset = tail.readUInt32LE(e + 16);
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      const loc = e - 20;
      if (loc < 0 || tail.readUInt32LE(loc) !== ZIP64_LOCATOR) throw new Error('a ZIP64 archive whose ZIP64 end locator is missing');
      const rec = await archive.read(Number(tail.readBigUInt64LE(loc + 8)), 56);
      if (rec.length < 56 || rec.readUInt32LE(0) !== ZIP64_EOCD) throw new Error('a ZIP64 archive whose ZIP64 end record is damaged');
      count = Number(rec.readBigUInt64LE(32));
      cdSize = Number(rec.readBigUInt64LE(40));
      cdOffset = Number(rec.readBigUInt64LE(48));
    }
    const cd = await archive.read(cdOffset, cdSize);
    for (let at = 0, n = 0; n < count && at + 46 <= cd.length; n++) {
      if (cd.readUInt32LE(at) !== CENTRAL) throw new Error(`central directory damaged at entry ${n + 1}`);
      const method = cd.readUInt16LE(at + 10);
      let csize = cd.readUInt32LE(at + 20);
      let usize = cd.readUInt32LE(at + 24);
      const nameLen = cd.readUInt16LE(at + 28);
      const extraLen = cd.readUInt16LE(at + 30);
      const commentLen = cd.readUInt16LE(at + 32);
      const mode = cd.readUInt32LE(at + 38) >>> 16;
      const dosTime = cd.readUInt16LE(at + 12);
      const dosDate = cd.readUInt16LE(at + 14);
      let local = cd.readUInt32LE(at + 42);
      const rawName = cd.toString('utf8', at + 46, at + 46 + nameLen);
      if (usize === 0xffffffff || csize === 0xffffffff || local === 0xffffffff) {
        const z = zip64Extra(cd.subarray(at + 46 + nameLen, at + 46 + nameLen + extraLen));
        if (z) {
          if (usize === 0xffffffff) usize = z.next() ?? usize;
          if (csize === 0xffffffff) csize = z.next() ?? csize;
          if (local === 0xffffffff) local = z.next() ?? local;
        }
      }
      at += 46 + nameLen + extraLen + commentLen;
      if (rawName.endsWith('/')) continue;
      const name = safeName(rawName);
      if (name === null) {
        skipped.push(`${rawName}: a path outside the archive's tree`);
        continue;
      }
      // The entry's own time (DOS local time: the zip says no zone; good enough for the unchanged check).
      const mtime_ms = Date.UTC(1980 + (dosDate >> 9), ((dosDate >> 5) & 15) - 1, dosDate & 31, dosTime >> 11, (dosTime >> 5) & 63, (dosTime & 31) * 2);
      if ((mode & S_IFMT) === S_IFLNK) {
        // A zip stores a link's target as its data.
        const lh = await archive.read(local, 30);
        const target = method === 0 && lh.length === 30 ? await archive.read(local + 30 + lh.readUInt16LE(26) + lh.readUInt16LE(28), Math.min(csize, 4096)) : Buffer.from('?');
        entries.push({
          path: `${file}!${name}`,
          kind: 'dangling-symlink',
          size: 0,
          mtime_ms,
          allocated: 0,
          note: `symlink to ${target.toString('utf8')} inside the archive: not followed`,
        });
        continue;
      }
      if (method !== 0 && method !== 8) {
        skipped.push(`${name}: compression method ${method} not read`);
        continue;
      }
      if (usize > limits.maxBytes || (usize > 16 * MIB && usize / Math.max(1, csize) > limits.maxRatio)) {
        skipped.push(`${name}: ${Math.round(usize / MIB)} MiB from ${Math.round(csize / MIB)} MiB, past the decompression caps`);
        continue;
      }
      const lh = await archive.read(local, 30);
      if (lh.length < 30 || lh.readUInt32LE(0) !== LOCAL) {
        skipped.push(`${name}: local header missing (archive damaged)`);
        continue;
      }
      const start = local + 30 + lh.readUInt16LE(26) + lh.readUInt16LE(28);
      const src =
        method === 0
          ? sliceSource(file, start, csize)
          : streamedSource(usize, () => {
              const raw = csize ? sliceSource(file, start, csize).stream() : Readable.from([]);
              // pipeline: a damaged deflate stream fails the read (the decoders record where), never hangs it.
              return pipeline(raw, zlib.createInflateRaw(), capBytes(usize), () => {}) as unknown as AsyncIterable<Buffer>;
            });
      sources.set(`${file}!${name}`, src);
      entries.push({ path: `${file}!${name}`, kind: 'file', size: usize, mtime_ms: Number.isFinite(mtime_ms) ? mtime_ms : 0, allocated: usize, note: null });
      files++;
    }
  } catch (err) {
    damage = (err as Error).message;
  }
  const unregister = registerEntries(sources);
  return { entries, files, skipped, damage, dispose: unregister };
}

/** The 64-bit values of an entry's ZIP64 extra field (header id 0x0001), one by one; null without one. */
function zip64Extra(extra: Buffer): { next(): number | null } | null {
  for (let i = 0; i + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(i);
    const len = extra.readUInt16LE(i + 2);
    if (id === 0x0001) {
      let k = i + 4;
      const end = Math.min(extra.length, i + 4 + len);
      return { next: () => (k + 8 <= end ? Number(extra.readBigUInt64LE((k += 8) - 8)) : null) };
    }
    i += 4 + len;
  }
  return null;
}

/** Fails the read when an entry inflates past the size its directory entry declared (a lying bomb). */
function capBytes(declared: number): Transform {
  let n = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      n += chunk.length;
      if (n > declared) done(new Error(`inflates past its declared ${declared} bytes`));
      else done(null, chunk);
    },
  });
}
