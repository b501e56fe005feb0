// Tar archives as evidence (`varlog.tar.gz`, a sosreport `.tar.xz`): read entry by entry as a
// tree. A tar stream is a sequence of 512-byte headers, each followed by its entry's data padded to
// 512 bytes (POSIX ustar, with GNU `L` long names and pax `x` headers for long paths):
//
//   offset 0 name[100] · 100 mode · 124 size (octal) · 136 mtime (octal) · 156 typeflag · 157 linkname
//   257 "ustar" · 345 prefix[155]
//
// The entries are copied, still compressed as they are inside (a `syslog.2.gz` stays gzip), into a
// private temporary directory that the ingest reads as a tree and removes at the end; each source
// keeps the name `archive.tar.gz!var/log/syslog.2.gz`, so nothing points at the temporary copy.
// Entry paths are confined to that directory (no absolute paths, no `..`); links and devices
// inside the archive are not followed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { openDecoded, type DecodeLimits } from './decompress.js';

const BLOCK = 512;

/** The decompressed stream starts with a tar header (ustar or GNU magic at offset 257, valid checksum). */
export function isTar(head: Buffer): boolean {
  if (head.length < BLOCK) return false;
  const magic = head.toString('latin1', 257, 262);
  if (magic !== 'ustar') return false;
  const stored = parseOctal(head.subarray(148, 156));
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : head[i]!;
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

/** pax extended header records: "LEN key=value\n". */
function paxPath(data: Buffer): string | null {
  const text = data.toString('utf8');
  const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(text);
  return m ? m[1]! : null;
}

/** A path inside the archive, made safe to create under `root` (null when it would escape). */
function safeEntry(root: string, name: string): string | null {
  const parts = name.split('/').filter((p) => p && p !== '.');
  if (!parts.length || parts.some((p) => p === '..')) return null;
  return path.join(root, ...parts);
}

export interface ExtractedArchive {
  /** The directory the entries were copied into (removed by `dispose`). */
  dir: string;
  /** Regular-file entries copied, and entries not copied (links, devices, unsafe names). */
  files: number;
  skipped: string[];
  /** Where reading stopped, when the archive is damaged or cut. */
  damage: string | null;
  dispose(): void;
}

/** Copies the regular files of a tar archive (any compression) into a fresh private directory. */
export async function extractTar(file: string, limits?: DecodeLimits): Promise<ExtractedArchive> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'procforensics-archive-'));
  fs.chmodSync(dir, 0o700);
  const dec = await openDecoded(file, limits);
  const skipped: string[] = [];
  let files = 0;
  let pending: Buffer = Buffer.alloc(0);
  // The data after a header: an entry copied to its file, a long name or pax header gathered, or
  // bytes passed over; each is `left` bytes plus padding to the next 512.
  let body: { left: number; pad: number; take(b: Buffer): void; end(): void } | null = null;
  let longName: string | null = null;
  let ended = false;
  const copyTo = (target: string, size: number, pad: number, mtime: number) => {
    const fd = fs.openSync(target, 'wx', 0o600);
    body = {
      left: size,
      pad,
      take: (b) => fs.writeSync(fd, b),
      end: () => {
        fs.closeSync(fd);
        fs.utimesSync(target, mtime, mtime);
      },
    };
  };
  const passOver = (size: number, pad: number) => {
    body = size + pad ? { left: size, pad, take: () => {}, end: () => {} } : null;
  };
  const gather = (size: number, pad: number, use: (data: Buffer) => void) => {
    const chunks: Buffer[] = [];
    body = { left: size, pad, take: (b) => chunks.push(Buffer.from(b)), end: () => use(Buffer.concat(chunks)) };
  };
  try {
    for await (const chunk of dec.chunks) {
      if (ended) break;
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
        const h = pending.subarray(at, at + BLOCK);
        at += BLOCK;
        if (h.every((x) => x === 0)) {
          ended = true; // the end-of-archive blocks
          break;
        }
        const size = parseOctal(h.subarray(124, 136));
        const pad = (BLOCK - (size % BLOCK)) % BLOCK;
        const type = String.fromCharCode(h[156]!);
        if (type === 'L') {
          gather(size, pad, (d) => (longName = cString(d)));
          continue;
        }
        if (type === 'x') {
          gather(size, pad, (d) => (longName = paxPath(d) ?? longName));
          continue;
        }
        if (type === 'g') {
          passOver(size, pad);
          continue;
        }
        const prefix = cString(h.subarray(345, 500));
        const name = longName ?? (prefix ? `${prefix}/${cString(h.subarray(0, 100))}` : cString(h.subarray(0, 100)));
        longName = null;
        if (type === '0' || type === '\0' || type === '7') {
          const target = safeEntry(dir, name);
          if (!target) {
            skipped.push(`${name}: a path outside the archive's tree`);
            passOver(size, pad);
            continue;
          }
          fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
          copyTo(target, size, pad, parseOctal(h.subarray(136, 148)));
          files++;
        } else {
          if (type === '2' || type === '1') skipped.push(`${name}: a ${type === '2' ? 'symbolic' : 'hard'} link inside the archive, not followed`);
          else if (type !== '5') skipped.push(`${name}: not a regular file (tar type ${JSON.stringify(type)})`);
          passOver(size, pad);
        }
      }
      pending = pending.subarray(at);
    }
  } catch (err) {
    try {
      (body as { end(): void } | null)?.end(); // closes the entry's file
    } catch {
      /* the copy is removed below anyway */
    }
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const cut = body !== null;
  if (body) (body as { end(): void }).end();
  const damage = dec.damage()?.message ?? (cut ? 'the archive ends inside an entry (cut short)' : null);
  return { dir, files, skipped, damage, dispose: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

// Zip archives (PKZIP APPNOTE 6.3.x §4.3): the central directory at the end lists every entry with
// its local header's offset; entries are stored (method 0) or deflated (method 8). ZIP64 and
// other methods are named in the archive's note and not read.
const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const MIB = 1024 * 1024;

/** The file starts with a zip local header ("PK\3\4"), or is an empty zip ("PK\5\6"). */
export function isZip(magic: Buffer): boolean {
  return magic.length >= 4 && (magic.readUInt32LE(0) === LOCAL || magic.readUInt32LE(0) === EOCD);
}

/** Copies the regular files of a zip archive into a fresh private directory. */
export async function extractZip(file: string, limits: DecodeLimits): Promise<ExtractedArchive> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'procforensics-archive-'));
  fs.chmodSync(dir, 0o700);
  const skipped: string[] = [];
  let files = 0;
  let damage: string | null = null;
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const tailLen = Math.min(size, 65_557);
    const tail = Buffer.alloc(tailLen);
    fs.readSync(fd, tail, 0, tailLen, size - tailLen);
    let e = -1;
    for (let i = tailLen - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD) {
        e = i;
        break;
      }
    }
    if (e < 0) throw new Error('no end of central directory record: the zip is cut short');
    const count = tail.readUInt16LE(e + 10);
    const cdSize = tail.readUInt32LE(e + 12);
    const cdOffset = tail.readUInt32LE(e + 16);
    if (count === 0xffff || cdOffset === 0xffffffff) throw new Error('a ZIP64 archive, not read');
    const cd = Buffer.alloc(cdSize);
    fs.readSync(fd, cd, 0, cdSize, cdOffset);
    for (let at = 0, n = 0; n < count && at + 46 <= cd.length; n++) {
      if (cd.readUInt32LE(at) !== CENTRAL) throw new Error(`central directory damaged at entry ${n + 1}`);
      const method = cd.readUInt16LE(at + 10);
      const csize = cd.readUInt32LE(at + 20);
      const usize = cd.readUInt32LE(at + 24);
      const nameLen = cd.readUInt16LE(at + 28);
      const extraLen = cd.readUInt16LE(at + 30);
      const commentLen = cd.readUInt16LE(at + 32);
      const mode = cd.readUInt32LE(at + 38) >>> 16;
      const dosTime = cd.readUInt16LE(at + 12);
      const dosDate = cd.readUInt16LE(at + 14);
      const local = cd.readUInt32LE(at + 42);
      const name = cd.toString('utf8', at + 46, at + 46 + nameLen);
      at += 46 + nameLen + extraLen + commentLen;
      if (name.endsWith('/')) continue;
      if ((mode & S_IFMT) === S_IFLNK) {
        skipped.push(`${name}: a symbolic link inside the archive, not followed`);
        continue;
      }
      const target = safeEntry(dir, name);
      if (!target) {
        skipped.push(`${name}: a path outside the archive's tree`);
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
      const lh = Buffer.alloc(30);
      fs.readSync(fd, lh, 0, 30, local);
      if (lh.readUInt32LE(0) !== LOCAL) {
        skipped.push(`${name}: local header missing (archive damaged)`);
        continue;
      }
      const start = local + 30 + lh.readUInt16LE(26) + lh.readUInt16LE(28);
      fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
      const src = csize ? fs.createReadStream(file, { start, end: start + csize - 1 }) : Readable.from([]);
      try {
        const dest = fs.createWriteStream(target, { flags: 'wx', mode: 0o600 });
        if (method === 8) await pipeline(src, zlib.createInflateRaw(), capBytes(usize), dest);
        else await pipeline(src, capBytes(usize), dest);
        files++;
        // The entry's own time (DOS local time: the zip says no zone; good enough for the unchanged check).
        const t = Date.UTC(1980 + (dosDate >> 9), ((dosDate >> 5) & 15) - 1, dosDate & 31, dosTime >> 11, (dosTime >> 5) & 63, (dosTime & 31) * 2) / 1000;
        if (Number.isFinite(t) && t > 0) fs.utimesSync(target, t, t);
      } catch (err) {
        damage ??= `${name}: ${(err as Error).message}`;
      }
    }
  } catch (err) {
    damage = (err as Error).message;
  } finally {
    fs.closeSync(fd);
  }
  return { dir, files, skipped, damage, dispose: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Fails the copy when an entry inflates past the size its directory entry declared (a lying bomb). */
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
