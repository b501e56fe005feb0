// wtmp / btmp / utmp: glibc `struct utmp` records, written by login, sshd, systemd-update-utmp.
//
//   utmpdump of a real CentOS 7 wtmp (super-speedy-syslog-searcher logs/CentOS7/x86_64/wtmp):
//   [7] [08241] [ts/0] [root    ] [pts/0       ] [host.net            ] [192.168.100.180] [Mon Apr 10 18:12:29 2023 EDT]
//   first record in hex: type `02 00` @0, user `reboot` @0x2c, host `3.10.0-1160.71.1.el7.x86_64` @0x4c,
//   ut_tv @0x154 = `b2 85 34 64 d8 94 0b 00` → 1681163698 s + 759000 µs.
//
// Fields (glibc bits/utmp.h, offsets checked with offsetof, ../shared/formats.md §4.1–4.3):
// ut_type, ut_pid, ut_line (tty without /dev/), ut_id, ut_user, ut_host (REMOTE host, or the kernel
// release for boot/shutdown/runlevel pseudo-records), ut_exit, ut_session, ut_tv (epoch UTC),
// ut_addr_v6 (network byte order). Two layouts exist and nothing in the file says which: 384 bytes
// (glibc x86_64, i686, armhf, riscv64: 32-bit time fields) and 400 bytes (glibc aarch64, musl:
// 64-bit session/tv). As plaso does, the layout is chosen per file by trying each one on the first
// records; reading a 400-byte file as 384 turns tv_sec into tv_usec, which the usec < 10^6 check
// catches. Strings are NUL-padded but not always NUL-terminated (full fields).
import type { EventRow, FormatModule, ParseContext, ParseOutput, Probe, Unit, UnitParser } from './types.js';

/** ut_type values, bits/utmp.h. */
export const UT_TYPE = {
  EMPTY: 0,
  RUN_LVL: 1,
  BOOT_TIME: 2,
  NEW_TIME: 3,
  OLD_TIME: 4,
  INIT_PROCESS: 5,
  LOGIN_PROCESS: 6,
  USER_PROCESS: 7,
  DEAD_PROCESS: 8,
  ACCOUNTING: 9,
} as const;

export type UtTypeName = keyof typeof UT_TYPE;

export const UT_TYPE_NAMES: readonly UtTypeName[] = [
  'EMPTY',
  'RUN_LVL',
  'BOOT_TIME',
  'NEW_TIME',
  'OLD_TIME',
  'INIT_PROCESS',
  'LOGIN_PROCESS',
  'USER_PROCESS',
  'DEAD_PROCESS',
  'ACCOUNTING',
];

/** Pseudo-users of records whose ut_line starts with '~' (util-linux last.c). */
export const PSEUDO_USERS = { reboot: 'system boot', shutdown: 'system down', runlevel: 'runlevel change' } as const;

export type UtmpFileKind = 'wtmp' | 'btmp' | 'utmp';

export interface UtmpLayout {
  name: string;
  size: 384 | 400;
  sessionOff: number;
  /** Width of ut_session and of each ut_tv member. */
  wide: boolean;
  tvSecOff: number;
  tvUsecOff: number;
  addrOff: number;
}

export const UTMP_LAYOUTS: readonly UtmpLayout[] = [
  { name: 'glibc 32-bit time (x86_64/i686/armhf/riscv64)', size: 384, sessionOff: 336, wide: false, tvSecOff: 340, tvUsecOff: 344, addrOff: 348 },
  { name: '64-bit time (glibc aarch64, musl)', size: 400, sessionOff: 336, wide: true, tvSecOff: 344, tvUsecOff: 352, addrOff: 360 },
];

/** Before this (1990-01-01) a record time is taken as a clock that was not set (no RTC before NTP). */
const CLOCK_UNSET_BEFORE_S = 631152000;
/** 2200-01-01: later tv_sec values in a wide layout are garbage. */
const MAX_PLAUSIBLE_S = 7258118400;

export interface UtmpRecord {
  type: number;
  pid: number;
  line: string;
  id: string;
  user: string;
  host: string;
  exitTermination: number;
  exitStatus: number;
  session: number;
  tvSec: number;
  tvUsec: number;
  addr: string | null;
}

/** A fixed-size string field: up to the first NUL or the field end. */
export function cstr(buf: Buffer, off: number, len: number): string {
  const end = off + len;
  let i = off;
  while (i < end && buf[i] !== 0) i++;
  return buf.toString('utf8', off, i);
}

/**
 * Text up to the first NUL holds no control characters. What follows the NUL is not checked:
 * agetty and friends overwrite a longer earlier value in place (`tty1\0tty1` over `/dev/tty1`).
 */
function textField(buf: Buffer, off: number, len: number): boolean {
  const end = off + len;
  for (let i = off; i < end && buf[i] !== 0; i++) if (buf[i] < 0x20 || buf[i] === 0x7f) return false;
  return true;
}

export function isAllZero(buf: Buffer): boolean {
  for (let i = 0; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

function formatAddr(buf: Buffer, off: number): string | null {
  const w1 = buf.readUInt32LE(off + 4) | buf.readUInt32LE(off + 8) | buf.readUInt32LE(off + 12);
  if (w1 === 0) {
    if (buf.readUInt32LE(off) === 0) return null;
    return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(buf.readUInt16BE(off + i).toString(16));
  // Compress the longest run of zero groups, as inet_ntop does.
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestAt < 0) return groups.join(':');
  return `${groups.slice(0, bestAt).join(':')}::${groups.slice(bestAt + bestLen).join(':')}`;
}

export function decodeUtmp(buf: Buffer, layout: UtmpLayout): UtmpRecord {
  return {
    type: buf.readInt16LE(0),
    pid: buf.readInt32LE(4),
    line: cstr(buf, 8, 32),
    id: cstr(buf, 40, 4),
    user: cstr(buf, 44, 32),
    host: cstr(buf, 76, 256),
    exitTermination: buf.readInt16LE(332),
    exitStatus: buf.readInt16LE(334),
    session: layout.wide ? Number(buf.readBigInt64LE(layout.sessionOff)) : buf.readInt32LE(layout.sessionOff),
    tvSec: layout.wide ? Number(buf.readBigInt64LE(layout.tvSecOff)) : buf.readInt32LE(layout.tvSecOff),
    tvUsec: layout.wide ? Number(buf.readBigInt64LE(layout.tvUsecOff)) : buf.readInt32LE(layout.tvUsecOff),
    addr: formatAddr(buf, layout.addrOff),
  };
}

/** Why a record cannot be a utmp record in this layout, or null if it can. */
export function implausible(buf: Buffer, layout: UtmpLayout, checkStrings: boolean): string | null {
  const type = buf.readInt16LE(0);
  if (type < 0 || type > 9) return `ut_type ${type} is outside 0..9`;
  const sec = layout.wide ? Number(buf.readBigInt64LE(layout.tvSecOff)) : buf.readInt32LE(layout.tvSecOff);
  const usec = layout.wide ? Number(buf.readBigInt64LE(layout.tvUsecOff)) : buf.readInt32LE(layout.tvUsecOff);
  if (usec < 0 || usec >= 1_000_000) return `tv_usec ${usec} is outside 0..999999`;
  if (sec < 0 || sec > MAX_PLAUSIBLE_S) return `tv_sec ${sec} is not a plausible time`;
  if (checkStrings && !(textField(buf, 8, 32) && textField(buf, 40, 4) && textField(buf, 44, 32))) {
    return 'ut_line/ut_id/ut_user hold control characters';
  }
  return null;
}

/**
 * Tries a layout on the first records of the head: a score, 0 when it does not fit. A 384-byte
 * file read as 400 can pass the field checks (tv_sec lands on tv_usec), but then its times fall in
 * the first days of 1970: records with times after 1990 tip the choice, then the file size.
 */
function layoutScore(probe: Probe, layout: UtmpLayout): number {
  const n = Math.min(16, Math.floor(probe.head.length / layout.size));
  if (n === 0) return 0;
  let ok = 0;
  let evidence = 0;
  let datedAfter1990 = 0;
  for (let i = 0; i < n; i++) {
    const rec = probe.head.subarray(i * layout.size, (i + 1) * layout.size);
    if (isAllZero(rec)) {
      ok++;
      continue;
    }
    const bad = implausible(rec, layout, true);
    // The first couple of records must check out: a log file never starts with garbage.
    if (bad && i < 2) return 0;
    if (bad) continue;
    ok++;
    if (rec.readInt16LE(0) === 0) continue;
    evidence++;
    const sec = layout.wide ? Number(rec.readBigInt64LE(layout.tvSecOff)) : rec.readInt32LE(layout.tvSecOff);
    if (sec >= CLOCK_UNSET_BEFORE_S) datedAfter1990++;
  }
  if (evidence === 0 || ok / n < 0.9) return 0;
  let score = 40 + Math.round((ok / n) * 5) + Math.round((datedAfter1990 / evidence) * 5);
  if (probe.size !== null) score += probe.size % layout.size === 0 ? 10 : -5;
  if (/[wbu]tmp/i.test(probe.name) && !/wtmpdb|\.db$/i.test(probe.name)) score += 5;
  return score;
}

export function chooseUtmpLayout(probe: Probe): { layout: UtmpLayout; score: number } | null {
  let best: { layout: UtmpLayout; score: number } | null = null;
  for (const layout of UTMP_LAYOUTS) {
    const score = layoutScore(probe, layout);
    if (score > 0 && (!best || score > best.score)) best = { layout, score };
  }
  return best;
}

/** The file kind from the name (a hint: the content is the same struct for all three). */
export function utmpFileKind(path: string): UtmpFileKind {
  const base = path.slice(path.lastIndexOf('/') + 1);
  if (/btmp/i.test(base)) return 'btmp';
  if (/utmp/i.test(base) && !/wtmp/i.test(base)) return 'utmp';
  return 'wtmp';
}

function typeName(type: number): string {
  return UT_TYPE_NAMES[type] ?? `UT_TYPE_${type}`;
}

/** RUN_LVL ut_pid: runlevel char | previous char << 8 (systemd utmp-wtmp.c, SysV init). */
function runlevelOf(pid: number): { now: string; prev: string } {
  const now = pid & 0xff;
  const prev = (pid >> 8) & 0xff;
  const ch = (c: number) => (c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : c === 0 ? 'N' : `\\x${c.toString(16)}`);
  return { now: ch(now), prev: ch(prev) };
}

export function describeUtmp(r: UtmpRecord, kind: UtmpFileKind): string {
  const tn = typeName(r.type);
  const parts: string[] = [tn];
  const pseudo = r.line.startsWith('~') ? (PSEUDO_USERS as Record<string, string>)[r.user] : undefined;
  if (pseudo) {
    parts.push(r.user, pseudo);
    if (r.user === 'runlevel' || (r.type === UT_TYPE.RUN_LVL && r.user !== 'shutdown')) {
      const rl = runlevelOf(r.pid);
      parts.push(`${rl.now} (was ${rl.prev})`);
    }
    if (r.host) parts.push(`kernel ${r.host}`);
    return parts.join(' ');
  }
  if (r.user) parts.push(r.user);
  if (r.line) parts.push(r.line);
  if (r.host) parts.push(`from ${r.host}${r.addr && r.addr !== r.host ? ` [${r.addr}]` : ''}`);
  else if (r.addr) parts.push(`from ${r.addr}`);
  if (r.type === UT_TYPE.RUN_LVL) {
    const rl = runlevelOf(r.pid);
    parts.push(`runlevel ${rl.now} (was ${rl.prev})`);
  } else parts.push(`(pid ${r.pid})`);
  if (r.type === UT_TYPE.DEAD_PROCESS && (r.exitTermination || r.exitStatus)) {
    parts.push(`exit termination ${r.exitTermination} status ${r.exitStatus}`);
  }
  if (kind === 'btmp') parts.push('[btmp: failed login]');
  return parts.join(' ');
}

class UtmpParser implements UnitParser {
  private readonly layout: UtmpLayout;
  private readonly kind: UtmpFileKind;
  private clockUnset = 0;

  constructor(private readonly ctx: ParseContext) {
    this.layout = UTMP_LAYOUTS.find((l) => l.size === ctx.recordSize) ?? UTMP_LAYOUTS[0];
    this.kind = utmpFileKind(ctx.path);
  }

  parse(unit: Unit, out: ParseOutput): void {
    const buf = unit.bytes;
    if (buf.length !== this.layout.size) {
      out.skip(`record of ${buf.length} bytes, expected ${this.layout.size}`);
      return;
    }
    if (isAllZero(buf)) {
      out.skip('all-zero record (empty slot)');
      return;
    }
    const bad = implausible(buf, this.layout, false);
    if (bad) {
      out.skip(`not a utmp record: ${bad}`);
      return;
    }
    const r = decodeUtmp(buf, this.layout);
    let ts: number | null = r.tvSec * 1000 + Math.floor(r.tvUsec / 1000);
    let quality: EventRow['ts_quality'] = 'exact';
    if (r.tvSec === 0 && r.tvUsec === 0) {
      ts = null;
      quality = 'unknown';
    } else if (r.tvSec < CLOCK_UNSET_BEFORE_S) {
      this.clockUnset++;
      out.warn(`record time ${new Date(ts).toISOString()} is before 1990: the clock was not set yet (no RTC before NTP); kept as written`);
    }
    const isRunlevel = r.type === UT_TYPE.RUN_LVL;
    out.event({
      ts_utc_ms: ts,
      ts_quality: quality,
      host: null,
      program: this.kind,
      // RUN_LVL ut_pid holds runlevel characters, and boot records carry 0: neither is a process.
      pid: isRunlevel || r.pid <= 0 ? null : r.pid,
      message: describeUtmp(r, this.kind),
    });
    out.fact('utmp_records', {
      file_kind: this.kind,
      ts_utc_ms: ts,
      ut_type: r.type,
      type_name: typeName(r.type),
      pid: r.pid,
      line: r.line,
      ut_id: r.id,
      user: r.user,
      host: r.host,
      addr: r.addr,
      session: r.session,
      exit_termination: r.exitTermination,
      exit_status: r.exitStatus,
      record_size: this.layout.size,
    });
    if (r.type === UT_TYPE.BOOT_TIME && ts !== null) {
      out.fact('boot_anchors', { host: null, boot_key: null, uptime_s: 0, ts_utc_ms: ts, kind: 'wtmp-boot', text_key: r.host || null });
    }
  }

  timeNotes(): string | null {
    const base = `${this.kind}: ${this.layout.size}-byte records (${this.layout.name}); times are epoch UTC (exact)`;
    return this.clockUnset ? `${base}; ${this.clockUnset} record(s) stamped before 1990 (clock not set at boot)` : base;
  }
}

/** A record in hex for the samples: fields written at their 384-byte offsets. */
function sampleRecord(f: { type: number; pid: number; line: string; id: string; user: string; host: string; sec: number; usec: number; addr?: number[] }): string {
  const b = Buffer.alloc(384);
  b.writeInt16LE(f.type, 0);
  b.writeInt32LE(f.pid, 4);
  b.write(f.line, 8, 32, 'latin1');
  b.write(f.id, 40, 4, 'latin1');
  b.write(f.user, 44, 32, 'latin1');
  b.write(f.host, 76, 256, 'latin1');
  b.writeInt32LE(f.sec, 340);
  b.writeInt32LE(f.usec, 344);
  if (f.addr) Buffer.from(f.addr).copy(b, 348);
  return b.toString('hex');
}

export const utmp: FormatModule = {
  name: 'utmp',
  description: 'wtmp/btmp/utmp login records (glibc struct utmp, 384- or 400-byte layout chosen per file)',
  unit: 'record',
  order: 0,
  detect(probe) {
    return chooseUtmpLayout(probe)?.score ?? 0;
  },
  recordSize(probe) {
    return chooseUtmpLayout(probe)?.layout.size ?? 384;
  },
  createParser: (ctx) => new UtmpParser(ctx),
  samples: [
    {
      note: 'CentOS 7 boot record (formats.md §4.3 test vector)',
      input: sampleRecord({ type: 2, pid: 0, line: '~', id: '~~', user: 'reboot', host: '3.10.0-1160.71.1.el7.x86_64', sec: 1681163698, usec: 759000 }),
      context: { path: '/var/log/wtmp' },
      event: { ts_utc_ms: 1681163698759, ts_quality: 'exact', program: 'wtmp', pid: null, message: 'BOOT_TIME reboot system boot kernel 3.10.0-1160.71.1.el7.x86_64' },
      facts: [
        { table: 'utmp_records', row: { file_kind: 'wtmp', ut_type: 2, type_name: 'BOOT_TIME', user: 'reboot', line: '~', record_size: 384 } },
        { table: 'boot_anchors', row: { kind: 'wtmp-boot', uptime_s: 0, ts_utc_ms: 1681163698759 } },
      ],
    },
    {
      note: 'CentOS 7 ssh login of root from host.net (formats.md §4.3 test vector)',
      input: sampleRecord({ type: 7, pid: 8241, line: 'pts/0', id: 'ts/0', user: 'root', host: 'host.net', sec: 1681164749, usec: 0, addr: [192, 168, 100, 180] }),
      context: { path: '/var/log/wtmp.1' },
      event: { ts_utc_ms: 1681164749000, pid: 8241, message: 'USER_PROCESS root pts/0 from host.net [192.168.100.180] (pid 8241)' },
      facts: [{ table: 'utmp_records', row: { ut_type: 7, type_name: 'USER_PROCESS', user: 'root', addr: '192.168.100.180', host: 'host.net' } }],
    },
    {
      note: 'btmp failed ssh login',
      input: sampleRecord({ type: 6, pid: 3030, line: 'ssh:notty', id: '', user: 'root', host: '192.168.98.1', sec: 1480300000, usec: 0 }),
      context: { path: '/var/log/btmp-20161201' },
      event: { program: 'btmp', message: 'LOGIN_PROCESS root ssh:notty from 192.168.98.1 (pid 3030) [btmp: failed login]' },
    },
    { note: 'all-zero slot', input: '00'.repeat(384), skipped: true },
  ],
};
