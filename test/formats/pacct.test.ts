// pacct (acct v3): comp_t, exit status, flags, wrapped elapsed times; every real file decodes with
// its MANIFEST record count; the lab's kill victims carry AXSIG with the signal of truth.json.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FORMATS } from '../../src/formats/registry.js';
import { decodeCompT, flagNames, pacct } from '../../src/formats/pacct.js';
import type { Probe } from '../../src/formats/types.js';
import { runParser, unitsFromRecords } from '../helpers/run-parser.js';

const SHARED = path.resolve(__dirname, '../../../shared');
const REAL = path.join(SHARED, 'samples-real');
const LAB = path.join(SHARED, 'lab-sample');

function record(f: { flag?: number; version?: number; exit?: number; pid?: number; btime?: number; etime?: number; comm?: string; be?: boolean }): Buffer {
  const b = Buffer.alloc(64);
  const be = f.be ?? false;
  b[0] = f.flag ?? 0;
  b[1] = f.version ?? (be ? 0x83 : 3);
  const u32 = (v: number, o: number) => (be ? b.writeUInt32BE(v, o) : b.writeUInt32LE(v, o));
  u32(f.exit ?? 0, 4);
  u32(1000, 8);
  u32(1000, 12);
  u32(f.pid ?? 100, 16);
  u32(1, 20);
  u32(f.btime ?? 1700000000, 24);
  if (be) b.writeFloatBE(f.etime ?? 0, 28);
  else b.writeFloatLE(f.etime ?? 0, 28);
  b.write(f.comm ?? 'worker', 48);
  return b;
}

function probeOf(file: string, buf: Buffer): Probe {
  return { head: buf.subarray(0, 64 * 1024), name: path.basename(file), path: file, size: file.endsWith('.gz') ? null : buf.length };
}

function readDecoded(file: string): Buffer {
  const raw = fs.readFileSync(file);
  return file.endsWith('.gz') ? zlib.gunzipSync(raw) : raw;
}

describe('acct v3 decoding', () => {
  it('decodes comp_t (13-bit mantissa, base-8 exponent) and flag names', () => {
    expect(decodeCompT(0)).toBe(0);
    expect(decodeCompT(48)).toBe(48);
    expect(decodeCompT(0x2345)).toBe(0x345 * 8);
    expect(decodeCompT(0xffff)).toBe(0x1fff * 8 ** 7);
    expect(flagNames(0x1b)).toBe('AFORK|ASU|ACORE|AXSIG');
  });

  it('reads signal, core and exit code from the wait status', () => {
    const buf = Buffer.concat([
      record({ flag: 0x18, exit: 0x8b, comm: 'parser-daemon', etime: 100 }),
      record({ exit: 0x100, comm: 'false' }),
      record({ flag: 0x10, exit: 0x2, comm: 'ssh', etime: 93 }),
    ]);
    const got = runParser(pacct, unitsFromRecords(buf, 64), { recordSize: 64 });
    expect(got.events.map((e) => e.message)).toEqual([
      'parser-daemon pid 100 ppid 1 uid 1000 exited: killed by signal 11 (SIGSEGV), core dumped after 1.0 s',
      'false pid 100 ppid 1 uid 1000 exited: status 1 after 0.0 s',
      'ssh pid 100 ppid 1 uid 1000 exited: killed by signal 2 (SIGINT) after 0.9 s',
    ]);
    expect(got.events[2].ts_utc_ms).toBe(1700000000930);
    expect(got.facts[1].row).toMatchObject({ exit_code: 1, exit_signal: null });
  });

  it('decodes big-endian v3 and says so once', () => {
    const buf = Buffer.concat([record({ be: true, exit: 9, flag: 0x10, pid: 4321, etime: 250 }), record({ be: true, pid: 4322 })]);
    const probe = probeOf('/var/account/pacct', buf);
    expect(pacct.detect(probe)).toBeGreaterThan(0);
    const got = runParser(pacct, unitsFromRecords(buf, 64), { recordSize: 64 });
    expect(got.events[0]).toMatchObject({ pid: 4321, ts_utc_ms: 1700000002500 });
    expect(got.warnings.filter((w) => /big-endian/.test(w.message))).toHaveLength(1);
  });

  it('recognises v2 files and skips their records with one warning instead of misreading them', () => {
    const buf = Buffer.concat([record({ version: 2 }), record({ version: 2 })]);
    const got = runParser(pacct, unitsFromRecords(buf, 64), { recordSize: 64 });
    expect(got.events).toHaveLength(0);
    expect(got.skips).toHaveLength(2);
    expect(got.warnings).toHaveLength(1);
    expect(got.warnings[0].message).toMatch(/acct version 2 .*not decoded/);
  });

  it('does not claim text or utmp files', () => {
    const text = Buffer.from('Nov 21 16:49:12 vm sshd[16520]: Connection closed\n'.repeat(20));
    expect(pacct.detect(probeOf('/var/log/auth.log', text))).toBe(0);
  });
});

describe.skipIf(!fs.existsSync(SHARED))('real pacct files', () => {
  const manifest = path.join(REAL, 'MANIFEST.tsv');
  const rows = (fs.existsSync(manifest) ? fs.readFileSync(manifest, 'utf8') : '')
    .split('\n')
    .map((l) => l.split('\t'))
    .filter((c) => c[0]?.startsWith('pacct/'));

  it('covers the manifest', () => expect(rows.length).toBeGreaterThanOrEqual(7));

  for (const c of rows) {
    it(`${c[0]}: claimed by pacct, every record decoded`, () => {
      const file = path.join(REAL, c[0]);
      const buf = readDecoded(file);
      const m = /(\d+) bytes(?: uncompressed)? = (\d+) x 64/.exec(c.slice(6).join(' '));
      expect(m).not.toBeNull();
      expect(buf.length).toBe(Number(m![1]));
      const probe = probeOf(file, buf);
      const best = FORMATS.reduce((a, f) => (f.detect(probe) > a.s ? { n: f.name, s: f.detect(probe) } : a), { n: '', s: 0 });
      expect(best.n).toBe('pacct');
      const got = runParser(pacct, unitsFromRecords(buf, 64), { path: file, recordSize: 64 });
      expect(got.events).toHaveLength(Number(m![2]));
      expect(got.skips).toHaveLength(0);
      for (const e of got.events) {
        expect(e.pid).toBeGreaterThan(0);
        if (e.ts_utc_ms !== null) expect(new Date(e.ts_utc_ms).getUTCFullYear()).toBeGreaterThanOrEqual(2016);
      }
    });
  }

  it('Debian 12 arm64: the dump-acct line of formats.md §7.2 (ssh killed by SIGINT)', () => {
    const file = path.join(REAL, 'pacct/s4_debian12_aarch64_pacct');
    const got = runParser(pacct, unitsFromRecords(readDecoded(file), 64), { path: file, recordSize: 64 });
    const i = got.facts.findIndex((f) => f.row.pid === 58507);
    expect(got.facts[i].row).toMatchObject({ comm: 'ssh', ppid: 58506, exit_signal: 2, flag_names: 'AXSIG', utime_s: 0.48, stime_s: 0.02, mem_kb: 16752, elapsed_s: 0.93 });
  });

  it('CentOS 7: wrapped (negative) elapsed times keep a recovered exit time; CentOS 9 clamped ones have none', () => {
    const c7 = path.join(REAL, 'pacct/s4_centos7_pacct');
    const got7 = runParser(pacct, unitsFromRecords(readDecoded(c7), 64), { path: c7, recordSize: 64 });
    const wrapped = got7.facts.filter((f) => f.row.elapsed_s === null);
    expect(wrapped.length).toBeGreaterThan(0);
    // Recovered times fall inside the file's real span (2024-03-03 07:05–07:08 UTC).
    for (const f of wrapped) expect(f.row.end_utc_ms).toBeGreaterThanOrEqual(Date.UTC(2024, 2, 3, 7, 5));
    for (const f of wrapped) expect(f.row.end_utc_ms).toBeLessThanOrEqual(Date.UTC(2024, 2, 3, 7, 8));
    const c9 = path.join(REAL, 'pacct/s4_centos9_x86_64_pacct');
    const got9 = runParser(pacct, unitsFromRecords(readDecoded(c9), 64), { path: c9, recordSize: 64 });
    expect(got9.events.filter((e) => e.ts_utc_ms === null && e.ts_quality === 'unknown')).toHaveLength(35);
  });

  it('lab pacct: the victims of truth.json end with the right signal', () => {
    const file = path.join(LAB, 'var/log/account/pacct');
    const truth = JSON.parse(fs.readFileSync(path.join(LAB, 'truth.json'), 'utf8')) as { incidents: Array<{ pid: number; comm: string; signal?: number; cause: string; t1: number }> };
    const got = runParser(pacct, unitsFromRecords(readDecoded(file), 64), { path: file, recordSize: 64 });
    expect(got.events).toHaveLength(203);
    const byPid = new Map(got.facts.filter((f) => f.table === 'pacct_records').map((f) => [f.row.pid, f.row]));
    const expectSignal: Record<number, number> = { 16400: 9, 16416: 9, 16443: 9, 16480: 11 };
    for (const inc of truth.incidents) {
      const sig = expectSignal[inc.pid];
      if (sig === undefined) continue;
      const r = byPid.get(inc.pid)!;
      expect(r, inc.comm).toMatchObject({ comm: inc.comm, exit_signal: sig });
      expect(String(r.flag_names)).toContain('AXSIG');
      // ends within the incident window (pacct times are whole seconds + elapsed ticks)
      expect(Number(r.end_utc_ms)).toBeGreaterThanOrEqual(Math.floor(inc.t1 - 5) * 1000);
      expect(Number(r.end_utc_ms)).toBeLessThanOrEqual(Math.ceil(inc.t1 + 1) * 1000);
    }
    expect(byPid.get(16480)!.flag_names).toBe('ACORE|AXSIG');
    expect(byPid.get(16531)).toMatchObject({ comm: 'zombie-leaker', exit_code: 1, exit_signal: null });
  });
});
