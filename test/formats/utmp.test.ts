// wtmp/btmp/utmp: layout chosen per file, every real sample decodes with the record count of its
// MANIFEST entry, torn tails and pre-1990 boot records are reported, not dropped silently.
import { openCaseDb } from '../../src/store/db.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FORMATS } from '../../src/formats/registry.js';
import { utmp, chooseUtmpLayout, utmpFileKind } from '../../src/formats/utmp.js';
import type { Probe } from '../../src/formats/types.js';
import { ingest } from '../../src/ingest/ingest.js';
import { runParser, unitsFromRecords } from '../helpers/run-parser.js';

const SHARED = path.resolve(__dirname, '../../../shared');
const REAL = path.join(SHARED, 'samples-real');

function probeOf(file: string, buf: Buffer, sizeKnown = true): Probe {
  return { head: buf.subarray(0, 64 * 1024), name: path.basename(file), path: file, size: sizeKnown ? buf.length : null };
}

function bestFormat(probe: Probe): string | null {
  let best = 0;
  let name: string | null = null;
  for (const f of FORMATS) {
    const s = f.detect(probe);
    if (s > best) {
      best = s;
      name = f.name;
    }
  }
  return name;
}

function parseFile(file: string) {
  const buf = fs.readFileSync(file);
  const size = utmp.recordSize!(probeOf(file, buf));
  const units = unitsFromRecords(buf, size);
  return { buf, size, units, got: runParser(utmp, units, { path: file, recordSize: size }) };
}

/** A 400-byte (aarch64/musl) record. */
function wideRecord(f: { type: number; pid: number; line: string; user: string; host: string; sec: number; usec: number }): Buffer {
  const b = Buffer.alloc(400);
  b.writeInt16LE(f.type, 0);
  b.writeInt32LE(f.pid, 4);
  b.write(f.line, 8);
  b.write(f.user, 44);
  b.write(f.host, 76);
  b.writeBigInt64LE(BigInt(f.sec), 344);
  b.writeBigInt64LE(BigInt(f.usec), 352);
  return b;
}

describe('utmp layout detection', () => {
  it('picks 400 bytes for 64-bit time records and decodes them exactly', () => {
    const buf = Buffer.concat([
      wideRecord({ type: 2, pid: 0, line: '~', user: 'reboot', host: '6.1.0-18-arm64', sec: 1708203600, usec: 123456 }),
      wideRecord({ type: 7, pid: 303164, line: 'pts/0', user: 'dietpi', host: '10.0.0.5', sec: 1708203683, usec: 767000 }),
    ]);
    for (const sizeKnown of [true, false]) {
      const ch = chooseUtmpLayout(probeOf('/x/wtmp', buf, sizeKnown));
      expect(ch?.layout.size).toBe(400);
    }
    const got = runParser(utmp, unitsFromRecords(buf, 400), { path: '/var/log/wtmp', recordSize: 400 });
    expect(got.events[1]).toMatchObject({ ts_utc_ms: 1708203683767, pid: 303164, message: 'USER_PROCESS dietpi pts/0 from 10.0.0.5 (pid 303164)' });
    expect(got.facts.filter((f) => f.table === 'boot_anchors')).toHaveLength(1);
  });

  it('names the file kind from the name only as a hint', () => {
    expect(utmpFileKind('/var/log/btmp-20161201')).toBe('btmp');
    expect(utmpFileKind('/var/log/wtmp.1.gz')).toBe('wtmp');
    expect(utmpFileKind('/run/utmp')).toBe('utmp');
    expect(utmpFileKind('/evidence/logins.bin')).toBe('wtmp');
  });

  it('skips garbage records instead of throwing', () => {
    const buf = Buffer.alloc(384, 0xff);
    const got = runParser(utmp, unitsFromRecords(buf, 384), { path: '/var/log/wtmp', recordSize: 384 });
    expect(got.events).toHaveLength(0);
    expect(got.skips[0].reason).toMatch(/ut_type -1 is outside 0..9/);
  });
});

describe.skipIf(!fs.existsSync(SHARED))('real wtmp/btmp/utmp files', () => {
  const manifestFile = path.join(REAL, 'MANIFEST.tsv');
  const manifest = (fs.existsSync(manifestFile) ? fs.readFileSync(manifestFile, 'utf8') : '').split('\n');
  const rows = manifest
    .map((l) => l.split('\t'))
    .filter((c) => c[0]?.startsWith('wtmp/') && !/lastlog/.test(c[0]));

  it('covers every wtmp/btmp/utmp file of the manifest', () => {
    expect(rows.length).toBeGreaterThanOrEqual(28);
  });

  for (const c of rows) {
    const rel = c[0];
    it(`${rel}: claimed by utmp with the manifest's record count`, () => {
      const file = path.join(REAL, rel);
      const buf = fs.readFileSync(file);
      expect(bestFormat(probeOf(file, buf))).toBe('utmp');
      const m = /(\d+) bytes = (\d+) x (\d+)/.exec(c.slice(6).join(' '));
      const { size, units, got } = parseFile(file);
      if (m) {
        expect(size).toBe(Number(m[3]));
        expect(units.length).toBe(Number(m[2]));
      } else {
        expect(buf.length % size).toBe(0);
      }
      // one row per record: an event or a skip with a reason
      expect(got.events.length + got.skips.length).toBe(units.length);
      for (const s of got.skips) expect(s.reason).toBe('all-zero record (empty slot)');
    });
  }

  it('CentOS 7 wtmp: the formats.md test vector', () => {
    const { got } = parseFile(path.join(REAL, 'wtmp/s4_centos7_x86_64_wtmp'));
    expect(got.events[0]).toMatchObject({
      ts_utc_ms: 1681163698759,
      ts_quality: 'exact',
      program: 'wtmp',
      message: 'BOOT_TIME reboot system boot kernel 3.10.0-1160.71.1.el7.x86_64',
    });
    // utmpdump shows 18:12:29 EDT for this login; the stored file carries 192.168.124.180.
    const login = got.facts.find((f) => f.table === 'utmp_records' && f.row.pid === 8241);
    expect(login?.row).toMatchObject({ type_name: 'USER_PROCESS', user: 'root', line: 'pts/0', host: 'host.net', addr: '192.168.124.180', ts_utc_ms: 1681164749115 });
    const shutdowns = got.facts.filter((f) => f.table === 'utmp_records' && f.row.user === 'shutdown');
    expect(shutdowns.length).toBeGreaterThan(0);
  });

  it('Debian 11 aarch64 wtmp: 400-byte records with real times', () => {
    const { size, got } = parseFile(path.join(REAL, 'wtmp/s4_debian11_aarch64_wtmp'));
    expect(size).toBe(400);
    expect(got.events[0]).toMatchObject({ ts_utc_ms: 1708203683767, pid: 303164 });
    expect(got.events[0].message).toMatch(/^USER_PROCESS dietpi pts\/0 from 67\.184\.33\.88/);
    expect(got.events[2].message).toBe('DEAD_PROCESS pts/0 (pid 303164)');
  });

  it('Raspbian wtmp: 1970 boot records are kept, exact, each with a warning', () => {
    const { got } = parseFile(path.join(REAL, 'wtmp/jackpot_raspbian_wtmp'));
    const early = got.events.filter((e) => e.ts_utc_ms !== null && e.ts_utc_ms < 631152000000);
    expect(early.length).toBeGreaterThan(0);
    expect(early.every((e) => e.ts_quality === 'exact')).toBe(true);
    expect(got.warnings.filter((w) => /before 1990/.test(w.message))).toHaveLength(early.length);
    expect(got.events).toHaveLength(97);
  });

  it('Vagrant wtmp: ut_line with /dev/ and leftovers after the NUL decode', () => {
    const { got } = parseFile(path.join(REAL, 'wtmp/ss67_vagrant_ubuntu2004_wtmp'));
    const lines = got.facts.filter((f) => f.table === 'utmp_records').map((f) => f.row.line);
    expect(lines).toContain('/dev/tty1');
    expect(lines).toContain('tty1');
  });

  it('btmp: failed logins named as such', () => {
    const { got } = parseFile(path.join(REAL, 'wtmp/knewhow_centos6_btmp-20161201'));
    expect(got.facts.every((f) => f.table !== 'utmp_records' || f.row.file_kind === 'btmp')).toBe(true);
    expect(got.events.some((e) => e.program === 'btmp' && /^LOGIN_PROCESS 123456 /.test(e.message) && /failed login/.test(e.message))).toBe(true);
  });

  it('plaso wtmp.1 through the pipeline: 4 records, 2 empty, one torn-tail warning for the trailing byte', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-utmp-'));
    try {
      const db = path.join(dir, 'case.db');
      const res = await ingest([path.join(REAL, 'wtmp/plaso_wtmp.1')], { db });
      expect(res.sources[0]).toMatchObject({ format: 'utmp', units: 4, stored: 2, skipped: 2 });
      const Database = (await import('better-sqlite3')).default;
      const h = openCaseDb(db, { readonly: true });
      const torn = h.prepare(`SELECT message FROM warnings WHERE message LIKE 'torn tail%'`).all() as Array<{ message: string }>;
      expect(torn).toHaveLength(1);
      expect(torn[0].message).toMatch(/1 bytes after the last whole 384-byte record at offset 1536/);
      const users = h.prepare(`SELECT user, line, host FROM utmp_records WHERE ut_type = 7`).all();
      expect(users).toEqual([{ user: 'userA', line: 'pts/32', host: '10.10.122.1' }]);
      h.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
