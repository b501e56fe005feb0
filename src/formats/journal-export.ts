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
// Units: lines, like every text file, so each line is counted and a grown export resumes where
// the last ingest stopped. The entry's row is stored by the blank line that ends it, with the
// provenance of the entry's first line (`event(row, from)`); its other lines are `part()`s. A
// binary field's data may hold newline bytes, so the line splitter cuts it into several units:
// it is put back together from those units by its length, using the units' offsets to restore
// what the splitter dropped (the '\n' between lines, a '\r' before it). A bare blank line
// outside an entry is skipped.
import type { EventRow, FactRow, FactTable, FormatModule, ParseOutput, RecordStart, Unit, UnitParser } from './types.js';
import { extractMessageFacts } from './messages/index.js';

/** A parsed entry: field name → values (a field may repeat; values are raw bytes decoded as UTF-8). */
export type JournalFields = Map<string, string[]>;

/** Larger binary fields are not plausible here (journald caps a field at 768 MiB but entries are small). */
const MAX_BINARY_FIELD_BYTES = 64 * 1024 * 1024;
/** Field names are upper-case letters, digits and '_', at most 64 of them (journal-file.c). */
const FIELD_NAME = /^[A-Z0-9_]{1,64}$/;
const LENGTH_BYTES = 8;
const CR = Buffer.from('\r');
const LF = Buffer.from('\n');

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
export function emitJournalEntry(f: JournalFields, out: ParseOutput, problems: string[], from?: RecordStart): void {
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
  const monoUs = kernel ? (intField(f, '_SOURCE_MONOTONIC_TIMESTAMP') ?? intField(f, '_SOURCE_BOOTTIME_TIMESTAMP')) : null;
  if (monoUs !== null) row.uptime_s = monoUs / 1e6;
  // The row first: the pipeline gives the facts that follow a record's row the record's provenance.
  if (from) out.event(row, from);
  else out.event(row);
  if (monoUs !== null && ts !== null && bootId) {
    out.fact('boot_anchors', { host: row.host, boot_key: bootId, uptime_s: monoUs / 1e6, ts_utc_ms: ts, kind: 'journal-kernel' });
  }
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

/** A binary field being put back together from the line units the splitter cut it into. */
interface BinaryField {
  name: string;
  /** Decoded stream offset of the field's first length byte. */
  dataStart: number;
  pieces: Buffer[];
  /** Bytes gathered so far (length bytes + data), newlines and restored CRs included. */
  have: number;
  /** Length bytes + data length, once the 8 length bytes are in. */
  need: number | null;
  /** Stream offset just after the last gathered byte. */
  pos: number;
  /** The last unit was cut by the splitter (bytes lost). */
  lastCut: boolean;
  lost: boolean;
}

class JournalExportParser implements UnitParser {
  private fields: JournalFields = new Map();
  private start: { index: number; offset: number } | null = null;
  private lines: string[] = [];
  private problems: string[] = [];
  private binary: BinaryField | null = null;
  /** After an implausible binary length: the rest of the entry cannot be read field by field. */
  private discarding = false;

  parse(unit: Unit, out: ParseOutput): void {
    if (this.binary) {
      if (this.continueBinary(unit)) {
        this.lines.push(unit.text);
        out.part();
        return;
      }
      // The field ended just before this line (its last data byte was a CR the splitter dropped).
    }
    if (!unit.bytes.length && !unit.truncated) {
      this.endEntry(out);
      return;
    }
    if (!this.start) this.start = { index: unit.index, offset: unit.offset };
    this.lines.push(unit.text);
    out.part();
    if (this.discarding) return;
    const text = unit.text;
    const eq = text.indexOf('=');
    if (eq > 0) {
      this.add(text.slice(0, eq), text.slice(eq + 1));
      if (unit.truncated) this.problems.push(`field ${text.slice(0, Math.min(eq, 64))} cut (line over the length cap)`);
      return;
    }
    if (FIELD_NAME.test(text)) {
      this.binary = {
        name: text,
        dataStart: unit.offset + unit.bytes.length + 1,
        pieces: [],
        have: 0,
        need: null,
        pos: unit.offset + unit.bytes.length + 1,
        lastCut: false,
        lost: false,
      };
      return;
    }
    this.problems.push(`line ${unit.index} is not a journal field: ${JSON.stringify(text.slice(0, 60))}`);
  }

  /**
   * Feeds a unit to the open binary field. Returns false when the field was already complete
   * before this unit (which then is an ordinary line of the entry).
   */
  private continueBinary(unit: Unit): boolean {
    const b = this.binary!;
    if (b.pieces.length || b.have) {
      // What the splitter dropped between the last unit and this one: the newline, and before it
      // a CR (or, after a cut line, the bytes it lost).
      const dropped = unit.offset - b.pos;
      if (dropped === 2 && !b.lastCut) this.gather(b, CR);
      else if (dropped > 1) {
        this.gather(b, Buffer.alloc(dropped - 1));
        b.lost = true;
      }
      // Complete before this unit: its last byte was the CR, or a cut line held the rest of it.
      if (b.need !== null && b.have >= b.need) {
        this.finishBinary();
        return false;
      }
      this.gather(b, LF);
    } else if (unit.offset !== b.dataStart) {
      // The name line itself ended in a CR or was cut: not a binary field after all.
      this.problems.push(`binary field ${b.name}: unexpected bytes after its name`);
    }
    this.gather(b, unit.bytes);
    b.pos = unit.offset + unit.bytes.length;
    b.lastCut = unit.truncated;
    if (b.need === null && b.have >= LENGTH_BYTES) {
      const len = Buffer.concat(b.pieces).readBigUInt64LE(0);
      if (len > BigInt(MAX_BINARY_FIELD_BYTES)) {
        this.problems.push(`binary field ${b.name} has length ${len} beyond the entry`);
        this.binary = null;
        this.discarding = true;
        return true;
      }
      b.need = LENGTH_BYTES + Number(len);
    }
    if (b.need !== null) {
      if (b.have === b.need) this.finishBinary();
      else if (b.have > b.need) {
        // The data does not end at a newline: keep the declared bytes, drop the rest of the line.
        this.problems.push(`binary field ${b.name}: no newline after its ${b.need - LENGTH_BYTES} bytes`);
        this.finishBinary();
      }
    }
    return true;
  }

  private gather(b: BinaryField, bytes: Buffer): void {
    b.pieces.push(bytes);
    b.have += bytes.length;
  }

  private finishBinary(): void {
    const b = this.binary!;
    this.binary = null;
    const all = Buffer.concat(b.pieces);
    const end = Math.min(b.need ?? LENGTH_BYTES, all.length);
    this.add(b.name, all.toString('utf8', LENGTH_BYTES, end));
    if (b.lost) this.problems.push(`binary field ${b.name}: part of its data was lost (line over the length cap)`);
  }

  private add(k: string, v: string): void {
    const a = this.fields.get(k);
    if (a) a.push(v);
    else this.fields.set(k, [v]);
  }

  /** The blank line that ends an entry (or `end()` for a torn last entry) stores its row. */
  private endEntry(out: ParseOutput, torn = false): void {
    if (!this.start) {
      if (!torn) out.skip('blank line outside an entry', true);
      return;
    }
    const b = this.binary;
    if (b) {
      this.problems.push(`binary field ${b.name} torn (${b.need === null ? 'no length' : `${b.have} of ${b.need} bytes`})`);
      this.binary = null;
    }
    if (torn) this.problems.push('last entry torn (no blank line after it)');
    const from: RecordStart = { index: this.start.index, offset: this.start.offset, raw: this.lines.join('\n') };
    const f = this.fields;
    const problems = this.problems;
    this.fields = new Map();
    this.start = null;
    this.lines = [];
    this.problems = [];
    this.discarding = false;
    if (!f.size) {
      const reason = problems.length ? `no journal fields: ${problems.join('; ')}` : 'no journal fields';
      // A torn last entry has no line of its own left to skip: say so in a file warning.
      if (torn) out.warn(`entry at line ${from.index} ${reason}`);
      else out.skip(reason);
      return;
    }
    emitJournalEntry(f, out, problems, from);
    for (const p of problems) out.warn(p);
  }

  end(out: ParseOutput): void {
    this.endEntry(out, true);
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
  rawLines: true,
  createParser: () => new JournalExportParser(),
  samples: [
    {
      // formats.md §8.1 (Ubuntu 16.04 journal sample exported by journalctl 252)
      input: [
        '__CURSOR=s=301da6bc860f44808d5e36ddb58400db;i=7dd;b=1809e3bbbb334d62937ce8827b16b5f0;m=48c9c4c63;t=60c9664caee9d;x=1fd024e96761497c',
        '__REALTIME_TIMESTAMP=1702689935912605',
        '__MONOTONIC_TIMESTAMP=19538922595',
        '_BOOT_ID=1809e3bbbb334d62937ce8827b16b5f0',
        '_TRANSPORT=syslog',
        'PRIORITY=5',
        '_UID=0',
        'SYSLOG_FACILITY=10',
        '_SYSTEMD_UNIT=session-c2.scope',
        'SYSLOG_IDENTIFIER=pkexec',
        '_PID=8274',
        '_COMM=pkexec',
        '_EXE=/usr/bin/pkexec',
        '_CMDLINE=pkexec /usr/lib/update-notifier/package-system-locked',
        '_SOURCE_REALTIME_TIMESTAMP=1702689935912605',
        'SYSLOG_PID=8274',
        'MESSAGE=user1: Executing command [USER=root] [TTY=unknown] [CWD=/home/user1] [COMMAND=/usr/lib/update-notifier/package-system-locked]',
        '',
      ].join('\n'),
      note: 'one whole entry: 17 field lines and the blank line that stores it',
      event: {
        ts_utc_ms: 1702689935912,
        ts_quality: 'exact',
        program: 'pkexec',
        pid: 8274,
        boot_key: '1809e3bbbb334d62937ce8827b16b5f0',
        severity: 5,
        message: 'user1: Executing command [USER=root] [TTY=unknown] [CWD=/home/user1] [COMMAND=/usr/lib/update-notifier/package-system-locked]',
      },
    },
    {
      input: 'MESSAGE=foo.service: Main process exited, code=killed, status=9/KILL',
      note: 'an entry torn after one field is stored at end of file, without a time',
      event: { ts_utc_ms: null, ts_quality: 'unknown', message: 'foo.service: Main process exited, code=killed, status=9/KILL' },
    },
  ],
};
