import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';
import type { EventRow, FactRow, FactTable } from '../formats/types.js';
import { notableKinds } from './notable.js';
import { LINE_TIMED_TABLES } from './schema/index.js';
import zlib from 'node:zlib';
import { BLOCK_CHARS, BLOCK_LINES, DEFLATE_LEVEL, L, blockInserter, messageColumns, summarise, type BlockSummary, type LineTuple } from './lines.js';

interface Provenance {
  src_line: number;
  src_offset: number;
}

const TABLE_NAME = /^[a-z_]+$/;
const COLUMN_NAME = /^[a-z_][a-z0-9_]*$/;

/** Fact rows whose time is their line's: shifted with it (notable_lines are written from the shifted event). */
const SHIFTED_WITH_LINE: ReadonlySet<string> = new Set(LINE_TIMED_TABLES.filter((t) => t !== 'notable_lines'));

/** Rows per multi-row INSERT: fewer calls into SQLite, well under its parameter limit. */
const ROWS_PER_STATEMENT = 16;

export interface SegmentSummary {
  host: string | null;
  first_ms: number | null;
  last_ms: number | null;
  timed: number;
  hosted: number;
  kernel: number;
}

/** Adds one line to the summary of its boot segment (what a row of `segments` says). */
export function addToSegment(
  segs: Map<string | null, SegmentSummary>,
  bk: string | null,
  ts: number | null,
  host: string | null,
  program: string | null,
): void {
  let g = segs.get(bk);
  if (!g) segs.set(bk, (g = { host: null, first_ms: null, last_ms: null, timed: 0, hosted: 0, kernel: 0 }));
  if (ts !== null) {
    g.timed++;
    if (g.first_ms === null || ts < g.first_ms) g.first_ms = ts;
    if (g.last_ms === null || ts > g.last_ms) g.last_ms = ts;
    if (host !== null) {
      g.hosted++;
      if (g.host === null || host > g.host) g.host = host;
    }
  }
  if (program === 'kernel') g.kernel++;
}

/** Blocks deflated at once at most: the parser waits for the oldest beyond this. */
const MAX_PENDING_BLOCKS = 4;

interface PendingBlock {
  sum: BlockSummary;
  json_bytes: number;
  data: Buffer | null;
  done: Promise<void>;
}

interface FactStatement {
  cols: string[];
  one: Statement;
  many: Statement;
  /** Parameters of the rows not yet written (fewer than ROWS_PER_STATEMENT). */
  block: unknown[];
  rows: number;
}
/**
 * Writes the rows of one source as they come, inside a transaction committed every `batchSize`
 * rows. Lines go into blocks of BLOCK_LINES (src/store/lines.ts), a block written when full and at
 * every commit, so that what is committed is whole. Fact rows go 16 to a statement from a reused
 * parameter block: nothing grows with the batch, and nothing is copied but the values.
 * A source is 'ingesting' until its last transaction (flush), so a killed run loses nothing that a
 * rerun does not redo.
 */
export class BatchWriter {
  private readonly insertBlock: ReturnType<typeof blockInserter>;
  private readonly insertWarning: Statement;
  private readonly insertNotable: Statement;
  private lines: LineTuple[] = [];
  private lineChars = 0;
  /** Blocks being deflated on libuv's thread pool (beside the parsing thread), oldest first. */
  private pending: PendingBlock[] = [];
  /** The transaction is full: commit at the next settle(). */
  private commitDue = false;
  private rowsInTx = 0;
  /** Events written with a local wall time: alignment pairs only such sources. */
  localLines = 0;
  /** Subtracted from local and year-inferred times as they are written (a grown, already aligned file). */
  localShiftMs = 0;
  /** The unit whose event was shifted: its facts' times are shifted too. */
  private shiftedLine = -1;
  /** Per boot segment of this source: what the `segments` table summarises (see mergeSegments). */
  private readonly segs = new Map<string | null, SegmentSummary>();
  private readonly factStatements = new Map<string, FactStatement>();

  constructor(
    private readonly db: Db,
    private readonly sourceId: number,
    private readonly batchSize = 50000,
  ) {
    this.insertBlock = blockInserter(db);
    this.insertWarning = db.prepare(
      `INSERT INTO warnings (source_id, src_line, src_offset, message) VALUES (?, ?, ?, ?)`,
    );
    this.insertNotable = db.prepare(
      `INSERT INTO notable_lines (source_id, src_line, src_offset, kind, ts_utc_ms, ts_quality, host, program, pid, uptime_s, boot_key, message, raw)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  private begin(): void {
    if (!this.db.inTransaction) this.db.exec('BEGIN');
  }

  /** After each row: commit at the next settle() when the batch is full. */
  private counted(): void {
    if (++this.rowsInTx >= this.batchSize) this.commitDue = true;
  }

  /**
   * Called by the reading loop between chunks: stores the blocks whose deflate is done, waits
   * for the oldest when too many are in flight, and commits a full transaction once all its blocks
   * are in.
   */
  async settle(): Promise<void> {
    this.insertReady();
    if (this.commitDue) {
      await this.allDeflated();
      this.commit();
    } else if (this.pending.length > MAX_PENDING_BLOCKS) {
      await this.pending[0]!.done;
      this.insertReady();
    }
  }

  private async allDeflated(): Promise<void> {
    await Promise.all(this.pending.map((p) => p.done));
    this.insertReady();
  }

  /** Inserts deflated blocks in the order they were cut. */
  private insertReady(): void {
    while (this.pending.length && this.pending[0]!.data) {
      const p = this.pending.shift()!;
      this.begin();
      this.insertBlock(this.sourceId, p.sum, p.json_bytes, p.data!);
    }
  }

  event(p: Provenance, e0: EventRow, raw: string): void {
    this.begin();
    let e = e0;
    if (this.localShiftMs && e.ts_utc_ms !== null && (e.ts_quality === 'local_assumed' || e.ts_quality === 'year_inferred')) {
      e = { ...e, ts_utc_ms: e.ts_utc_ms - this.localShiftMs };
      this.shiftedLine = p.src_line;
    }
    const [msgStart, messageText] = messageColumns(raw, e.message);
    this.lines.push([
      p.src_line, p.src_offset, e.ts_utc_ms, e.ts_quality, e.host, e.program, e.pid, e.uptime_s ?? null, e.boot_key ?? null,
      e.severity ?? null, raw, msgStart, messageText,
    ]);
    this.lineChars += raw.length;
    if (this.lines.length >= BLOCK_LINES || this.lineChars >= BLOCK_CHARS) this.writeBlock();
    if (e.ts_quality === 'local_assumed' || e.ts_quality === 'year_inferred') this.localLines++;
    addToSegment(this.segs, e.boot_key ?? null, e.ts_utc_ms, e.host, e.program);
    const kinds = notableKinds(e.program, e.message, e.ts_utc_ms !== null, e.uptime_s != null);
    if (kinds) {
      for (const k of kinds) {
        this.insertNotable.run(
          this.sourceId, p.src_line, p.src_offset, k, e.ts_utc_ms, e.ts_quality, e.host, e.program, e.pid, e.uptime_s ?? null,
          e.boot_key ?? null, e.message, raw,
        );
      }
    }
    this.counted();
  }

  fact(p: Provenance, table: FactTable, row0: FactRow): void {
    this.begin();
    let row = row0;
    if (this.shiftedLine === p.src_line && typeof row.ts_utc_ms === 'number' && SHIFTED_WITH_LINE.has(table)) {
      row = { ...row, ts_utc_ms: row.ts_utc_ms - this.localShiftMs };
    }
    let key = table;
    for (const k in row) if (row[k] !== undefined) key += ',' + k;
    const st = this.factStatement(key, table, row);
    const n = st.cols.length + 3;
    const b = st.block;
    let i = st.rows * n;
    b[i++] = this.sourceId;
    b[i++] = p.src_line;
    b[i++] = p.src_offset;
    for (const c of st.cols) b[i++] = row[c];
    if (++st.rows === ROWS_PER_STATEMENT) {
      st.many.run(b);
      st.rows = 0;
    }
    this.counted();
  }

  warning(line: number | null, offset: number | null, message: string): void {
    this.begin();
    this.insertWarning.run(this.sourceId, line, offset, message);
    this.counted();
  }

  /** Writes the lines gathered so far as one block (in line order, which lookups rely on). */
  private writeBlock(): void {
    const rows = this.lines;
    if (!rows.length) return;
    this.lines = [];
    this.lineChars = 0;
    for (let i = 1; i < rows.length; i++) {
      if (rows[i]![L.line] < rows[i - 1]![L.line]) {
        rows.sort((a, b) => a[L.line] - b[L.line]);
        break;
      }
    }
    const json = Buffer.from(JSON.stringify(rows), 'utf8');
    const p: PendingBlock = { sum: summarise(rows), json_bytes: json.length, data: null, done: Promise.resolve() };
    p.done = new Promise((resolve, reject) =>
      zlib.deflate(json, { level: DEFLATE_LEVEL }, (err, out) => {
        if (err) reject(err);
        else {
          p.data = out;
          resolve();
        }
      }),
    );
    this.pending.push(p);
  }

  /** Writes the rows of partly filled fact blocks, one statement each. */
  private drainFacts(): void {
    for (const st of this.factStatements.values()) {
      const m = st.cols.length + 3;
      for (let r = 0; r < st.rows; r++) st.one.run(st.block.slice(r * m, r * m + m));
      st.rows = 0;
    }
  }

  /** Commits what is written; every cut block must be in (allDeflated before). */
  private commit(): void {
    this.drainFacts();
    if (this.db.inTransaction) this.db.exec('COMMIT');
    this.rowsInTx = 0;
    this.commitDue = false;
  }

  /** Writes everything and commits; optionally runs `also` inside that last transaction. */
  async flush(also?: () => void): Promise<void> {
    this.writeBlock();
    await this.allDeflated();
    if (also) {
      this.begin();
      this.drainFacts();
      also();
    }
    this.commit();
  }

  /**
   * Adds this writer's segment summaries to the `segments` table (call inside the source's last
   * transaction). Same columns as a GROUP BY over the source's events would give (MAX(host) by
   * byte order, the same as JavaScript's for ASCII host names).
   */
  mergeSegments(): void {
    const get = this.db.prepare(`SELECT rowid AS rid, host, first_ms, last_ms FROM segments WHERE source_id = ? AND boot_key IS ?`);
    const upd = this.db.prepare(
      `UPDATE segments SET host = ?, first_ms = ?, last_ms = ?, timed_lines = timed_lines + ?, host_lines = host_lines + ?, kernel_lines = kernel_lines + ? WHERE rowid = ?`,
    );
    const ins = this.db.prepare(
      `INSERT INTO segments (source_id, boot_key, host, first_ms, last_ms, timed_lines, host_lines, kernel_lines) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const min = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));
    const max = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));
    for (const [bk, g] of this.segs) {
      const r = get.get(this.sourceId, bk) as { rid: number; host: string | null; first_ms: number | null; last_ms: number | null } | undefined;
      if (r) {
        const host = r.host === null ? g.host : g.host === null ? r.host : g.host > r.host ? g.host : r.host;
        upd.run(host, min(r.first_ms, g.first_ms), max(r.last_ms, g.last_ms), g.timed, g.hosted, g.kernel, r.rid);
      } else ins.run(this.sourceId, bk, g.host, g.first_ms, g.last_ms, g.timed, g.hosted, g.kernel);
    }
    this.segs.clear();
  }

  /** Drops what is not yet committed (an attempt being restarted); recovery removes the rest. */
  discard(): void {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
    this.lines = [];
    this.lineChars = 0;
    this.pending = [];
    this.commitDue = false;
    this.rowsInTx = 0;
    this.localLines = 0;
    this.segs.clear();
    for (const st of this.factStatements.values()) st.rows = 0;
  }

  private factStatement(key: string, table: FactTable, row: FactRow): FactStatement {
    let st = this.factStatements.get(key);
    if (!st) {
      if (!TABLE_NAME.test(table)) throw new Error(`bad fact table name ${table}`);
      const cols = Object.keys(row).filter((k) => row[k] !== undefined);
      for (const c of cols) if (!COLUMN_NAME.test(c)) throw new Error(`bad fact column name ${c}`);
      const all = ['source_id', 'src_line', 'src_offset', ...cols];
      const one = `(${all.map(() => '?').join(', ')})`;
      const insert = `INSERT INTO ${table} (${all.join(', ')}) VALUES `;
      st = {
        cols,
        one: this.db.prepare(insert + one),
        many: this.db.prepare(insert + Array(ROWS_PER_STATEMENT).fill(one).join(', ')),
        block: new Array(all.length * ROWS_PER_STATEMENT),
        rows: 0,
      };
      this.factStatements.set(key, st);
    }
    return st;
  }
}
