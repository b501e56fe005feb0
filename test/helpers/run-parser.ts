// Runs a format module over in-memory units, collecting what it emits, without SQLite.
import type { EventRow, FactRow, FactTable, FormatModule, ParseContext, RecordStart, Unit } from '../../src/formats/types.js';

export interface Collected {
  events: Array<EventRow & { unit: number }>;
  facts: Array<{ table: FactTable; row: FactRow; unit: number }>;
  skips: Array<{ unit: number; reason: string }>;
  /** Units that are lines of a multi-line record (out.part()). */
  parts: number[];
  warnings: Array<{ unit: number | null; message: string }>;
  timeNotes: string | null;
}

export function defaultContext(over: Partial<ParseContext> = {}): ParseContext {
  return { path: '/test', tz: null, assumedOffset: null, yearRef: null, prescan: null, recordSize: 0, ...over };
}

export function unitsFromText(text: string): Unit[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let offset = 0;
  return lines.map((l, i) => {
    const bytes = Buffer.from(l, 'utf8');
    const u: Unit = { index: i + 1, offset, bytes, text: l, truncated: false };
    offset += bytes.length + 1;
    return u;
  });
}

export function unitsFromRecords(buf: Buffer, size: number): Unit[] {
  const out: Unit[] = [];
  for (let i = 0; i + size <= buf.length; i += size) {
    out.push({ index: out.length + 1, offset: i, bytes: buf.subarray(i, i + size), text: '', truncated: false });
  }
  return out;
}

export function runParser(format: FormatModule, units: Unit[], over: Partial<ParseContext> = {}): Collected {
  const ctx = defaultContext(over);
  if (format.prescan) {
    const pre = format.prescan(ctx);
    for (const u of units) pre.observe(u);
    ctx.prescan = pre.result();
  }
  const parser = format.createParser(ctx);
  const c: Collected = { events: [], facts: [], skips: [], parts: [], warnings: [], timeNotes: null };
  let cur: Unit | null = null;
  const out = {
    event: (row: EventRow, from?: RecordStart) => c.events.push({ ...row, unit: from ? from.index : cur!.index }),
    part: () => c.parts.push(cur!.index),
    skip: (reason: string) => c.skips.push({ unit: cur!.index, reason }),
    fact: (table: FactTable, row: FactRow) => c.facts.push({ table, row, unit: cur ? cur.index : 0 }),
    warn: (message: string) => c.warnings.push({ unit: cur ? cur.index : null, message }),
  };
  for (const u of units) {
    cur = u;
    parser.parse(u, out);
  }
  cur = null;
  parser.end?.(out);
  c.timeNotes = parser.timeNotes?.() ?? null;
  return c;
}
