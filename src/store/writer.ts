import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';
import type { EventRow, FactRow, FactTable } from '../formats/types.js';

interface Provenance {
  src_line: number;
  src_offset: number;
}

type Pending =
  | { t: 'event'; p: Provenance; row: EventRow; raw: string }
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

/**
 * Buffers rows of one source and writes them in batches, each batch in one synchronous
 * transaction, with statements prepared once per table and column set.
 */
export class BatchWriter {
  private pending: Pending[] = [];
  private readonly insertEvent: Statement;
  private readonly insertWarning: Statement;
  private readonly factStatements = new Map<string, { stmt: Statement; cols: string[] }>();
  private readonly flushTx: (rows: Pending[]) => void;
  eventsWritten = 0;
  warningsWritten = 0;

  constructor(
    private readonly db: Db,
    private sourceId: number,
    private readonly batchSize = 10000,
  ) {
    this.insertEvent = db.prepare(
      `INSERT INTO events (source_id, src_line, src_offset, ts_utc_ms, ts_quality, host, program, pid,
        uptime_s, boot_key, severity, raw, msg_start, message_text)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertWarning = db.prepare(
      `INSERT INTO warnings (source_id, src_line, src_offset, message) VALUES (?, ?, ?, ?)`,
    );
    this.flushTx = db.transaction((rows: Pending[]) => {
      for (const r of rows) this.writeOne(r);
    });
  }

  setSource(id: number): void {
    this.sourceId = id;
  }

  event(p: Provenance, row: EventRow, raw: string): void {
    this.pending.push({ t: 'event', p, row, raw });
    if (this.pending.length >= this.batchSize) this.flush();
  }

  fact(p: Provenance, table: FactTable, row: FactRow): void {
    this.pending.push({ t: 'fact', p, table, row });
    if (this.pending.length >= this.batchSize) this.flush();
  }

  warning(line: number | null, offset: number | null, message: string): void {
    this.pending.push({ t: 'warning', line, offset, message });
    if (this.pending.length >= this.batchSize) this.flush();
  }

  /** Writes everything buffered in one transaction; optionally runs `also` inside it. */
  flush(also?: () => void): void {
    const rows = this.pending;
    this.pending = [];
    if (also) {
      this.db.transaction(() => {
        this.flushTx(rows);
        also();
      })();
    } else if (rows.length) {
      this.flushTx(rows);
    }
  }

  /** Drops what is buffered (used when an attempt is restarted). */
  discard(): void {
    this.pending = [];
  }

  private writeOne(r: Pending): void {
    const s = this.sourceId;
    if (r.t === 'event') {
      const e = r.row;
      this.insertEvent.run(
        s,
        r.p.src_line,
        r.p.src_offset,
        e.ts_utc_ms,
        e.ts_quality,
        e.host,
        e.program,
        e.pid,
        e.uptime_s ?? null,
        e.boot_key ?? null,
        e.severity ?? null,
        r.raw,
        ...messageColumns(r.raw, e.message),
      );
      this.eventsWritten++;
    } else if (r.t === 'warning') {
      this.insertWarning.run(s, r.line, r.offset, r.message);
      this.warningsWritten++;
    } else {
      const cols = Object.keys(r.row).filter((k) => r.row[k] !== undefined);
      const key = r.table + ':' + cols.join(',');
      let st = this.factStatements.get(key);
      if (!st) {
        if (!TABLE_NAME.test(r.table)) throw new Error(`bad fact table name ${r.table}`);
        for (const c of cols) if (!COLUMN_NAME.test(c)) throw new Error(`bad fact column name ${c}`);
        const all = ['source_id', 'src_line', 'src_offset', ...cols];
        st = {
          cols,
          stmt: this.db.prepare(
            `INSERT INTO ${r.table} (${all.join(', ')}) VALUES (${all.map(() => '?').join(', ')})`,
          ),
        };
        this.factStatements.set(key, st);
      }
      const values = st.cols.map((c) => r.row[c] as string | number | bigint | null);
      st.stmt.run(s, r.p.src_line, r.p.src_offset, ...values);
    }
  }
}
