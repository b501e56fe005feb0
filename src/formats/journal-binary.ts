// Binary systemd journal files (`*.journal`, `*.journal~`), docs/JOURNAL_FILE_FORMAT.md
// (formats.md §8.4). Header, little-endian:
//
//   0  signature "LPKSHHRH"      8 compatible_flags u32   12 incompatible_flags u32 (XZ 1, LZ4 2,
//   KEYED_HASH 4, ZSTD 8, COMPACT 16)   16 state u8 (0 OFFLINE, 1 ONLINE, 2 ARCHIVED)
//   40 machine_id   56 tail_entry_boot_id   152 n_entries u64   184 head_entry_realtime u64 (µs)
//   192 tail_entry_realtime u64 (µs)
//
// Not parsed: reading entries needs XZ/LZ4/ZSTD object decompression, two hash schemes and the
// compact layout, and the format document itself says to use sd-journal or the export format.
// The file is listed (so the manifest shows it was seen) with a warning giving the command that
// converts it; its header is summarised so the analyst knows what the file covers. No units are
// read, so units = stored = skipped = 0.
import fs from 'node:fs';
import type { FormatModule, ParseContext, ParseOutput, Unit, UnitParser } from './types.js';
import { isoUtc } from '../time/civil.js';

const MAGIC = Buffer.from('LPKSHHRH', 'latin1');
const HEADER_BYTES = 208;

const STATE_NAMES: Readonly<Record<number, string>> = { 0: 'OFFLINE', 1: 'ONLINE', 2: 'ARCHIVED' };

const INCOMPATIBLE_FLAGS: ReadonlyArray<readonly [number, string]> = [
  [1 << 0, 'COMPRESSED-XZ'],
  [1 << 1, 'COMPRESSED-LZ4'],
  [1 << 2, 'KEYED-HASH'],
  [1 << 3, 'COMPRESSED-ZSTD'],
  [1 << 4, 'COMPACT'],
];

/** A one-line summary of the header, or null when the bytes are not a journal header. */
export function describeJournalHeader(h: Buffer): string | null {
  if (h.length < 24 || !h.subarray(0, 8).equals(MAGIC)) return null;
  const incompat = h.readUInt32LE(12);
  const flags = INCOMPATIBLE_FLAGS.filter(([b]) => incompat & b).map(([, n]) => n);
  const parts = [`state ${STATE_NAMES[h[16]] ?? h[16]}`, `flags ${flags.length ? flags.join('+') : 'none'}`];
  if (h.length >= HEADER_BYTES) {
    parts.push(`machine ${h.toString('hex', 40, 56)}`, `tail boot ${h.toString('hex', 56, 72)}`);
    parts.push(`${h.readBigUInt64LE(152)} entries`);
    const head = Number(h.readBigUInt64LE(184) / 1000n);
    const tail = Number(h.readBigUInt64LE(192) / 1000n);
    if (head > 0 && tail > 0) parts.push(`${isoUtc(head)} .. ${isoUtc(tail)}`);
  }
  return parts.join(', ');
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function readHeaderOf(path: string): Buffer {
  const fd = fs.openSync(path, 'r');
  try {
    const h = Buffer.alloc(HEADER_BYTES);
    return h.subarray(0, fs.readSync(fd, h, 0, HEADER_BYTES, 0));
  } finally {
    fs.closeSync(fd);
  }
}

class JournalBinaryParser implements UnitParser {
  constructor(private readonly ctx: ParseContext) {}

  parse(_unit: Unit, out: ParseOutput): void {
    out.skip('binary journal: not parsed');
  }

  end(out: ParseOutput): void {
    const path = this.ctx.path;
    let summary: string | null = null;
    try {
      // Detection saw the header (a file of the tree or an archive entry alike).
      const h = this.ctx.head ?? readHeaderOf(path);
      summary = describeJournalHeader(h.subarray(0, HEADER_BYTES));
    } catch {
      summary = null;
    }
    const base = path.slice(path.lastIndexOf('/') + 1).replace(/\.(gz|bz2|xz|zst)$/, '');
    const note = summary ?? 'compressed on disk: decompress it first';
    out.warn(
      `binary systemd journal not parsed (${note}); convert it on a host with journalctl and ingest the result: ` +
        `journalctl --file ${shellQuote(path)} -o export > ${shellQuote(base + '.export')}`,
    );
  }
}

export const journalBinary: FormatModule = {
  name: 'journal-binary',
  description: 'binary systemd journal file (listed with a warning; convert with journalctl -o export)',
  unit: 'line',
  order: 0,
  detect(probe) {
    return probe.head.length >= 8 && probe.head.subarray(0, 8).equals(MAGIC) ? 100 : 0;
  },
  // Emits no units: the pipeline counts nothing and the warning comes from end().
  async *readUnits(): AsyncGenerator<Unit> {
    return;
  },
  createParser: (ctx) => new JournalBinaryParser(ctx),
  samples: [
    {
      input: 'LPKSHHRH',
      note: 'a unit can only reach this parser in tests: it is skipped',
      skipped: true,
    },
  ],
};
