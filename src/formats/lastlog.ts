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
import type { FormatModule, ParseContext, ParseOutput, Probe, Unit, UnitParser } from './types.js';
import { cstr, isAllZero } from './utmp.js';

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

class LastlogParser implements UnitParser {
  private readonly layout: LastlogLayout;
  private used = 0;

  constructor(ctx: ParseContext) {
    this.layout = LASTLOG_LAYOUTS.find((l) => l.size === ctx.recordSize) ?? LASTLOG_LAYOUTS[0];
  }

  parse(unit: Unit, out: ParseOutput): void {
    const rec = unit.bytes;
    if (isAllZero(rec)) {
      out.skip('never logged in');
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
