// wtmpdb: detection by SQLite magic + wtmp schema, rows read read-only (a WAL copy never touches
// the evidence directory), unreadable files become a warning.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { wtmpdb, readWtmpdbRows } from '../../src/formats/wtmpdb.js';
import type { Unit } from '../../src/formats/types.js';
import { runParser } from '../helpers/run-parser.js';

// lib/sqlite.c (thkukuk/wtmpdb), formats.md §4.5
const SCHEMA = `CREATE TABLE IF NOT EXISTS wtmp(ID INTEGER PRIMARY KEY, Type INTEGER, User TEXT NOT NULL,
  Login INTEGER, Logout INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT) STRICT;`;

const ROWS = [
  [1, 'reboot', 1788250000123456, 1788255000000000, '~', '6.12.0-1-amd64', null],
  [3, 'alice', 1788250100000000, 1788250400500000, 'pts/0', '198.51.100.4', 'sshd'],
  [1, 'reboot', 1788256000000000, null, '~', '6.12.0-1-amd64', null],
  [3, 'mallory', 1788260000000000, null, 'pts/2', '203.0.113.66', 'sshd'],
] as const;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-wtmpdb-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function makeWtmpdb(file: string): void {
  const db = new Database(file);
  db.exec(SCHEMA);
  const ins = db.prepare('INSERT INTO wtmp (Type,User,Login,Logout,TTY,RemoteHost,Service) VALUES (?,?,?,?,?,?,?)');
  for (const r of ROWS) ins.run(...r);
  db.close();
}

async function collect(it: AsyncIterable<Unit>): Promise<Unit[]> {
  const out: Unit[] = [];
  for await (const u of it) out.push(u);
  return out;
}

function probe(file: string) {
  const head = fs.readFileSync(file).subarray(0, 64 * 1024);
  return { head, name: path.basename(file), path: file, size: fs.statSync(file).size };
}

describe('wtmpdb', () => {
  const file = path.join(tmp, 'wtmp.db');
  makeWtmpdb(file);

  it('is detected by magic and schema, and other SQLite files are not', () => {
    expect(wtmpdb.detect(probe(file))).toBeGreaterThan(0);
    const other = path.join(tmp, 'lastlog2.db');
    const db = new Database(other);
    db.exec('CREATE TABLE Lastlog2(Name TEXT PRIMARY KEY, Time INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT);');
    db.close();
    expect(wtmpdb.detect(probe(other))).toBe(0);
  });

  it('yields one unit per row and decodes sessions, boots and shutdowns', async () => {
    const before = fs.readdirSync(tmp).sort();
    const units = await collect(readWtmpdbRows(file));
    expect(fs.readdirSync(tmp).sort()).toEqual(before);
    expect(units).toHaveLength(4);
    const got = runParser(wtmpdb, units, { path: file });
    expect(got.events.map((e) => e.message)).toEqual([
      'BOOT_TIME reboot system boot kernel 6.12.0-1-amd64 shutdown 2026-09-01T09:30:00.000Z',
      'USER_PROCESS alice pts/0 from 198.51.100.4 via sshd logout 2026-09-01T08:13:20.500Z',
      'BOOT_TIME reboot system boot kernel 6.12.0-1-amd64 no shutdown recorded',
      'USER_PROCESS mallory pts/2 from 203.0.113.66 via sshd no logout recorded',
    ]);
    expect(got.events[1]).toMatchObject({ ts_utc_ms: 1788250100000, ts_quality: 'exact', program: 'wtmpdb' });
    const utmpRows = got.facts.filter((f) => f.table === 'utmp_records').map((f) => [f.unit, f.row.type_name, f.row.ts_utc_ms]);
    expect(utmpRows).toEqual([
      [1, 'BOOT_TIME', 1788250000123],
      [1, 'RUN_LVL', 1788255000000],
      [2, 'USER_PROCESS', 1788250100000],
      [2, 'DEAD_PROCESS', 1788250400500],
      [3, 'BOOT_TIME', 1788256000000],
      [4, 'USER_PROCESS', 1788260000000],
    ]);
    expect(got.facts.filter((f) => f.table === 'boot_anchors')).toHaveLength(2);
  });

  it('reads a WAL database collected with its -wal file without creating files beside it', async () => {
    const live = path.join(tmp, 'live');
    const evidence = path.join(tmp, 'evidence');
    fs.mkdirSync(live);
    fs.mkdirSync(evidence);
    const w = new Database(path.join(live, 'wtmp.db'));
    w.pragma('journal_mode = WAL');
    w.pragma('wal_autocheckpoint = 0');
    w.exec(SCHEMA);
    w.prepare('INSERT INTO wtmp (Type,User,Login,Logout,TTY,RemoteHost,Service) VALUES (3,?,?,NULL,?,?,?)').run('eve', 1788270000000000, 'pts/5', '192.0.2.9', 'sshd');
    // Collected while wtmpdb had it open: main file + -wal, no -shm.
    fs.copyFileSync(path.join(live, 'wtmp.db'), path.join(evidence, 'wtmp.db'));
    fs.copyFileSync(path.join(live, 'wtmp.db-wal'), path.join(evidence, 'wtmp.db-wal'));
    w.close();
    const before = fs.readdirSync(evidence).sort();
    const units = await collect(readWtmpdbRows(path.join(evidence, 'wtmp.db')));
    expect(fs.readdirSync(evidence).sort()).toEqual(before);
    const got = runParser(wtmpdb, units);
    expect(got.events.map((e) => e.message)).toEqual(['USER_PROCESS eve pts/5 from 192.0.2.9 via sshd no logout recorded']);
  });

  it('turns an unreadable database into a warning, not an exception', async () => {
    const bad = path.join(tmp, 'broken.db');
    fs.writeFileSync(bad, Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(200, 0x41)]));
    const units = await collect(readWtmpdbRows(bad));
    expect(units).toHaveLength(1);
    const got = runParser(wtmpdb, units);
    expect(got.events).toHaveLength(0);
    expect(got.skips).toHaveLength(1);
    expect(got.warnings[0].message).toMatch(/cannot read wtmpdb/);
  });
});
