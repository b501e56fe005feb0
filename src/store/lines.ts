// Every stored line lives in a block of up to BLOCK_LINES consecutive lines of one source: the
// block's rows as one JSON array, deflated (zlib, RFC 1950), beside a few columns that say which
// block to open (source and line range, time range, the pids it holds). A busy host writes
// millions of lines a day; one SQLite row and three index entries per line made the case 2.4 times
// the size of the logs and cost half of the ingest. The facts the correlation joins (signals,
// logins, commands, …) stay rows; the lines are read by (source, line), by time or by pid, a block
// at a time, here.
//
// The `events` view decodes the blocks in SQL, so a case stays queryable line by line. Its
// decoder is `sqlar_uncompress(data, size)` (the sqlar format's: zlib data, or the data itself
// when stored uncompressed), which the sqlite3 shell has built in and `openCaseDb` registers:
//
//   sqlite3 case.db "SELECT ts_utc_ms, host, program, pid, message FROM events WHERE program = 'sshd' LIMIT 5"
//
// A row of the JSON array (LineTuple):
//   [src_line, src_offset, ts_utc_ms, ts_quality, host, program, pid, uptime_s, boot_key, severity,
//    raw, msg_start, message_text]
// `message` is `message_text`, or `raw` from `msg_start` on (UTF-16 units, never cutting a pair).
import zlib from 'node:zlib';
import type { Db } from './db.js';

export type LineTuple = [
  src_line: number,
  src_offset: number,
  ts_utc_ms: number | null,
  ts_quality: string,
  host: string | null,
  program: string | null,
  pid: number | null,
  uptime_s: number | null,
  boot_key: string | null,
  severity: number | null,
  raw: string,
  msg_start: number | null,
  message_text: string | null,
];

/** Positions in a LineTuple. */
export const L = {
  line: 0, offset: 1, ts: 2, quality: 3, host: 4, program: 5, pid: 6, uptime: 7, boot: 8, severity: 9, raw: 10, msgStart: 11, msgText: 12,
} as const;

export interface StoredLine {
  source_id: number;
  src_line: number;
  src_offset: number;
  ts_utc_ms: number | null;
  ts_quality: string;
  host: string | null;
  program: string | null;
  pid: number | null;
  uptime_s: number | null;
  boot_key: string | null;
  severity: number | null;
  raw: string;
  message: string;
}

/** Lines per block: small enough that one line costs a small inflate, large enough to compress. */
export const BLOCK_LINES = 1000;
/** A block also ends after this many characters of raw text (journal entries, long records). */
export const BLOCK_CHARS = 256 * 1024;
/** zlib level: 2 compresses these blocks within 10 % of level 6 at twice the speed. */
export const DEFLATE_LEVEL = 2;

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * Most messages are the tail of their raw line: store the start position instead of a second copy
 * (SQLite's substr counts code points, JS counts UTF-16 units, so a prefix with astral characters
 * falls back to storing the text).
 */
export function messageColumns(raw: string, message: string): [number | null, string | null] {
  if (raw.endsWith(message)) {
    const start = raw.length - message.length;
    if (!SURROGATE.test(raw.slice(0, start))) return [start, null];
  }
  return [null, message];
}
/** Lines whose time came (or must come) from their kernel uptime: what anchoring reads. */
export function isAnchorable(t: LineTuple): boolean {
  return t[L.uptime] !== null && (t[L.ts] === null || t[L.quality] === 'uptime_anchored');
}

export function messageOf(t: LineTuple): string {
  return t[L.msgText] ?? t[L.raw].slice(t[L.msgStart] ?? 0);
}

export function toStoredLine(sourceId: number, t: LineTuple): StoredLine {
  return {
    source_id: sourceId,
    src_line: t[L.line],
    src_offset: t[L.offset],
    ts_utc_ms: t[L.ts],
    ts_quality: t[L.quality],
    host: t[L.host],
    program: t[L.program],
    pid: t[L.pid],
    uptime_s: t[L.uptime],
    boot_key: t[L.boot],
    severity: t[L.severity],
    raw: t[L.raw],
    message: messageOf(t),
  };
}

/** The columns of a block row that say what is inside it. */
export interface BlockSummary {
  first_line: number;
  last_line: number;
  lines: number;
  timed: number;
  anchorable: number;
  ts_min: number | null;
  ts_max: number | null;
  pids: Buffer | null;
  programs: string;
}

const INT32_MAX = 2147483647;

/** Sorted distinct pids as int32 little-endian; null (always open the block) if one does not fit. */
function pidSet(rows: readonly LineTuple[]): Buffer | null {
  const seen = new Set<number>();
  for (const t of rows) {
    const p = t[L.pid];
    if (p === null) continue;
    if (!Number.isInteger(p) || p < -INT32_MAX || p > INT32_MAX) return null;
    seen.add(p);
  }
  const a = Int32Array.from(seen).sort();
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** The block's distinct program names, each between newlines (a name never holds one), for `instr`. */
function programList(names: Set<string>): string {
  let out = '\n';
  for (const n of names) if (!n.includes('\n')) out += n + '\n';
  return out;
}

/** The `instr` needle that finds `program` in a block's program list. */
export function programNeedle(program: string): string {
  return '\n' + program + '\n';
}

export function summarise(rows: readonly LineTuple[]): BlockSummary {
  let timed = 0;
  let anchorable = 0;
  let tsMin: number | null = null;
  let tsMax: number | null = null;
  const programs = new Set<string>();
  for (const t of rows) {
    const ts = t[L.ts];
    if (ts !== null) {
      timed++;
      if (tsMin === null || ts < tsMin) tsMin = ts;
      if (tsMax === null || ts > tsMax) tsMax = ts;
    }
    if (isAnchorable(t)) anchorable++;
    const p = t[L.program];
    if (p !== null) programs.add(p);
  }
  return {
    first_line: rows[0]![L.line],
    last_line: rows[rows.length - 1]![L.line],
    lines: rows.length,
    timed,
    anchorable,
    ts_min: tsMin,
    ts_max: tsMax,
    pids: pidSet(rows),
    programs: programList(programs),
  };
}

export function encodeBlock(rows: readonly LineTuple[]): { data: Buffer; json_bytes: number } {
  const json = Buffer.from(JSON.stringify(rows), 'utf8');
  return { data: zlib.deflateSync(json, { level: DEFLATE_LEVEL }), json_bytes: json.length };
}

/** sqlar's convention: data as long as the original is stored as is. */
function inflate(data: Buffer, size: number): Buffer {
  return data.length === size ? data : zlib.inflateSync(data);
}

export function decodeBlock(data: Buffer, size: number): LineTuple[] {
  return JSON.parse(inflate(data, size).toString('utf8')) as LineTuple[];
}

/** True when the sorted int32 set holds `pid` (binary search). */
export function pidSetHas(pids: Buffer | null, pid: number): boolean {
  if (pids === null) return true;
  let lo = 0;
  let hi = (pids.length >> 2) - 1;
  while (lo <= hi) {
    const m = (lo + hi) >> 1;
    const v = pids.readInt32LE(m << 2);
    if (v === pid) return true;
    if (v < pid) lo = m + 1;
    else hi = m - 1;
  }
  return false;
}

/** SQL functions every connection to a case has: the view's decoder and the block filters. */
export function registerLineFunctions(db: Db): void {
  db.function('sqlar_uncompress', { deterministic: true }, (data: unknown, size: unknown) => {
    if (!Buffer.isBuffer(data) || typeof size !== 'number') return null;
    return inflate(data, size);
  });
  db.function('pf_has_pid', { deterministic: true }, (pids: unknown, pid: unknown) => {
    if (typeof pid !== 'number' && typeof pid !== 'bigint') return 0;
    return pidSetHas(Buffer.isBuffer(pids) ? pids : null, Number(pid)) ? 1 : 0;
  });
}

interface BlockRef {
  id: number;
  source_id: number;
  ts_min: number | null;
  ts_max: number | null;
}

/** Decoded blocks kept per reader: enough for evidence lookups and a pass over one source. */
const CACHE_BLOCKS = 16;
/** Block rows read per page when blocks are walked in time order. */
const BLOCK_PAGE = 64;

type TimeOrder = 'asc' | 'desc';

/** Orders lines by (time, source, line), ascending or descending. */
function compareLines(a: StoredLine, b: StoredLine, sign: number): number {
  return sign * ((a.ts_utc_ms! - b.ts_utc_ms!) || (a.source_id - b.source_id) || (a.src_line - b.src_line));
}

/** A binary heap of lines, smallest first by `before`. */
class LineHeap {
  private readonly a: StoredLine[] = [];
  constructor(private readonly before: (x: StoredLine, y: StoredLine) => boolean) {}
  get size(): number {
    return this.a.length;
  }
  peek(): StoredLine | undefined {
    return this.a[0];
  }
  push(x: StoredLine): void {
    const a = this.a;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): StoredLine | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.before(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

/**
 * Reads stored lines. Every query finds its blocks by their summary columns (indexed by source
 * and line, by time, or filtered by pid set), then opens only those; decoded blocks are cached.
 * Statements run to completion before any other runs (results are paged), so a caller may write
 * between reads.
 */
export class LineStore {
  private readonly cache = new Map<number, LineTuple[]>();
  private readonly st;

  /** `cacheBlocks`: a report reads a window and counts it, and keeps more blocks (48) so that neither evicts the other. */
  constructor(
    private readonly db: Db,
    private readonly cacheBlocks = CACHE_BLOCKS,
  ) {
    this.st = {
      data: db.prepare(`SELECT json_bytes, data FROM event_block_data WHERE block_id = ?`),
      blockAt: db.prepare(
        `SELECT id FROM event_blocks WHERE source_id = ? AND first_line <= ? ORDER BY first_line DESC LIMIT 1`,
      ),
      blocksFrom: db.prepare(
        `SELECT id, first_line, last_line FROM event_blocks WHERE source_id = ? AND last_line >= ? AND first_line <= ?
         ORDER BY first_line LIMIT ${BLOCK_PAGE}`,
      ),
      asc: db.prepare(
        `SELECT id, source_id, ts_min, ts_max FROM event_blocks
         WHERE ts_min IS NOT NULL AND ts_max >= @lo AND ts_min <= @hi AND (ts_min, id) > (@k, @id)
           AND (@prog IS NULL OR instr(programs, @prog) > 0)
         ORDER BY ts_min, id LIMIT ${BLOCK_PAGE}`,
      ),
      desc: db.prepare(
        `SELECT id, source_id, ts_min, ts_max FROM event_blocks
         WHERE ts_max IS NOT NULL AND ts_min <= @hi AND ts_max >= @lo AND (ts_max, id) < (@k, @id)
           AND (@prog IS NULL OR instr(programs, @prog) > 0)
         ORDER BY ts_max DESC, id DESC LIMIT ${BLOCK_PAGE}`,
      ),
      ofPid: db.prepare(
        `SELECT id, source_id FROM event_blocks WHERE id > ? AND pf_has_pid(pids, ?) ORDER BY id LIMIT ${BLOCK_PAGE}`,
      ),
      withProgram: db.prepare(
        `SELECT id, source_id FROM event_blocks WHERE id > ? AND instr(programs, ?) > 0 ORDER BY id LIMIT ${BLOCK_PAGE}`,
      ),
      maxBefore: db.prepare(`SELECT MAX(ts_max) AS t FROM event_blocks WHERE ts_max < ?`),
      straddling: db.prepare(`SELECT id, source_id FROM event_blocks WHERE ts_min < ? AND ts_max >= ? AND id > ? ORDER BY id LIMIT ${BLOCK_PAGE}`),
      maxTs: db.prepare(`SELECT MAX(ts_max) AS t FROM event_blocks`),
      inside: db.prepare(`SELECT COALESCE(SUM(timed), 0) AS n FROM event_blocks WHERE ts_min >= ? AND ts_max <= ?`),
      partial: db.prepare(
        `SELECT id, source_id FROM event_blocks WHERE ts_max >= ? AND ts_min <= ? AND NOT (ts_min >= ? AND ts_max <= ?) AND id > ?
         ORDER BY id LIMIT ${BLOCK_PAGE}`,
      ),
    };
  }

  /** The decoded rows of a block (sorted by src_line). */
  block(id: number): LineTuple[] {
    let rows = this.cache.get(id);
    if (rows) {
      this.cache.delete(id);
      this.cache.set(id, rows);
      return rows;
    }
    const r = this.st.data.get(id) as { json_bytes: number; data: Buffer } | undefined;
    rows = r ? decodeBlock(r.data, r.json_bytes) : [];
    this.cache.set(id, rows);
    if (this.cache.size > this.cacheBlocks) this.cache.delete(this.cache.keys().next().value!);
    return rows;
  }

  /** Forgets decoded blocks (after the blocks were rewritten). */
  clear(): void {
    this.cache.clear();
  }

  /** One line by its provenance. */
  at(sourceId: number, srcLine: number): StoredLine | undefined {
    const b = this.st.blockAt.get(sourceId, srcLine) as { id: number } | undefined;
    if (!b) return undefined;
    const t = findRow(this.block(b.id), srcLine);
    return t ? toStoredLine(sourceId, t) : undefined;
  }

  /** The lines of a source from `fromLine` to `toLine` (inclusive), in line order. */
  *range(sourceId: number, fromLine = 1, toLine = Number.MAX_SAFE_INTEGER): Generator<StoredLine> {
    let from = fromLine;
    for (;;) {
      const page = this.st.blocksFrom.all(sourceId, from, toLine) as Array<{ id: number; first_line: number; last_line: number }>;
      if (!page.length) return;
      for (const b of page) {
        for (const t of this.block(b.id)) {
          const n = t[L.line];
          if (n >= from && n <= toLine) yield toStoredLine(sourceId, t);
        }
        from = b.last_line + 1;
      }
      if (from > toLine) return;
    }
  }

  /**
   * Lines with a time in [lo, hi], in time order (ties by source, then line), optionally only
   * those `keep` accepts (and, with `program`, only in blocks where that program wrote). Blocks overlap in time (several files cover one hour): a block is opened
   * when the order reaches its first (last) time.
   */
  *byTime(
    lo: number,
    hi: number,
    order: TimeOrder = 'asc',
    keep?: (l: StoredLine) => boolean,
    opts: { program?: string } = {},
  ): Generator<StoredLine> {
    const prog = opts.program !== undefined ? programNeedle(opts.program) : null;
    const sign = order === 'asc' ? 1 : -1;
    const heap = new LineHeap((a, b) => compareLines(a, b, sign) < 0);
    let page: BlockRef[] = [];
    let pi = 0;
    let done = false;
    let kMs = order === 'asc' ? -Number.MAX_VALUE : Number.MAX_VALUE;
    let kId = order === 'asc' ? 0 : Number.MAX_SAFE_INTEGER;
    const next = (): BlockRef | undefined => {
      if (pi >= page.length && !done) {
        page = (order === 'asc' ? this.st.asc : this.st.desc).all({ lo, hi, k: kMs, id: kId, prog }) as BlockRef[];
        pi = 0;
        if (!page.length) done = true;
        else {
          const last = page[page.length - 1]!;
          kMs = (order === 'asc' ? last.ts_min : last.ts_max)!;
          kId = last.id;
        }
      }
      return page[pi];
    };
    for (;;) {
      let b = next();
      while (b && (heap.size === 0 || sign * ((order === 'asc' ? b.ts_min! : b.ts_max!) - heap.peek()!.ts_utc_ms!) <= 0)) {
        pi++;
        for (const t of this.block(b.id)) {
          const ts = t[L.ts];
          if (ts === null || ts < lo || ts > hi) continue;
          const l = toStoredLine(b.source_id, t);
          if (!keep || keep(l)) heap.push(l);
        }
        b = next();
      }
      const top = heap.pop();
      if (!top) return;
      yield top;
    }
  }

  /** Lines with a time in [lo, hi]. */
  countByTime(lo: number, hi: number): number {
    let n = (this.st.inside.get(lo, hi) as { n: number }).n;
    for (let after = 0; ; ) {
      const page = this.st.partial.all(lo, hi, lo, hi, after) as Array<{ id: number }>;
      if (!page.length) return n;
      for (const b of page) {
        for (const t of this.block(b.id)) {
          const ts = t[L.ts];
          if (ts !== null && ts >= lo && ts <= hi) n++;
        }
        after = b.id;
      }
    }
  }

  /** The lines `keep` accepts of the blocks `page` lists (id > after, in id order), block by block. */
  private *filtered(page: (after: number) => Array<{ id: number; source_id: number }>, keep: (t: LineTuple) => boolean): Generator<StoredLine> {
    for (let after = 0; ; ) {
      const blocks = page(after);
      if (!blocks.length) return;
      for (const b of blocks) {
        for (const t of this.block(b.id)) if (keep(t)) yield toStoredLine(b.source_id, t);
        after = b.id;
      }
    }
  }

  /** Every line written with process id `pid`, in block order. */
  ofPid(pid: number): Generator<StoredLine> {
    return this.filtered((after) => this.st.ofPid.all(after, pid) as Array<{ id: number; source_id: number }>, (t) => t[L.pid] === pid);
  }

  /** Every stored line, file by file in line order, a block at a time. */
  *all(): Generator<StoredLine> {
    const page = this.db.prepare(`SELECT id, source_id FROM event_blocks WHERE (source_id, first_line) > (?, ?) ORDER BY source_id, first_line LIMIT ${BLOCK_PAGE}`);
    for (let s = 0, l = 0; ; ) {
      const blocks = page.all(s, l) as Array<{ id: number; source_id: number }>;
      if (!blocks.length) return;
      for (const b of blocks) {
        const rows = this.block(b.id);
        for (const t of rows) yield toStoredLine(b.source_id, t);
        s = b.source_id;
        l = rows[0]?.[L.line] ?? l;
        this.cache.delete(b.id); // read once: no point keeping it
      }
    }
  }

  /** Every line of program `program`, in block order. */
  withProgram(program: string): Generator<StoredLine> {
    const needle = programNeedle(program);
    return this.filtered(
      (after) => this.st.withProgram.all(after, needle) as Array<{ id: number; source_id: number }>,
      (t) => t[L.program] === program,
    );
  }

  /** The latest time of any line before `t`. */
  maxTsBefore(t: number): number | null {
    let best = (this.st.maxBefore.get(t) as { t: number | null }).t;
    for (let after = 0; ; ) {
      const page = this.st.straddling.all(t, t, after) as Array<{ id: number }>;
      if (!page.length) return best;
      for (const b of page) {
        for (const r of this.block(b.id)) {
          const ts = r[L.ts];
          if (ts !== null && ts < t && (best === null || ts > best)) best = ts;
        }
        after = b.id;
      }
    }
  }

  /** The latest time of any line. */
  maxTs(): number | null {
    return (this.st.maxTs.get() as { t: number | null }).t;
  }
}

/**
 * Rewrites blocks in place: `edit` changes the rows of one block (returns true when it did),
 * and the block's summary follows. Used by the passes that correct times after parsing.
 */
export class BlockEditor {
  private readonly blocksOf;
  private readonly data;
  private readonly upd;
  private readonly updData;
  constructor(private readonly db: Db) {
    this.blocksOf = db.prepare(`SELECT id, first_line, last_line FROM event_blocks WHERE source_id = ? AND id > ? ORDER BY id LIMIT ${BLOCK_PAGE}`);
    this.data = db.prepare(`SELECT json_bytes, data FROM event_block_data WHERE block_id = ?`);
    this.upd = db.prepare(
      `UPDATE event_blocks SET first_line = ?, last_line = ?, lines = ?, timed = ?, anchorable = ?, ts_min = ?, ts_max = ?, pids = ?, programs = ? WHERE id = ?`,
    );
    this.updData = db.prepare(`UPDATE event_block_data SET json_bytes = ?, data = ? WHERE block_id = ?`);
  }

  private rows(id: number): LineTuple[] {
    const r = this.data.get(id) as { json_bytes: number; data: Buffer };
    return decodeBlock(r.data, r.json_bytes);
  }

  private write(id: number, rows: LineTuple[]): void {
    const s = summarise(rows);
    const enc = encodeBlock(rows);
    this.upd.run(s.first_line, s.last_line, s.lines, s.timed, s.anchorable, s.ts_min, s.ts_max, s.pids, s.programs, id);
    this.updData.run(enc.json_bytes, enc.data, id);
  }

  /** Applies `edit` to every row of a source; returns the rows changed. */
  editSource(sourceId: number, edit: (t: LineTuple) => boolean): number {
    let changed = 0;
    for (let after = 0; ; ) {
      const page = this.blocksOf.all(sourceId, after) as Array<{ id: number }>;
      if (!page.length) return changed;
      for (const b of page) {
        const rows = this.rows(b.id);
        let n = 0;
        for (const t of rows) if (edit(t)) n++;
        if (n) this.write(b.id, rows);
        changed += n;
        after = b.id;
      }
    }
  }

  /**
   * Sets new times on listed lines, given sorted by (source, line) a page at a time by `page`
   * (which returns [] at the end): [source_id, src_line, ts_utc_ms].
   */
  retime(page: (afterSource: number, afterLine: number) => Array<[number, number, number]>, quality: string): void {
    const blockAt = this.db.prepare(
      `SELECT id, last_line FROM event_blocks WHERE source_id = ? AND first_line <= ? ORDER BY first_line DESC LIMIT 1`,
    );
    let cur: { id: number; source: number; last: number; rows: LineTuple[]; dirty: boolean } | null = null;
    const flush = () => {
      if (cur?.dirty) this.write(cur.id, cur.rows);
      cur = null;
    };
    for (let s = 0, l = 0; ; ) {
      const list = page(s, l);
      if (!list.length) break;
      for (const [source, line, ts] of list) {
        if (!cur || cur.source !== source || line > cur.last) {
          flush();
          const b = blockAt.get(source, line) as { id: number; last_line: number } | undefined;
          if (!b) continue;
          cur = { id: b.id, source, last: b.last_line, rows: this.rows(b.id), dirty: false };
        }
        const t = findRow(cur!.rows, line);
        if (t) {
          t[L.ts] = ts;
          t[L.quality] = quality;
          cur!.dirty = true;
        }
      }
      const last = list[list.length - 1]!;
      s = last[0];
      l = last[1];
    }
    flush();
  }

  /** Removes the lines of a source after `afterLine` (an interrupted attempt, a torn last line). */
  truncate(sourceId: number, afterLine: number): void {
    this.db.prepare(`DELETE FROM event_block_data WHERE block_id IN (SELECT id FROM event_blocks WHERE source_id = ? AND first_line > ?)`).run(sourceId, afterLine);
    this.db.prepare(`DELETE FROM event_blocks WHERE source_id = ? AND first_line > ?`).run(sourceId, afterLine);
    const b = this.db
      .prepare(`SELECT id FROM event_blocks WHERE source_id = ? AND first_line <= ? AND last_line > ?`)
      .get(sourceId, afterLine, afterLine) as { id: number } | undefined;
    if (b) this.write(b.id, this.rows(b.id).filter((t) => t[L.line] <= afterLine));
  }
}

function findRow(rows: LineTuple[], line: number): LineTuple | undefined {
  let lo = 0;
  let hi = rows.length - 1;
  while (lo <= hi) {
    const m = (lo + hi) >> 1;
    const v = rows[m]![L.line];
    if (v === line) return rows[m];
    if (v < line) lo = m + 1;
    else hi = m - 1;
  }
  return undefined;
}

/** One line to store, as a parser's row and its provenance give it. */
export interface LineInput {
  src_line: number;
  src_offset: number;
  ts_utc_ms: number | null;
  ts_quality: string;
  host?: string | null;
  program?: string | null;
  pid?: number | null;
  uptime_s?: number | null;
  boot_key?: string | null;
  severity?: number | null;
  raw: string;
  /** Defaults to raw. */
  message?: string;
}

/**
 * Stores a few lines of one source (tools and tests; the ingest writer streams its own blocks):
 * blocks of the source whose line range meets the new lines are merged with them and written
 * again, so that blocks of one source never overlap (lookups by line rely on it). A new line
 * replaces a stored one of the same number.
 */
export function storeLines(db: Db, sourceId: number, lines: readonly LineInput[]): void {
  if (!lines.length) return;
  const byLine = new Map<number, LineTuple>();
  const fresh = lines.map((l): LineTuple => {
    const [msgStart, msgText] = messageColumns(l.raw, l.message ?? l.raw);
    return [
      l.src_line, l.src_offset, l.ts_utc_ms, l.ts_quality, l.host ?? null, l.program ?? null, l.pid ?? null, l.uptime_s ?? null,
      l.boot_key ?? null, l.severity ?? null, l.raw, msgStart, msgText,
    ];
  });
  const lo = Math.min(...fresh.map((t) => t[L.line]));
  const hi = Math.max(...fresh.map((t) => t[L.line]));
  const met = db
    .prepare(
      `SELECT b.id AS id, d.json_bytes AS json_bytes, d.data AS data FROM event_blocks b JOIN event_block_data d ON d.block_id = b.id
       WHERE b.source_id = ? AND b.last_line >= ? AND b.first_line <= ?`,
    )
    .all(sourceId, lo, hi) as Array<{ id: number; json_bytes: number; data: Buffer }>;
  for (const b of met) for (const t of decodeBlock(b.data, b.json_bytes)) byLine.set(t[L.line], t);
  for (const t of fresh) byLine.set(t[L.line], t);
  const delData = db.prepare(`DELETE FROM event_block_data WHERE block_id = ?`);
  const delBlock = db.prepare(`DELETE FROM event_blocks WHERE id = ?`);
  for (const b of met) {
    delData.run(b.id);
    delBlock.run(b.id);
  }
  const rows = [...byLine.values()].sort((a, b) => a[L.line] - b[L.line]);
  const insert = blockInserter(db);
  for (let i = 0; i < rows.length; i += BLOCK_LINES) {
    const part = rows.slice(i, i + BLOCK_LINES);
    const enc = encodeBlock(part);
    insert(sourceId, summarise(part), enc.json_bytes, enc.data);
  }
}

/** Stores one block (its summary row and its data), with the statements prepared once. */
export function blockInserter(db: Db): (sourceId: number, s: BlockSummary, jsonBytes: number, data: Buffer) => void {
  const block = db.prepare(
    `INSERT INTO event_blocks (source_id, first_line, last_line, lines, timed, anchorable, ts_min, ts_max, pids, programs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const data = db.prepare(`INSERT INTO event_block_data (block_id, json_bytes, data) VALUES (?, ?, ?)`);
  return (sourceId, s, jsonBytes, bytes) => {
    const id = block.run(sourceId, s.first_line, s.last_line, s.lines, s.timed, s.anchorable, s.ts_min, s.ts_max, s.pids, s.programs).lastInsertRowid;
    data.run(id, jsonBytes, bytes);
  };
}
