import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';
import type { EventRow, FactRow, FactTable } from '../formats/types.js';
import { notableKinds } from './notable.js';

interface Provenance {
  src_line: number;
  src_offset: number;
}

const TABLE_NAME = /^[a-z_]+$/;
const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * Most messages are the tail of their raw line: store the start position instead of a second copy
 * (SQLite's substr counts code points, JS counts UTF-16 units, so a prefix with astral characters
 * falls back to storing the text).
 */
function messageColumns(raw: string, message: string): [number | null, string | null] {
  if (raw.endsWith(message)) {
    const start = raw.length - message.length;
    if (!SURROGATE.test(raw.slice(0, start))) return [start, null];
  }
  return [null, message];
}
const COLUMN_NAME = /^[a-z_][a-z0-9_]*$/;

/** Rows per multi-row INSERT: fewer calls into SQLite, well under its parameter limit. */
const ROWS_PER_STATEMENT = 16;

interface SegmentSummary {
  host: string | null;
  first_ms: number | null;
  last_ms: number | null;
  timed: number;
  hosted: number;
  kernel: number;
}

interface FactStatement {
  cols: string[];
  one: Statement;
  many: Statement;
  /** Parameters of the rows not yet written (fewer than ROWS_PER_STATEMENT). */
  block: unknown[];
  rows: number;
}
const EVENT_COLUMNS = [
  'source_id', 'src_line', 'src_offset', 'ts_utc_ms', 'ts_quality', 'host', 'program', 'pid',
  'uptime_s', 'boot_key', 'severity', 'raw', 'msg_start', 'message_text',
] as const;
const NE = EVENT_COLUMNS.length;

/**
 * Writes the rows of one source as they come, inside a transaction committed every `batchSize`
 * rows, with statements prepared once per table and column set. Rows go 16 to a statement from a
 * reused parameter block: nothing grows with the batch, and nothing is copied but the values.
 * A source is 'ingesting' until its last transaction (flush), so a killed run loses nothing that a
 * rerun does not redo.
 */
export class BatchWriter {
  private readonly insertEvent: Statement;
  private readonly insertEvents: Statement;
  private readonly insertWarning: Statement;
  private readonly insertNotable: Statement;
  private readonly eventBlock: unknown[] = new Array(NE * ROWS_PER_STATEMENT);
  private eventRows = 0;
  private rowsInTx = 0;
  /** Events written with a local wall time: alignment pairs only such sources. */
  localLines = 0;
  /** Per boot segment of this source: what the `segments` table summarises (see mergeSegments). */
  private readonly segs = new Map<string | null, SegmentSummary>();
  private readonly factStatements = new Map<string, FactStatement>();

  constructor(
    private readonly db: Db,
    private readonly sourceId: number,
    private readonly batchSize = 50000,
  ) {
    const one = `(${EVENT_COLUMNS.map(() => '?').join(', ')})`;
    const insert = `INSERT INTO events (${EVENT_COLUMNS.join(', ')}) VALUES `;
    this.insertEvent = db.prepare(insert + one);
    this.insertEvents = db.prepare(insert + Array(ROWS_PER_STATEMENT).fill(one).join(', '));
    this.insertWarning = db.prepare(
      `INSERT INTO warnings (source_id, src_line, src_offset, message) VALUES (?, ?, ?, ?)`,
    );
    this.insertNotable = db.prepare(`INSERT INTO notable_lines (source_id, src_line, src_offset, kind) VALUES (?, ?, ?, ?)`);
  }

  private begin(): void {
    if (!this.db.inTransaction) this.db.exec('BEGIN');
  }

  /** After each row: commit when the batch is full. */
  private counted(): void {
    if (++this.rowsInTx >= this.batchSize) this.commit();
  }

  event(p: Provenance, e: EventRow, raw: string): void {
    this.begin();
    const [msgStart, messageText] = messageColumns(raw, e.message);
    const b = this.eventBlock;
    let i = this.eventRows * NE;
    b[i++] = this.sourceId;
    b[i++] = p.src_line;
    b[i++] = p.src_offset;
    b[i++] = e.ts_utc_ms;
    b[i++] = e.ts_quality;
    b[i++] = e.host;
    b[i++] = e.program;
    b[i++] = e.pid;
    b[i++] = e.uptime_s ?? null;
    b[i++] = e.boot_key ?? null;
    b[i++] = e.severity ?? null;
    b[i++] = raw;
    b[i++] = msgStart;
    b[i++] = messageText;
    if (++this.eventRows === ROWS_PER_STATEMENT) {
      this.insertEvents.run(b);
      this.eventRows = 0;
    }
    if (e.ts_quality === 'local_assumed' || e.ts_quality === 'year_inferred') this.localLines++;
    const bk = e.boot_key ?? null;
    let g = this.segs.get(bk);
    if (!g) this.segs.set(bk, (g = { host: null, first_ms: null, last_ms: null, timed: 0, hosted: 0, kernel: 0 }));
    const ts = e.ts_utc_ms;
    if (ts !== null) {
      g.timed++;
      if (g.first_ms === null || ts < g.first_ms) g.first_ms = ts;
      if (g.last_ms === null || ts > g.last_ms) g.last_ms = ts;
      if (e.host !== null) {
        g.hosted++;
        if (g.host === null || e.host > g.host) g.host = e.host;
      }
    }
    if (e.program === 'kernel') g.kernel++;
    const kinds = notableKinds(e.program, e.message, e.ts_utc_ms !== null, e.uptime_s != null);
    if (kinds) for (const k of kinds) this.insertNotable.run(this.sourceId, p.src_line, p.src_offset, k);
    this.counted();
  }

  fact(p: Provenance, table: FactTable, row: FactRow): void {
    this.begin();
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

  /** Writes the rows of partly filled blocks, one statement each. */
  private drain(): void {
    const n = NE;
    for (let r = 0; r < this.eventRows; r++) this.insertEvent.run(this.eventBlock.slice(r * n, r * n + n));
    this.eventRows = 0;
    for (const st of this.factStatements.values()) {
      const m = st.cols.length + 3;
      for (let r = 0; r < st.rows; r++) st.one.run(st.block.slice(r * m, r * m + m));
      st.rows = 0;
    }
  }

  private commit(): void {
    this.drain();
    if (this.db.inTransaction) this.db.exec('COMMIT');
    this.rowsInTx = 0;
  }

  /** Writes everything and commits; optionally runs `also` inside that last transaction. */
  flush(also?: () => void): void {
    if (also) {
      this.begin();
      this.drain();
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
    this.eventRows = 0;
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
