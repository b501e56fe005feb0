// BSD process accounting (acct(5), "pacct"): one 64-byte record per process, written by the kernel
// (kernel/acct.c) when the process's last thread exits, in exit order.
//
//   dump-acct of a real Debian 12 arm64 record (super-speedy-syslog-searcher s4_debian12_aarch64_pacct):
//   ssh             |v3|    48.00|     2.00|    93.00|     0|     0| 16752.00|     0.00|   58507|   58506|    X|       0|pts/0   |Fri Mar 15 07:28:52 2024
//   raw: ac_flag 0x10 (AXSIG), ac_version 3, ac_exitcode 0x2 (killed by SIGINT), ac_pid 58507, ac_ppid 58506
//
// Fields (struct acct_v3, include/uapi/linux/acct.h, offsets checked with offsetof; ../shared/formats.md §7):
// ac_flag @0 (AFORK/ASU/ACOMPAT/ACORE/AXSIG/AGROUP), ac_version @1 (3, | 0x80 when big-endian),
// ac_tty @2 (old_encode_dev), ac_exitcode @4 (wait(2) status: signal in the low 7 bits, core 0x80,
// exit code << 8), ac_uid @8, ac_gid @12, ac_pid @16, ac_ppid @20, ac_btime @24 (start, epoch s,
// computed at exit), ac_etime @28 (elapsed, IEEE float, AHZ=100 ticks), ac_utime/ac_stime/ac_mem/…
// @32..46 (comp_t), ac_comm[16] @48. The tools (lastcomm, dump-acct) drop the signal number, so the
// binary is read here. v2 records (no pid, different layout) are recognised but not decoded.
import type { FormatModule, ParseContext, ParseOutput, Probe, Unit, UnitParser } from './types.js';
import { signalName } from '../lookups/signals.js';
import { cstr, isAllZero } from './utmp.js';

export const PACCT_RECORD_BYTES = 64;
/** Ticks per second of v3 times (include/linux/acct.h: AHZ). */
const AHZ = 100;
const BIG_ENDIAN_BIT = 0x80;
/**
 * Elapsed ticks above 2^63 ns: the kernel's u64 `now - start_time` went negative and wrapped
 * (seen in a real CentOS 7 file: etime 1.8446743e12 ticks = 2^64 ns / 10^7).
 */
const WRAPPED_ELAPSED_TICKS = 2 ** 63 / 1e7;
/** floor(2^64 ns / 10^9): the wrapped elapsed in whole seconds, as the kernel subtracts it from now. */
const WRAPPED_ELAPSED_S = 18446744073;

/** ac_flag bits (include/uapi/linux/acct.h). */
export const ACCT_FLAGS = {
  AFORK: 0x01,
  ASU: 0x02,
  ACOMPAT: 0x04,
  ACORE: 0x08,
  AXSIG: 0x10,
  AGROUP: 0x20,
} as const;

const FLAG_ENTRIES = Object.entries(ACCT_FLAGS) as ReadonlyArray<[keyof typeof ACCT_FLAGS, number]>;

export function flagNames(flags: number): string {
  return FLAG_ENTRIES.filter(([, bit]) => flags & bit)
    .map(([name]) => name)
    .join('|');
}

/** comp_t: 13-bit mantissa, 3-bit base-8 exponent (acct(5), encode_comp_t in kernel/acct.c). */
export function decodeCompT(c: number): number {
  return (c & 0x1fff) * 8 ** ((c >> 13) & 7);
}

export interface AcctV3 {
  flags: number;
  bigEndian: boolean;
  tty: number;
  exitStatus: number;
  uid: number;
  gid: number;
  pid: number;
  ppid: number;
  btimeS: number;
  elapsedTicks: number;
  utimeTicks: number;
  stimeTicks: number;
  memKb: number;
  minflt: number;
  majflt: number;
  comm: string;
}

export function decodeAcctV3(b: Buffer): AcctV3 {
  const be = (b[1] & BIG_ENDIAN_BIT) !== 0;
  const u16 = (o: number) => (be ? b.readUInt16BE(o) : b.readUInt16LE(o));
  const u32 = (o: number) => (be ? b.readUInt32BE(o) : b.readUInt32LE(o));
  return {
    flags: b[0],
    bigEndian: be,
    tty: u16(2),
    exitStatus: u32(4),
    uid: u32(8),
    gid: u32(12),
    pid: u32(16),
    ppid: u32(20),
    btimeS: u32(24),
    elapsedTicks: be ? b.readFloatBE(28) : b.readFloatLE(28),
    utimeTicks: decodeCompT(u16(32)),
    stimeTicks: decodeCompT(u16(34)),
    memKb: decodeCompT(u16(36)),
    minflt: decodeCompT(u16(42)),
    majflt: decodeCompT(u16(44)),
    comm: cstr(b, 48, 16),
  };
}

function textField(buf: Buffer, off: number, len: number): boolean {
  const end = off + len;
  for (let i = off; i < end && buf[i] !== 0; i++) if (buf[i] < 0x20 || buf[i] === 0x7f) return false;
  return true;
}

/** Why a 64-byte record is not a v3 record of this file's byte order, or null. */
function v3Problem(b: Buffer, versionByte: number): string | null {
  if (b[1] !== versionByte) return `version byte 0x${b[1].toString(16)} where the file has 0x${versionByte.toString(16)}`;
  if (b[0] & ~0x3f) return `ac_flag 0x${b[0].toString(16)} has unknown bits`;
  if (!textField(b, 48, 16)) return 'ac_comm is not text';
  const el = (versionByte & BIG_ENDIAN_BIT ? b.readFloatBE(28) : b.readFloatLE(28));
  if (!Number.isFinite(el) || el < 0) return `ac_etime ${el} is not an elapsed time`;
  return null;
}

/** The version byte shared by the first records of the head, or null when they disagree. */
function headVersion(probe: Probe): number | null {
  const n = Math.min(16, Math.floor(probe.head.length / PACCT_RECORD_BYTES));
  if (n === 0) return null;
  const v = probe.head[1];
  if (![2, 3, 2 | BIG_ENDIAN_BIT, 3 | BIG_ENDIAN_BIT].includes(v)) return null;
  for (let i = 0; i < n; i++) {
    const rec = probe.head.subarray(i * PACCT_RECORD_BYTES, (i + 1) * PACCT_RECORD_BYTES);
    if (rec[1] !== v || rec[0] & ~0x3f) return null;
    if ((v & 0x7f) === 3 ? v3Problem(rec, v) : !textField(rec, 36, 17)) return null;
  }
  return v;
}

function describeExit(r: AcctV3): { text: string; exitCode: number | null; signal: number | null } {
  const sig = r.exitStatus & 0x7f;
  if (sig) {
    const name = signalName(sig);
    const core = r.exitStatus & 0x80 || r.flags & ACCT_FLAGS.ACORE ? ', core dumped' : '';
    return { text: `killed by signal ${sig}${name ? ` (${name})` : ''}${core}`, exitCode: null, signal: sig };
  }
  const code = (r.exitStatus >> 8) & 0xff;
  return { text: `status ${code}`, exitCode: code, signal: null };
}

class PacctParser implements UnitParser {
  private versionByte = -1;
  private warnedVersion = false;
  private records = 0;

  constructor(private readonly ctx: ParseContext) {}

  parse(unit: Unit, out: ParseOutput): void {
    const b = unit.bytes;
    if (b.length !== PACCT_RECORD_BYTES) {
      out.skip(`record of ${b.length} bytes, expected 64`);
      return;
    }
    if (isAllZero(b)) {
      out.skip('all-zero record');
      return;
    }
    if (this.versionByte < 0) this.versionByte = b[1];
    const version = b[1] & 0x7f;
    if (version !== 3) {
      if (!this.warnedVersion) {
        this.warnedVersion = true;
        out.warn(
          `acct version ${version}${b[1] & BIG_ENDIAN_BIT ? ' big-endian' : ''} records are recognised but not decoded (only v3 is): records skipped`,
        );
      }
      out.skip(`acct v${version} record not decoded`);
      return;
    }
    const problem = v3Problem(b, this.versionByte);
    if (problem) {
      out.skip(`not an acct v3 record: ${problem}`);
      return;
    }
    const r = decodeAcctV3(b);
    if (r.bigEndian && !this.warnedVersion) {
      this.warnedVersion = true;
      out.warn('acct v3 big-endian file (version byte 0x83): decoded big-endian');
    }
    this.records++;
    let elapsedS: number | null = r.elapsedTicks / AHZ;
    let beginMs = r.btimeS > 0 ? r.btimeS * 1000 : null;
    let endMs = beginMs === null ? null : beginMs + Math.round(r.elapsedTicks * (1000 / AHZ));
    if (r.elapsedTicks >= WRAPPED_ELAPSED_TICKS) {
      beginMs = null;
      elapsedS = null;
      if (r.btimeS > 0 && r.btimeS < 0xffffffff) {
        // Older kernels (3.10): ac_btime = now - elapsed_s, truncated to 32 bits, with elapsed_s ≈
        // 2^64 ns / 10^9: adding it back recovers the exit second (the float etime is too coarse).
        endMs = ((r.btimeS + WRAPPED_ELAPSED_S) % 2 ** 32) * 1000;
        out.warn(`ac_etime ${r.elapsedTicks} ticks is a wrapped negative elapsed time (start after exit); exit time recovered from ac_btime modulo 2^32, start unknown`);
      } else {
        // Newer kernels clamp the negative btime to 0 (or U32_MAX): no time survives.
        endMs = null;
        out.warn(`ac_etime ${r.elapsedTicks} ticks is a wrapped negative elapsed time and ac_btime was clamped to ${r.btimeS}: no time for this record (records are in exit order)`);
      }
    }
    const exit = describeExit(r);
    out.event({
      ts_utc_ms: endMs,
      ts_quality: endMs === null ? 'unknown' : 'exact',
      host: null,
      program: 'pacct',
      pid: r.pid,
      message: `${r.comm} pid ${r.pid} ppid ${r.ppid} uid ${r.uid} exited: ${exit.text}${elapsedS === null ? '' : ` after ${elapsedS.toFixed(1)} s`}`,
    });
    out.fact('pacct_records', {
      version: 3,
      comm: r.comm,
      pid: r.pid,
      ppid: r.ppid,
      uid: r.uid,
      gid: r.gid,
      tty: r.tty,
      begin_utc_ms: beginMs,
      elapsed_s: elapsedS,
      end_utc_ms: endMs,
      exit_code: exit.exitCode,
      exit_signal: exit.signal,
      flags: r.flags,
      flag_names: flagNames(r.flags),
      utime_s: r.utimeTicks / AHZ,
      stime_s: r.stimeTicks / AHZ,
      mem_kb: r.memKb,
    });
  }

  timeNotes(): string {
    return `pacct: ${this.records} acct v3 records; event time = ac_btime (epoch s, computed by the kernel at exit) + ac_etime`;
  }
}

/** A v3 record (struct acct_v3) in hex: for the samples here and the cause examples (src/correlate/registry.ts). */
export function sampleV3(f: { flag: number; exit: number; uid: number; pid: number; ppid: number; btime: number; etimeTicks: number; comm: string; tty?: number; mem?: number }): string {
  const b = Buffer.alloc(64);
  b[0] = f.flag;
  b[1] = 3;
  b.writeUInt16LE(f.tty ?? 0, 2);
  b.writeUInt32LE(f.exit, 4);
  b.writeUInt32LE(f.uid, 8);
  b.writeUInt32LE(f.uid, 12);
  b.writeUInt32LE(f.pid, 16);
  b.writeUInt32LE(f.ppid, 20);
  b.writeUInt32LE(f.btime, 24);
  b.writeFloatLE(f.etimeTicks, 28);
  b.writeUInt16LE(f.mem ?? 0, 36);
  b.write(f.comm, 48, 15, 'latin1');
  return b.toString('hex');
}

export const pacct: FormatModule = {
  name: 'pacct',
  description: 'BSD process accounting (acct v3, 64-byte records): one record per exited process',
  unit: 'record',
  order: 0,
  detect(probe) {
    const v = headVersion(probe);
    if (v === null) return 0;
    let score = 45;
    if (probe.size !== null) score += probe.size % PACCT_RECORD_BYTES === 0 ? 10 : -5;
    if (/pacct|acct/i.test(probe.name)) score += 5;
    return score;
  },
  recordSize: () => PACCT_RECORD_BYTES,
  createParser: (ctx) => new PacctParser(ctx),
  samples: [
    {
      note: 'killed by SIGKILL (AXSIG), lab cron-pkill victim shape',
      input: sampleV3({ flag: 0x10, exit: 9, uid: 0, pid: 16443, ppid: 1, btime: 1795297729, etimeTicks: 1300, comm: 'batch-worker' }),
      event: { ts_utc_ms: 1795297742000, ts_quality: 'exact', program: 'pacct', pid: 16443, message: 'batch-worker pid 16443 ppid 1 uid 0 exited: killed by signal 9 (SIGKILL) after 13.0 s' },
      facts: [{ table: 'pacct_records', row: { comm: 'batch-worker', pid: 16443, exit_signal: 9, exit_code: null, flags: 0x10, flag_names: 'AXSIG', elapsed_s: 13 } }],
    },
    {
      note: 'exit(1), superuser, comp_t memory 0x2345 = 0x345 << 3 = 6696 KiB',
      input: sampleV3({ flag: 0x02, exit: 0x100, uid: 1000, pid: 4242, ppid: 4200, btime: 1710487732, etimeTicks: 93, comm: 'ssh', mem: 0x2345 }),
      event: { ts_utc_ms: 1710487732930, message: 'ssh pid 4242 ppid 4200 uid 1000 exited: status 1 after 0.9 s' },
      facts: [{ table: 'pacct_records', row: { exit_code: 1, exit_signal: null, flag_names: 'ASU', mem_kb: 6696 } }],
    },
    { note: 'all-zero record', input: '00'.repeat(64), skipped: true },
  ],
};
