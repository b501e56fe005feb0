// systemd journal export format (`journalctl -o export`), docs/JOURNAL_EXPORT_FORMATS.md
// (formats.md §8.1, §8.3):
//
//   __CURSOR=s=267b4c57f95a46d7a13beff5a54b7be1;i=1;b=1621aee481fa42ad9693fe91a054f095;m=2895f7bced;t=653aaef29c848;x=aafd4f06dc6852fc
//   __REALTIME_TIMESTAMP=1780843482302536
//   _BOOT_ID=1621aee481fa42ad9693fe91a054f095
//   SYSLOG_IDENTIFIER=systemd-journald
//   MESSAGE=Journal started
//   _SELINUX_CONTEXT
//   <64-bit little-endian length><bytes, may hold newlines>
//   (empty line ends the entry)
//
// A field is `NAME=value\n` when the value is printable UTF-8, else `NAME\n` + LE64 length + raw
// bytes + `\n` (binary-safe: a MESSAGE with newlines uses this form). Field order is undefined and
// a field may repeat. `__REALTIME_TIMESTAMP` (µs, when journald stored the entry) is the time;
// kernel entries carry the printk uptime in `_SOURCE_MONOTONIC_TIMESTAMP` (µs), which with the
// realtime makes the best boot anchor there is (formats.md §2.6).
//
// Units: one journal ENTRY is one unit. The module reads the (decompressed) stream itself
// (`readUnits`), because binary fields may hold newline bytes that a line splitter would cut, and
// because one entry spans many lines: a line-per-unit parser would have to skip (and so warn on)
// every field line. A unit's `index` is the line number of the entry's first line and its
// `offset` the entry's first byte, so provenance still points at the exact place in the file;
// the blank separator lines belong to no unit.
import type { EventRow, FactRow, FactTable, FormatModule, ParseOutput, Unit, UnitParser } from './types.js';
import { openDecoded } from '../sources/decompress.js';
import { extractMessageFacts } from './messages/index.js';

/** A parsed entry: field name → values (a field may repeat; values are raw bytes decoded as UTF-8). */
export type JournalFields = Map<string, string[]>;

/** Entries larger than this are not plausible (journald caps a field at 768 MiB but entries are small). */
const MAX_BINARY_FIELD = 64 * 1024 * 1024;
const NL = 0x0a;
const EQ = 0x3d;

/**
 * Finds where the entry starting at `start` ends. Returns the index just after the entry's last
 * field (the position of the blank separator line), or -1 if more bytes are needed, or -2 when a
 * binary field's length is implausible (corrupt data: the caller cuts the entry at the next blank line).
 */
function entryEnd(buf: Buffer, start: number): number {
  let p = start;
  for (;;) {
    const nl = buf.indexOf(NL, p);
    if (nl < 0) return -1;
    if (nl === p) return p; // blank line: end of entry
    const eq = buf.indexOf(EQ, p);
    if (eq >= 0 && eq < nl) {
      p = nl + 1;
      continue;
    }
    // binary field: NAME\n + le64 length + data + \n
    if (nl + 9 > buf.length) return -1;
    const len = buf.readBigUInt64LE(nl + 1);
    if (len > BigInt(MAX_BINARY_FIELD)) return -2;
    const after = nl + 9 + Number(len) + 1;
    if (after > buf.length) return -1;
    if (buf[after - 1] !== NL) return -2;
    p = after;
  }
}

function countNewlines(buf: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = buf.indexOf(NL, from); i >= 0 && i < to; i = buf.indexOf(NL, i + 1)) n++;
  return n;
}

/** Yields one unit per entry; see the header comment. */
export async function* readExportEntries(chunks: AsyncIterable<Buffer>): AsyncGenerator<Unit> {
  let buf: Buffer = Buffer.alloc(0);
  let pos = 0; // start of the next entry in buf
  let bufOffset = 0; // stream offset of buf[0]
  let line = 1; // line number of buf[pos]
  const make = (start: number, end: number): Unit => {
    const bytes = buf.subarray(start, end);
    const u: Unit = { index: line, offset: bufOffset + start, bytes: Buffer.from(bytes), text: bytes.toString('utf8'), truncated: false };
    return u;
  };
  const drain = function* (final: boolean): Generator<Unit> {
    for (;;) {
      // skip blank separator lines
      while (pos < buf.length && buf[pos] === NL) {
        pos++;
        line++;
      }
      if (pos >= buf.length) return;
      let end = entryEnd(buf, pos);
      if (end === -2) {
        // corrupt binary length: cut at the next blank line so parsing goes on
        const blank = buf.indexOf('\n\n', pos);
        if (blank < 0 && !final) return;
        end = blank < 0 ? buf.length : blank + 1;
      }
      if (end === -1) {
        if (!final) return;
        end = buf.length; // torn last entry
      }
      const u = make(pos, end);
      if (end === buf.length && final && buf[end - 1] !== NL) u.truncated = true;
      yield u;
      line += countNewlines(buf, pos, end);
      pos = end;
    }
  };
  for await (const chunk of chunks) {
    if (pos > 0) {
      bufOffset += pos;
      buf = pos >= buf.length ? chunk : Buffer.concat([buf.subarray(pos), chunk]);
      pos = 0;
    } else buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    yield* drain(false);
  }
  yield* drain(true);
}

/** Parses the fields of one entry unit; `problems` gets a note for a torn or corrupt field. */
export function parseExportFields(bytes: Buffer, problems: string[]): JournalFields {
  const fields: JournalFields = new Map();
  const add = (k: string, v: string) => {
    const a = fields.get(k);
    if (a) a.push(v);
    else fields.set(k, [v]);
  };
  let p = 0;
  while (p < bytes.length) {
    let nl = bytes.indexOf(NL, p);
    if (nl < 0) nl = bytes.length;
    if (nl === p) {
      p++;
      continue;
    }
    const eq = bytes.indexOf(EQ, p);
    if (eq >= 0 && eq < nl) {
      add(bytes.toString('latin1', p, eq), bytes.toString('utf8', eq + 1, nl));
      p = nl + 1;
      continue;
    }
    const name = bytes.toString('latin1', p, nl);
    if (nl + 9 > bytes.length) {
      problems.push(`binary field ${name} torn (no length)`);
      break;
    }
    const len = bytes.readBigUInt64LE(nl + 1);
    const end = nl + 9 + Number(len);
    if (len > BigInt(MAX_BINARY_FIELD) || end > bytes.length) {
      problems.push(`binary field ${name} has length ${len} beyond the entry`);
      break;
    }
    add(name, bytes.toString('utf8', nl + 9, end));
    p = end + 1;
  }
  return fields;
}

function first(f: JournalFields, k: string): string | null {
  const v = f.get(k);
  return v && v.length ? v[0] : null;
}

function intField(f: JournalFields, k: string): number | null {
  const v = first(f, k);
  if (v === null || !/^\d+$/.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * A journal entry (from export or JSON) as an event, plus the boot anchor of kernel entries and
 * the message facts. Shared by journal-export and journal-json.
 */
export function emitJournalEntry(f: JournalFields, out: ParseOutput, problems: string[]): void {
  const rtUs = first(f, '__REALTIME_TIMESTAMP') ?? first(f, '_SOURCE_REALTIME_TIMESTAMP');
  let ts: number | null = null;
  if (rtUs !== null && /^\d{1,19}$/.test(rtUs)) ts = Math.floor(Number(rtUs) / 1000);
  else problems.push('entry without __REALTIME_TIMESTAMP: stored without a time');
  const message = first(f, 'MESSAGE');
  if (message === null) problems.push('entry without MESSAGE');
  const bootId = first(f, '_BOOT_ID');
  const kernel = first(f, '_TRANSPORT') === 'kernel';
  const row: EventRow = {
    ts_utc_ms: ts,
    ts_quality: ts === null ? 'unknown' : 'exact',
    host: first(f, '_HOSTNAME'),
    program: first(f, 'SYSLOG_IDENTIFIER') ?? first(f, '_COMM') ?? (kernel ? 'kernel' : null),
    pid: intField(f, 'SYSLOG_PID') ?? intField(f, '_PID'),
    message: message ?? '',
    boot_key: bootId,
    severity: intField(f, 'PRIORITY'),
  };
  if (kernel) {
    const monoUs = intField(f, '_SOURCE_MONOTONIC_TIMESTAMP') ?? intField(f, '_SOURCE_BOOTTIME_TIMESTAMP');
    if (monoUs !== null) {
      row.uptime_s = monoUs / 1e6;
      if (ts !== null && bootId) {
        out.fact('boot_anchors', { host: row.host, boot_key: bootId, uptime_s: row.uptime_s, ts_utc_ms: ts, kind: 'journal-kernel' });
      }
    }
  }
  out.event(row);
  extractMessageFacts(row, withJournalFields(f, out));
}

/**
 * The message text of systemd's unit lines names a description, not the unit id; the journal has
 * the id in UNIT= / USER_UNIT=, and coredump entries carry COREDUMP_SIGNAL. Fill those gaps.
 */
function withJournalFields(f: JournalFields, out: ParseOutput): ParseOutput {
  const unit = first(f, 'UNIT') ?? first(f, 'USER_UNIT');
  const coreSignal = intField(f, 'COREDUMP_SIGNAL');
  const coreExe = first(f, 'COREDUMP_EXE');
  if (unit === null && coreSignal === null && coreExe === null) return out;
  return {
    event: (r, from) => out.event(r, from),
    part: () => out.part(),
    skip: (r) => out.skip(r),
    warn: (m) => out.warn(m),
    fact(table: FactTable, row: FactRow) {
      if (unit !== null && (table === 'services' || table === 'process_ends') && (row.unit === null || row.unit === undefined)) row = { ...row, unit };
      if (table === 'process_ends' && row.kind === 'coredump') {
        if (coreSignal !== null && (row.signal === null || row.signal === undefined)) row = { ...row, signal: coreSignal };
        if (coreExe !== null && !row.exe) row = { ...row, exe: coreExe };
      }
      out.fact(table, row);
    },
  };
}

class JournalExportParser implements UnitParser {
  parse(unit: Unit, out: ParseOutput): void {
    if (!unit.bytes.length || !unit.text.trim()) {
      out.skip('empty entry');
      return;
    }
    const problems: string[] = [];
    const f = parseExportFields(unit.bytes, problems);
    if (unit.truncated) problems.push('last entry torn (no blank line after it)');
    if (!f.size) {
      out.skip(problems.length ? `no journal fields: ${problems.join('; ')}` : 'no journal fields');
      return;
    }
    emitJournalEntry(f, out, problems);
    for (const p of problems) out.warn(p);
  }
}

export const journalExport: FormatModule = {
  name: 'journal-export',
  description: 'systemd journal export format (journalctl -o export)',
  unit: 'line',
  order: 0,
  detect(probe) {
    const head = probe.head.toString('latin1', 0, Math.min(probe.head.length, 8192));
    if (/^__CURSOR=s=[0-9a-f]+;/.test(head)) return 90;
    // Field order is undefined: look for the metadata fields in the first entry.
    const firstEntry = head.split('\n\n')[0];
    if (/^__REALTIME_TIMESTAMP=\d+$/m.test(firstEntry) && /^[A-Z_][A-Z0-9_]*=/.test(head)) return 85;
    return 0;
  },
  async *readUnits(path: string) {
    const dec = await openDecoded(path);
    yield* readExportEntries(dec.chunks);
  },
  createParser: () => new JournalExportParser(),
  samples: [
    {
      input: 'MESSAGE=foo.service: Main process exited, code=killed, status=9/KILL',
      note: 'one-field entry (registry samples are single lines; multi-line entries are in test/formats/journal.test.ts)',
      event: { ts_utc_ms: null, ts_quality: 'unknown', message: 'foo.service: Main process exited, code=killed, status=9/KILL' },
    },
  ],
};
