// lastlog: uid = record index, empty slots skipped as "never logged in", real files decode.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LASTLOG_READ_CAP_BYTES, lastlog, readLastlogUnits } from '../../src/formats/lastlog.js';
import { ingest, openCaseDb } from '../../src/index.js';
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

async function collect(file: string) {
  const units = [];
  for await (const u of readLastlogUnits(file)) units.push(u);
  return units;
}

function record(sec: number, line: string, host: string): Buffer {
  const b = Buffer.alloc(292);
  b.writeInt32LE(sec, 0);
  b.write(line, 4);
  b.write(host, 36);
  return b;
}

describe('lastlog readUnits (sparse files)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-lastlog-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('yields every whole record with its index and offset, and reports a torn tail', async () => {
    const file = path.join(dir, 'lastlog');
    fs.writeFileSync(file, Buffer.concat([Buffer.alloc(292 * 4), record(1700000000, 'pts/1', '203.0.113.9'), Buffer.alloc(100)]));
    const units = await collect(file);
    expect(units.map((u) => [u.index, u.offset, u.bytes.length])).toEqual([
      [1, 0, 292], [2, 292, 292], [3, 584, 292], [4, 876, 292], [5, 1168, 292],
    ]);
    const got = runParser(lastlog, units, { path: file, recordSize: 292 });
    expect(got.facts.map((f) => f.row.uid)).toEqual([4]);
    expect(got.warnings).toEqual([{ unit: null, message: 'torn tail: 100 bytes after the last whole 292-byte record at offset 1460' }]);
  });

  it('stops a huge sparse file after 64 MiB and says how many records were not read', async () => {
    const file = path.join(dir, 'big', 'lastlog');
    fs.mkdirSync(path.dirname(file));
    const uids = 300_000; // 87.6 MB apparent: past the cap
    const fd = fs.openSync(file, 'w');
    fs.writeSync(fd, record(1600000000, 'pts/0', '198.51.100.1'), 0, 292, 0);
    fs.writeSync(fd, record(1600000100, 'pts/2', '198.51.100.2'), 0, 292, 292 * (uids - 1));
    fs.closeSync(fd);
    const size = fs.statSync(file).size;
    expect(size).toBe(292 * uids);
    const readRecords = Math.floor(LASTLOG_READ_CAP_BYTES / 292);
    const dbFile = path.join(dir, 'big.db');
    await ingest([file], { db: dbFile, tz: null, bootTime: null });
    const db = openCaseDb(dbFile);
    try {
      const src = db.prepare(`SELECT id, format, units, stored FROM sources`).get() as { id: number; format: string; units: number; stored: number };
      expect(src).toMatchObject({ format: 'lastlog', units: readRecords, stored: 1 });
      const w = db.prepare(`SELECT message FROM warnings WHERE source_id = ? AND src_line IS NULL`).all(src.id) as Array<{ message: string }>;
      expect(w.map((x) => x.message).join('\n')).toContain(
        `read the first ${readRecords * 292} bytes (${readRecords} records, uids 0-${readRecords - 1}); ${uids - readRecords} records past that point`,
      );
    } finally {
      db.close();
    }
  }, 20_000);
});

describe.skipIf(!fs.existsSync(SHARED))('real lastlog files through readUnits and the pipeline', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-lastlog-real-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('readUnits gives size/292 units for every lastlog of the manifest', async () => {
    const files = fs
      .readFileSync(path.join(REAL, 'MANIFEST.tsv'), 'utf8')
      .split('\n')
      .map((l) => l.split('\t')[0] ?? '')
      .filter((f) => f.startsWith('wtmp/') && /lastlog/.test(f));
    for (const f of files) {
      const file = path.join(REAL, f);
      const units = await collect(file);
      expect(units.length, f).toBe(fs.statSync(file).size / 292);
      expect(units.every((u, i) => u.index === i + 1 && u.offset === i * 292 && u.bytes.length === 292), f).toBe(true);
    }
  });

  it('the sparse CentOS lastlog (2,922,920 bytes apparent) is claimed and read: 10010 records, uid 0 from 61.16.129.235', async () => {
    const file = path.join(REAL, 'wtmp/ajay_centos_lastlog');
    const dbFile = path.join(dir, 'ajay.db');
    await ingest([file], { db: dbFile, tz: null, bootTime: null });
    const db = openCaseDb(dbFile);
    try {
      const src = db.prepare(`SELECT format, status, units, stored FROM sources`).get();
      expect(src).toEqual({ format: 'lastlog', status: 'ok', units: 10010, stored: 2 });
      const logins = db.prepare(`SELECT uid, from_host FROM logins ORDER BY uid`).all() as Array<{ uid: number; from_host: string }>;
      expect(logins).toHaveLength(2);
      expect(logins[0]).toEqual({ uid: 0, from_host: '61.16.129.235' });
    } finally {
      db.close();
    }
  });
});
