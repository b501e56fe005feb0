import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';
import type { EventRow, FactRow, FactTable } from '../formats/types.js';
import { notableKinds } from './notable.js';

interface Provenance {
  src_line: number;
  src_offset: number;
}

type Pending =
  | { t: 'fact'; p: Provenance; table: FactTable; row: FactRow }
  | { t: 'warning'; line: number | null; offset: number | null; message: string };

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
}
const EVENT_COLUMNS = [
  'source_id', 'src_line', 'src_offset', 'ts_utc_ms', 'ts_quality', 'host', 'program', 'pid',
  'uptime_s', 'boot_key', 'severity', 'raw', 'msg_start', 'message_text',
] as const;

/**
 * Buffers rows of one source and writes them in batches, each batch in one synchronous
 * transaction, with statements prepared once per table and column set. Events, the bulk of every
 * case, are kept as flat parameter arrays (no object per row) and written 16 to a statement.
 */
export class BatchWriter {
  private pending: Pending[] = [];
  private eventParams: unknown[] = [];
  private eventCount = 0;
  private readonly insertEvent: Statement;
  private readonly insertEvents: Statement;
  private readonly insertWarning: Statement;
  private readonly insertNotable: Statement;
  private notableParams: unknown[] = [];
  /** Events written (or buffered) with a local wall time: alignment pairs only such sources. */
  localLines = 0;
  /** Per boot segment of this source: what the `segments` table summarises (see mergeSegments). */
  private readonly segs = new Map<string | null, SegmentSummary>();
  private readonly factStatements = new Map<string, FactStatement>();
  private readonly flushTx: (events: unknown[], rows: Pending[], notable: unknown[]) => void;

  constructor(
    private readonly db: Db,
    private readonly sourceId: number,
    private readonly batchSize = 10000,
  ) {
    const one = `(${EVENT_COLUMNS.map(() => '?').join(', ')})`;
    const insert = `INSERT INTO events (${EVENT_COLUMNS.join(', ')}) VALUES `;
    this.insertEvent = db.prepare(insert + one);
    this.insertEvents = db.prepare(insert + Array(ROWS_PER_STATEMENT).fill(one).join(', '));
    this.insertWarning = db.prepare(
      `INSERT INTO warnings (source_id, src_line, src_offset, message) VALUES (?, ?, ?, ?)`,
    );
    this.insertNotable = db.prepare(`INSERT INTO notable_lines (source_id, src_line, src_offset, kind) VALUES (?, ?, ?, ?)`);
    this.flushTx = db.transaction((events: unknown[], rows: Pending[], notable: unknown[]) => {
      this.writeEvents(events);
      this.writeRows(rows);
      for (let i = 0; i < notable.length; i += 4) this.insertNotable.run(notable[i], notable[i + 1], notable[i + 2], notable[i + 3]);
    });
  }

  event(p: Provenance, e: EventRow, raw: string): void {
    const [msgStart, messageText] = messageColumns(raw, e.message);
    this.eventParams.push(
      this.sourceId, p.src_line, p.src_offset, e.ts_utc_ms, e.ts_quality, e.host, e.program, e.pid,
      e.uptime_s ?? null, e.boot_key ?? null, e.severity ?? null, raw, msgStart, messageText,
    );
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
    if (kinds) for (const k of kinds) this.notableParams.push(this.sourceId, p.src_line, p.src_offset, k);
    if (++this.eventCount + this.pending.length >= this.batchSize) this.flush();
  }

  fact(p: Provenance, table: FactTable, row: FactRow): void {
    this.pending.push({ t: 'fact', p, table, row });
    if (this.eventCount + this.pending.length >= this.batchSize) this.flush();
  }

  warning(line: number | null, offset: number | null, message: string): void {
    this.pending.push({ t: 'warning', line, offset, message });
    if (this.eventCount + this.pending.length >= this.batchSize) this.flush();
  }

  /** Writes everything buffered in one transaction; optionally runs `also` inside it. */
  flush(also?: () => void): void {
    const rows = this.pending;
    const events = this.eventParams;
    const notable = this.notableParams;
    this.pending = [];
    this.eventParams = [];
    this.notableParams = [];
    this.eventCount = 0;
    if (also) {
      this.db.transaction(() => {
        this.flushTx(events, rows, notable);
        also();
      })();
    } else if (rows.length || events.length) {
      this.flushTx(events, rows, notable);
    }
  }

  private writeEvents(params: unknown[]): void {
    const n = EVENT_COLUMNS.length;
    const block = n * ROWS_PER_STATEMENT;
    let i = 0;
    for (; i + block <= params.length; i += block) this.insertEvents.run(params.slice(i, i + block));
    for (; i < params.length; i += n) this.insertEvent.run(params.slice(i, i + n));
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

  /** Drops what is buffered (used when an attempt is restarted). */
  discard(): void {
    this.pending = [];
    this.eventParams = [];
    this.notableParams = [];
    this.eventCount = 0;
  }

  /**
   * Facts grouped by table and column set, each group written 16 rows to a statement (the order
   * of rows inside a table is kept; tables have no order between them).
   */
  private writeRows(rows: Pending[]): void {
    const groups = new Map<string, { st: FactStatement; params: unknown[] }>();
    for (const r of rows) {
      if (r.t === 'warning') {
        this.insertWarning.run(this.sourceId, r.line, r.offset, r.message);
        continue;
      }
      const cols = Object.keys(r.row).filter((k) => r.row[k] !== undefined);
      const key = r.table + ':' + cols.join(',');
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { st: this.factStatement(key, r.table, cols), params: [] }));
      g.params.push(this.sourceId, r.p.src_line, r.p.src_offset);
      for (const c of g.st.cols) g.params.push(r.row[c]);
    }
    for (const { st, params } of groups.values()) {
      const n = st.cols.length + 3;
      const block = n * ROWS_PER_STATEMENT;
      let i = 0;
      for (; i + block <= params.length; i += block) st.many.run(params.slice(i, i + block));
      for (; i < params.length; i += n) st.one.run(params.slice(i, i + n));
    }
  }

  private factStatement(key: string, table: FactTable, cols: string[]): FactStatement {
    let st = this.factStatements.get(key);
    if (!st) {
      if (!TABLE_NAME.test(table)) throw new Error(`bad fact table name ${table}`);
      for (const c of cols) if (!COLUMN_NAME.test(c)) throw new Error(`bad fact column name ${c}`);
      const all = ['source_id', 'src_line', 'src_offset', ...cols];
      const one = `(${all.map(() => '?').join(', ')})`;
      const insert = `INSERT INTO ${table} (${all.join(', ')}) VALUES `;
      st = { cols, one: this.db.prepare(insert + one), many: this.db.prepare(insert + Array(ROWS_PER_STATEMENT).fill(one).join(', ')) };
      this.factStatements.set(key, st);
    }
    return st;
  }
}
