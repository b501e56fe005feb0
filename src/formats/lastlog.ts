// lastlog: the last login of each uid, a sparse file indexed by uid (written by login/sshd via
// pam_lastlog, read by lastlog(8)).
//
//   record 0 (uid 0) of a real Ubuntu 14.04 /var/log/lastlog (PhoenixYanrongLi/ServerLog):
//   ll_time = 2016-03-23 (int32 epoch), ll_line = "pts/1", ll_host = the remote address
//
// Fields (glibc <lastlog.h>/bits/utmp.h, ../shared/formats.md §4.4): record n belongs to uid n.
// 292 bytes where time is 32-bit (x86_64, i686, armhf, riscv64): ll_time int32 @0, ll_line[32] @4,
// ll_host[256] @36; 296 bytes on glibc aarch64 and musl: ll_time int64 @0, line @8, host @40.
// An all-zero record means "never logged in". Only the latest login per uid survives, so this is
// weak evidence; it is kept cheap: empty slots are skipped without decoding.
//
// A sparse lastlog is read here (`readUnits`), not by the pipeline's streamer: a uid of 4294967294
// (nfsnobody) or a domain uid from SSSD/AD makes a file of ~1 TiB apparent size that is all holes.
// Node cannot ask the kernel where the data is (no SEEK_DATA), so only the first 64 MiB (uids up
// to ~229 000: every local account, nobody 65534 included) are read, and the rest is reported.
import { byteSource } from '../sources/bytes.js';
import type { FormatModule, ParseContext, ParseOutput, Probe, Unit, UnitParser } from './types.js';
import { cstr, isAllZero } from './utmp.js';
import { openDecoded } from '../sources/decompress.js';
import { splitRecordBatches } from '../sources/units.js';
import { stripCompressionSuffix } from '../sources/rotation.js';

export interface LastlogLayout {
  size: 292 | 296;
  wideTime: boolean;
  lineOff: number;
  hostOff: number;
}

export const LASTLOG_LAYOUTS: readonly LastlogLayout[] = [
  { size: 292, wideTime: false, lineOff: 4, hostOff: 36 },
  { size: 296, wideTime: true, lineOff: 8, hostOff: 40 },
];

/** 2200-01-01: later times are garbage. */
const MAX_PLAUSIBLE_S = 7258118400;

function readTime(buf: Buffer, off: number, layout: LastlogLayout): number {
  return layout.wideTime ? Number(buf.readBigInt64LE(off)) : buf.readInt32LE(off);
}

function textField(buf: Buffer, off: number, len: number): boolean {
  const end = off + len;
  for (let i = off; i < end && buf[i] !== 0; i++) if (buf[i] < 0x20 || buf[i] === 0x7f) return false;
  return true;
}

function recordOk(rec: Buffer, layout: LastlogLayout): boolean {
  const t = readTime(rec, 0, layout);
  return t >= 0 && t <= MAX_PLAUSIBLE_S && textField(rec, layout.lineOff, 32) && textField(rec, layout.hostOff, 256);
}

function layoutScore(probe: Probe, layout: LastlogLayout, named: boolean): number {
  if (probe.size !== null && probe.size % layout.size !== 0) return 0;
  const n = Math.floor(probe.head.length / layout.size);
  if (n === 0) return 0;
  let used = 0;
  for (let i = 0; i < n; i++) {
    const rec = probe.head.subarray(i * layout.size, (i + 1) * layout.size);
    if (isAllZero(rec)) continue;
    if (!recordOk(rec, layout)) return 0;
    used++;
  }
  // Without the name, a mostly-zero file is too weak a signature to claim.
  if (named) return 45 + (used ? 5 : 0) + (probe.size !== null ? 5 : 0);
  return used >= 1 && probe.size !== null ? 15 : 0;
}

export function chooseLastlogLayout(probe: Probe): { layout: LastlogLayout; score: number } | null {
  const named = /lastlog/i.test(probe.name) && !/lastlog2|\.db$/i.test(probe.name);
  let best: { layout: LastlogLayout; score: number } | null = null;
  for (const layout of LASTLOG_LAYOUTS) {
    const score = layoutScore(probe, layout, named);
    if (score > 0 && (!best || score > best.score)) best = { layout, score };
  }
  return best;
}

/** Decompressed bytes read at most; records past this point are counted, not read. */
export const LASTLOG_READ_CAP_BYTES = 64 * 1024 * 1024;
const PROBE_BYTES = 64 * 1024;

/**
 * What `readUnits` could not read (cap reached, torn tail, damaged compression), by path: the
 * parser of the same file says it from `end()`, since readUnits has no way to warn.
 */
const readNotes = new Map<string, string[]>();

async function* capped(chunks: AsyncIterable<Buffer>, capBytes: number, onCap: () => void): AsyncGenerator<Buffer> {
  let seen = 0;
  for await (const chunk of chunks) {
    if (seen + chunk.length >= capBytes) {
      if (capBytes > seen) yield chunk.subarray(0, capBytes - seen);
      // Exactly at the end is not a cut; the caller compares with the apparent size.
      onCap();
      return;
    }
    seen += chunk.length;
    yield chunk;
  }
}

async function headOf(file: string): Promise<Buffer> {
  const dec = await openDecoded(file);
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of dec.chunks) {
    parts.push(chunk);
    n += chunk.length;
    if (n >= PROBE_BYTES) break;
  }
  return Buffer.concat(parts).subarray(0, PROBE_BYTES);
}

/**
 * Every record of the file as a unit, read in 256 KiB chunks, up to LASTLOG_READ_CAP_BYTES. The
 * layout is chosen exactly as detection chose it (same head, name and size), so it matches the
 * record size the pipeline gives the parser.
 */
export async function* readLastlogUnits(file: string): AsyncGenerator<Unit> {
  const notes: string[] = [];
  readNotes.set(file, notes);
  try {
    // A file of the tree or an archive entry (src/sources/bytes.ts).
    const st = { size: byteSource(file).size, blocks: byteSource(file).allocated / 512 };
    const dec = await openDecoded(file);
    const plain = dec.compression === 'none';
    const probe: Probe = {
      head: await headOf(file),
      name: stripCompressionSuffix(file.slice(file.lastIndexOf('/') + 1)),
      path: file,
      size: plain ? st.size : null,
    };
    const size = chooseLastlogLayout(probe)?.layout.size ?? LASTLOG_LAYOUTS[0].size;
    const capBytes = Math.floor(LASTLOG_READ_CAP_BYTES / size) * size;
    let cut = false;
    let tail: { offset: number; bytes: number } | null = null;
    for await (const batch of splitRecordBatches(
      capped(dec.chunks, capBytes, () => (cut = true)),
      size,
      (offset, bytes) => (tail = { offset, bytes }),
    ))
      yield* batch;
    const apparent = plain ? st.size : null;
    if (cut && (apparent === null || apparent > capBytes)) {
      const readRecords = capBytes / size;
      const allocated = st.blocks * 512;
      notes.push(
        apparent !== null
          ? `lastlog is ${apparent} bytes (${allocated} allocated: a sparse file indexed by uid); read the first ${capBytes} bytes ` +
              `(${readRecords} records, uids 0-${readRecords - 1}); ${Math.floor((apparent - capBytes) / size)} records past that point ` +
              `(uids ${readRecords} and up, e.g. nfsnobody or SSSD/AD domain uids) were not read: they lie behind ` +
              `${apparent - capBytes} bytes of mostly holes that can only be read as zeros, byte for byte`
          : `lastlog (compressed): read the first ${capBytes} decompressed bytes (${readRecords} records, uids 0-${readRecords - 1}); ` +
              `the records past that point were not read (a sparse lastlog is mostly zeros; high uids would need the whole stream)`,
      );
    }
    const t = tail as { offset: number; bytes: number } | null;
    if (t) notes.push(`torn tail: ${t.bytes} bytes after the last whole ${size}-byte record at offset ${t.offset}`);
    const damage = dec.damage();
    if (damage) notes.push(`${damage.message}; every record before it was kept`);
  } catch (err) {
    // readUnits must not throw into the pipeline: what was yielded stays, the rest is reported.
    notes.push(`lastlog read error: ${(err as Error).message}`);
  }
}

class LastlogParser implements UnitParser {
  private readonly layout: LastlogLayout;
  private used = 0;
  private readonly path: string;

  constructor(ctx: ParseContext) {
    this.path = ctx.path;
    this.layout = LASTLOG_LAYOUTS.find((l) => l.size === ctx.recordSize) ?? LASTLOG_LAYOUTS[0];
  }

  parse(unit: Unit, out: ParseOutput): void {
    const rec = unit.bytes;
    if (isAllZero(rec)) {
      out.skip('never logged in', true);
      return;
    }
    if (rec.length !== this.layout.size || !recordOk(rec, this.layout)) {
      out.skip('not a lastlog record (implausible time or binary text fields)');
      return;
    }
    const uid = unit.index - 1;
    const sec = readTime(rec, 0, this.layout);
    const line = cstr(rec, this.layout.lineOff, 32);
    const host = cstr(rec, this.layout.hostOff, 256);
    const ts = sec > 0 ? sec * 1000 : null;
    this.used++;
    out.event({
      ts_utc_ms: ts,
      ts_quality: ts === null ? 'unknown' : 'exact',
      host: null,
      program: 'lastlog',
      pid: null,
      message: `lastlog: uid ${uid} last logged in${line ? ` on ${line}` : ''}${host ? ` from ${host}` : ''}`,
    });
    out.fact('logins', {
      ts_utc_ms: ts,
      host: null,
      kind: 'lastlog',
      uid,
      tty: line || null,
      from_host: host || null,
      detail: 'latest login of this uid (lastlog keeps only the last one)',
    });
  }

  end(out: ParseOutput): void {
    const notes = readNotes.get(this.path);
    if (!notes) return;
    readNotes.delete(this.path);
    for (const n of notes) out.warn(n);
  }

  timeNotes(): string {
    return `lastlog: ${this.layout.size}-byte records, epoch seconds UTC (exact); ${this.used} uid(s) with a recorded login`;
  }
}

function sampleRecord(sec: number, line: string, host: string): string {
  const b = Buffer.alloc(292);
  b.writeInt32LE(sec, 0);
  b.write(line, 4, 32, 'latin1');
  b.write(host, 36, 256, 'latin1');
  return b.toString('hex');
}

export const lastlog: FormatModule = {
  name: 'lastlog',
  description: 'lastlog: last login per uid (292- or 296-byte records indexed by uid)',
  unit: 'record',
  order: 0,
  detect(probe) {
    return chooseLastlogLayout(probe)?.score ?? 0;
  },
  recordSize(probe) {
    return chooseLastlogLayout(probe)?.layout.size ?? 292;
  },
  createParser: (ctx) => new LastlogParser(ctx),
  readUnits: readLastlogUnits,
  samples: [
    {
      note: 'uid 0 logged in from 61.16.129.235 (record 1 = uid 0)',
      input: sampleRecord(1597300000, 'pts/0', '61.16.129.235'),
      event: { ts_utc_ms: 1597300000000, ts_quality: 'exact', program: 'lastlog', message: 'lastlog: uid 0 last logged in on pts/0 from 61.16.129.235' },
      facts: [{ table: 'logins', row: { kind: 'lastlog', uid: 0, tty: 'pts/0', from_host: '61.16.129.235', ts_utc_ms: 1597300000000 } }],
    },
    { note: 'never logged in', input: '00'.repeat(292), skipped: true },
  ],
};
