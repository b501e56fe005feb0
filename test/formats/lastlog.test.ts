// lastlog: uid = record index, empty slots skipped as "never logged in", real files decode.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lastlog } from '../../src/formats/lastlog.js';
import type { Probe } from '../../src/formats/types.js';
import { runParser, unitsFromRecords } from '../helpers/run-parser.js';

const SHARED = path.resolve(__dirname, '../../../shared');
const REAL = path.join(SHARED, 'samples-real');

function probeOf(file: string, buf: Buffer): Probe {
  return { head: buf.subarray(0, 64 * 1024), name: path.basename(file), path: file, size: buf.length };
}

function parse(file: string) {
  const buf = fs.readFileSync(file);
  const probe = probeOf(file, buf);
  const size = lastlog.recordSize!(probe);
  const units = unitsFromRecords(buf, size);
  return { score: lastlog.detect(probe), size, units, got: runParser(lastlog, units, { path: file, recordSize: size }) };
}

describe('lastlog records', () => {
  it('296-byte layout (64-bit ll_time) by file size', () => {
    const buf = Buffer.alloc(296 * 3);
    buf.writeBigInt64LE(1700000000n, 296 * 2);
    buf.write('pts/3', 296 * 2 + 8);
    buf.write('198.51.100.7', 296 * 2 + 40);
    const probe = probeOf('/var/log/lastlog', buf);
    expect(lastlog.recordSize!(probe)).toBe(296);
    const got = runParser(lastlog, unitsFromRecords(buf, 296), { recordSize: 296 });
    expect(got.skips.map((s) => s.reason)).toEqual(['never logged in', 'never logged in']);
    expect(got.events[0]).toMatchObject({ ts_utc_ms: 1700000000000, message: 'lastlog: uid 2 last logged in on pts/3 from 198.51.100.7' });
  });

  it('does not claim an unnamed file of zeros', () => {
    expect(lastlog.detect(probeOf('/evidence/blob', Buffer.alloc(292 * 10)))).toBe(0);
  });
});

describe.skipIf(!fs.existsSync(SHARED))('real lastlog files', () => {
  it('Ubuntu 14.04: one login, uid 0 on pts/1 on 2016-03-23', () => {
    const { size, units, got } = parse(path.join(REAL, 'wtmp/phoenix_ubuntu14_lastlog'));
    expect(size).toBe(292);
    expect(units).toHaveLength(107);
    expect(got.events).toHaveLength(1);
    expect(got.skips).toHaveLength(106);
    const f = got.facts[0].row;
    expect(f).toMatchObject({ kind: 'lastlog', uid: 0, tty: 'pts/1' });
    expect(new Date(Number(f.ts_utc_ms)).toISOString().slice(0, 10)).toBe('2016-03-23');
  });

  it('CentOS 7: four uids (0, 42 gdm on :0, 991, 1001) out of 1002 slots', () => {
    const { units, got } = parse(path.join(REAL, 'wtmp/logssrv_centos7_lastlog'));
    expect(units).toHaveLength(1002);
    expect(got.facts.map((f) => f.row.uid)).toEqual([0, 42, 991, 1001]);
    expect(got.facts[1].row.tty).toBe(':0');
    expect(got.facts[3].row.from_host).toBe('192.168.126.13');
  });

  it('every lastlog of the manifest is claimed and decodes to its record count', () => {
    const rows = fs
      .readFileSync(path.join(REAL, 'MANIFEST.tsv'), 'utf8')
      .split('\n')
      .map((l) => l.split('\t'))
      .filter((c) => c[0]?.startsWith('wtmp/') && /lastlog/.test(c[0]));
    expect(rows.length).toBeGreaterThanOrEqual(8);
    for (const c of rows) {
      const file = path.join(REAL, c[0]);
      const { score, size, units, got } = parse(file);
      expect(score, c[0]).toBeGreaterThan(0);
      expect(units.length * size, c[0]).toBe(fs.statSync(file).size);
      expect(got.events.length + got.skips.length).toBe(units.length);
      expect(got.events.length, c[0]).toBeGreaterThan(0);
    }
  });

  it('lab lastlog: alice and bob (uids 1001, 1002) from 127.0.0.1', () => {
    const { got } = parse(path.join(SHARED, 'lab-sample/var/log/lastlog'));
    expect(got.facts.map((f) => [f.row.uid, f.row.tty, f.row.from_host])).toEqual([
      [1001, 'pts/0', '127.0.0.1'],
      [1002, 'pts/0', '127.0.0.1'],
    ]);
  });
});
