// The contract between the sources layer, the format modules and the store.
//
// A format module turns units (lines of a text file, fixed-size records of a binary one) into
// rows. It never touches SQLite: for every unit it calls exactly one of `out.event()` or
// `out.skip()`, plus any number of `out.fact()` and `out.warn()`. The pipeline counts units,
// checks that contract, adds provenance (source, unit number, byte offset) to every row, and
// hands batches to the store.

/** How a stored UTC time was obtained, best first (the one ranking: src/time/quality.ts). */
export type TimeQuality =
  | 'exact' // the evidence carries the instant (epoch, or a date with a UTC offset)
  | 'uptime_anchored' // seconds since boot mapped through a boot anchor found in the evidence (ms precision)
  | 'year_inferred' // date without a year, zone given by the user (--tz); year from the evidence
  | 'local_assumed' // local wall time whose zone was assumed (inferred offset or UTC)
  | 'unknown';

export const TIME_QUALITIES: readonly TimeQuality[] = ['exact', 'uptime_anchored', 'year_inferred', 'local_assumed', 'unknown'];

/** One line (text formats) or one record (binary formats) of a decompressed stream. */
export interface Unit {
  /** 1-based line or record number in the decompressed stream. */
  index: number;
  /** Byte offset of the unit's first byte in the decompressed stream. */
  offset: number;
  /** Raw bytes of the unit (a line without its newline; a whole record). */
  bytes: Buffer;
  /** For line units: the line decoded as UTF-8 (invalid sequences replaced), NULs kept. '' for records. */
  text: string;
  /** For line units: true when the line was longer than the cap and was cut. */
  truncated: boolean;
  /** The line as read, when `text` was rewritten before parsing (a line-number prefix cut off). */
  raw?: string;
}

/** One row of the `events` table, without its provenance (the pipeline adds that). */
export interface EventRow {
  ts_utc_ms: number | null;
  ts_quality: TimeQuality;
  host: string | null;
  program: string | null;
  pid: number | null;
  message: string;
  /** printk seconds since boot, for kernel lines that carry one. */
  uptime_s?: number | null;
  /** Identifies the boot within this source for uptime lines (e.g. 'b0', 'b1', or a journal _BOOT_ID). */
  boot_key?: string | null;
  /** syslog severity 0-7 when the evidence says it. */
  severity?: number | null;
}

/** Columns of a fact row; provenance columns (source_id, src_line, src_offset) are added by the pipeline. */
export type FactRow = Record<string, string | number | bigint | null | undefined>;

/** Where a multi-line record starts, for `event(row, from)`. */
export interface RecordStart {
  /** Line number of the record's first line. */
  index: number;
  /** Byte offset of the record's first line. */
  offset: number;
  /** The record's text as read (its lines joined with '\n'). */
  raw: string;
}

export interface ParseOutput {
  /**
   * Store the row of the current unit; or, with `from`, the row of a multi-line record that ends
   * here and began at `from` (its provenance). May be called from `end()` only with `from`.
   */
  event(row: EventRow, from?: RecordStart): void;
  /**
   * The current unit is a line of a multi-line record (journal export entry, wrapped sudo log
   * record) whose row is stored through `event(row, from)`: counted as stored, no row of its own.
   */
  part(): void;
  /**
   * The unit is not stored. `expected`: it is a normal non-record (a blank line, a header line, an
   * empty lastlog slot): counted as skipped and as such in `sources.empty_units`, without a warning.
   */
  skip(reason: string, expected?: boolean): void;
  fact(table: FactTable, row: FactRow): void;
  /** A warning about the current unit (or about the file when called from `end`). */
  warn(message: string): void;
}

/** A UTC offset inferred from the evidence, for local times that carry none. */
export interface AssumedOffset {
  /** The offset seen most often, minutes east of UTC. */
  minutes: number;
  why: string;
  /** Offsets seen over time (several when DST changed inside the case), sorted by from_ms. */
  spans: Array<{ from_ms: number; to_ms: number; minutes: number }>;
}

/** Everything a parser may know about the file and the case, decided before parsing starts. */
export interface ParseContext {
  /** The source's name (an archive entry is `archive.tar.gz!var/log/wtmp`). */
  path: string;
  /** The first decoded bytes detection saw (up to 64 KiB), when known. */
  head?: Buffer | null;
  /** When the bundle holding the file was collected (a sosreport's `date --utc`): a ps listing's time. */
  collectedMs?: number | null;
  /** The user's --tz (IANA zone) if given. */
  tz: string | null;
  /**
   * UTC offset in minutes to assume for local wall times when no --tz was given, and how it was
   * found ("inferred from RFC 3339 offsets of host vm in syslog" or "assumed UTC"). Null offset:
   * nothing known, parser must assume UTC and say so.
   */
  assumedOffset: AssumedOffset | null;
  /**
   * Reference instant for yearless timestamps (the file's last line is at or before it), and
   * how it was obtained ('dateext name', 'gzip header mtime', 'file mtime', …).
   */
  yearRef: { utc_ms: number; method: string } | null;
  /** Result of the format's prescan, if it declared one. */
  prescan: unknown;
  /** Record size chosen at detection, for record formats. */
  recordSize: number;
}

export interface UnitParser {
  parse(unit: Unit, out: ParseOutput): void;
  /** Called once after the last unit; may emit facts and warnings (not events). */
  end?(out: ParseOutput): void;
  /** Notes for the manifest about how times were obtained (year inference method, assumed zone…). */
  timeNotes?(): string | null;
}

export interface Probe {
  /** First bytes of the decompressed stream (up to 64 KiB). */
  head: Buffer;
  /** Basename of the file with compression suffixes stripped (hint only). */
  name: string;
  path: string;
  /** Decompressed size if known (uncompressed files), else null. */
  size: number | null;
}

export interface FormatSample {
  /** A real or format-faithful line (text formats) or a hex-encoded record (binary formats). */
  input: string;
  /** Fields the resulting event must carry (subset match). */
  event?: Partial<EventRow>;
  /** Facts that must be produced (subset match of each, in order). */
  facts?: Array<{ table: FactTable; row: FactRow }>;
  /** Expect the unit to be skipped. */
  skipped?: boolean;
  /** Context overrides for the sample (tz, yearRef…). */
  context?: Partial<ParseContext>;
  note?: string;
}

export interface Prescan {
  observe(unit: Unit): void;
  result(): unknown;
}

export interface FormatModule {
  /** Stable identifier stored in sources.format. */
  name: string;
  description: string;
  unit: 'line' | 'record';
  /**
   * Cheap check on the first bytes. Returns a score (higher wins, 0 = not mine). Never claim a
   * file you cannot parse.
   */
  detect(probe: Probe): number;
  /** For record formats: the record size for this file (may depend on the probe). */
  recordSize?(probe: Probe): number;
  /** Optional first pass over the units (e.g. month sequence for year inference). */
  prescan?(ctx: Omit<ParseContext, 'prescan'>): Prescan;
  /** Whether this file needs the prescan (default: yes). It costs a second decompression. */
  needsPrescan?(probe: Probe): boolean;
  createParser(ctx: ParseContext): UnitParser;
  /**
   * For containers that are not byte streams of lines or records (wtmpdb's SQLite file): yields
   * the units itself (bytes = a JSON or binary encoding of one row). The pipeline still counts,
   * checks and stores them as for any other format.
   */
  readUnits?(path: string): AsyncIterable<Unit>;
  /**
   * Lines hold raw bytes by design (journal export binary fields: NULs in their length bytes,
   * any bytes in their data): the pipeline then makes no warnings of NULs, invalid UTF-8 or cut
   * lines; the parser says what is wrong.
   */
  rawLines?: boolean;
  /**
   * Lower runs earlier. Formats that carry exact times (0) run before those that need an
   * anchor or an inferred zone (10).
   */
  order: number;
  samples: FormatSample[];
}

/** Fact tables a parser may write; their columns are defined in src/store/schema/. */
export type FactTable =
  | 'audit_records'
  | 'signals'
  | 'logins'
  | 'commands'
  | 'process_ends'
  | 'services'
  | 'utmp_records'
  | 'pacct_records'
  | 'ps_snapshot'
  | 'boot_anchors'
  | 'audit_loss'
  | 'tz_offsets';

/** The format of `candidates` that scores the probe highest (0 = not claimed), or null when none claims it. */
export function detectBest(candidates: readonly FormatModule[], probe: Probe): FormatModule | null {
  let best: FormatModule | null = null;
  let score = 0;
  for (const f of candidates) {
    const v = f.detect(probe);
    if (v > score) {
      score = v;
      best = f;
    }
  }
  return best;
}
