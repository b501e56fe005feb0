// Sessions from wtmp and wtmpdb: pairing, tty reuse, clean shutdown vs crash, "who was on at T".
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { ingest } from '../../src/ingest/ingest.js';
import { reconstructSessions, sessionsAt } from '../../src/correlate/sessions.js';

const SHARED = path.resolve(__dirname, '../../../shared');
const LAB = path.join(SHARED, 'lab-sample');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-sessions-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function rec(type: number, pid: number, line: string, user: string, host: string, sec: number): Buffer {
  const b = Buffer.alloc(384);
  b.writeInt16LE(type, 0);
  b.writeInt32LE(pid, 4);
  b.write(line, 8);
  b.write(line.slice(-4), 40);
  b.write(user, 44);
  b.write(host, 76);
  b.writeInt32LE(sec, 340);
  return b;
}

async function caseOf(name: string, files: Record<string, Buffer>): Promise<Database.Database> {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [f, data] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), data);
  const db = path.join(tmp, `${name}.db`);
  await ingest([dir], { db });
  return new Database(db, { readonly: true });
}

const T = 1700000000;

describe('wtmp sessions', () => {
  it('pairs logins with logouts and tells a clean reboot from a crash', async () => {
    const wtmp = Buffer.concat([
      rec(2, 0, '~', 'reboot', '6.1.0', T),
      rec(7, 1001, 'pts/0', 'alice', '10.0.0.5', T + 100),
      rec(7, 1002, 'pts/1', 'bob', '10.0.0.6', T + 110),
      rec(8, 1001, 'pts/0', '', '', T + 200),
      rec(7, 1003, 'pts/0', 'carol', '10.0.0.7', T + 300),
      rec(1, 0, '~', 'shutdown', '6.1.0', T + 400),
      rec(2, 0, '~', 'reboot', '6.1.0', T + 500),
      rec(7, 1004, 'tty1', 'root', '', T + 600),
      rec(2, 0, '~', 'reboot', '6.1.0', T + 900), // no shutdown before it: crash
      rec(7, 1005, 'pts/0', 'dave', '192.0.2.1', T + 1000),
    ]);
    const db = await caseOf('synthetic', { wtmp });
    const s = reconstructSessions(db);
    const brief = s.map((x) => [x.user, x.tty, x.from_host, x.pid, x.login_ms! / 1000 - T, x.logout_ms === null ? null : x.logout_ms / 1000 - T, x.end]);
    expect(brief).toEqual([
      ['alice', 'pts/0', '10.0.0.5', 1001, 100, 200, 'logout'],
      ['bob', 'pts/1', '10.0.0.6', 1002, 110, 400, 'reboot'],
      ['carol', 'pts/0', '10.0.0.7', 1003, 300, 400, 'reboot'],
      ['root', 'tty1', null, 1004, 600, 900, 'crash'],
      ['dave', 'pts/0', '192.0.2.1', 1005, 1000, null, 'still logged in'],
    ]);
    expect(s[3].logout_is_bound).toBe(true);
    expect(s[0].rows.map((r) => r.src_line)).toEqual([2, 4]);
    expect(sessionsAt(db, (T + 150) * 1000, s).map((x) => x.user)).toEqual(['alice', 'bob']);
    expect(sessionsAt(db, (T + 2000) * 1000, s).map((x) => x.user)).toEqual(['dave']);
    db.close();
  });

  it('wtmpdb rows become sessions, a boot without shutdown marks the open ones as crashed', async () => {
    const dir = path.join(tmp, 'wtmpdb-src');
    fs.mkdirSync(dir);
    const w = new Database(path.join(dir, 'wtmp.db'));
    w.exec(`CREATE TABLE wtmp(ID INTEGER PRIMARY KEY, Type INTEGER, User TEXT NOT NULL, Login INTEGER, Logout INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT) STRICT;`);
    const ins = w.prepare('INSERT INTO wtmp (Type,User,Login,Logout,TTY,RemoteHost,Service) VALUES (?,?,?,?,?,?,?)');
    const us = (s: number) => (T + s) * 1e6;
    ins.run(1, 'reboot', us(0), null, '~', '6.12.0', null);
    ins.run(3, 'alice', us(10), us(50), 'pts/0', '198.51.100.4', 'sshd');
    ins.run(3, 'mallory', us(60), null, 'pts/1', '203.0.113.66', 'sshd');
    ins.run(1, 'reboot', us(100), null, '~', '6.12.0', null);
    ins.run(3, 'bob', us(110), null, 'pts/0', '198.51.100.5', 'sshd');
    w.close();
    const db = path.join(tmp, 'wtmpdb.db');
    const res = await ingest([dir], { db });
    expect(res.sources[0]).toMatchObject({ format: 'wtmpdb', units: 5, stored: 5 });
    const h = new Database(db, { readonly: true });
    const s = reconstructSessions(h);
    expect(s.map((x) => [x.user, x.file_kind, x.end, x.logout_ms === null ? null : x.logout_ms / 1000 - T])).toEqual([
      ['alice', 'wtmpdb', 'logout', 50],
      ['mallory', 'wtmpdb', 'crash', 100],
      ['bob', 'wtmpdb', 'still logged in', null],
    ]);
    expect(sessionsAt(h, (T + 70) * 1000, s).map((x) => [x.user, x.from_host])).toEqual([['mallory', '203.0.113.66']]);
    h.close();
  });
});

describe.skipIf(!fs.existsSync(SHARED))('lab wtmp sessions', () => {
  it('alice and bob from 127.0.0.1, and who was on at each human incident', async () => {
    const db = path.join(tmp, 'lab.db');
    await ingest([path.join(LAB, 'var/log/wtmp')], { db });
    const h = new Database(db, { readonly: true });
    const s = reconstructSessions(h);
    expect(s).toHaveLength(15);
    expect(new Set(s.map((x) => x.user))).toEqual(new Set(['alice', 'bob']));
    expect(s.every((x) => x.from_host === '127.0.0.1' && x.tty === 'pts/0')).toBe(true);
    const truth = JSON.parse(fs.readFileSync(path.join(LAB, 'truth.json'), 'utf8')) as { incidents: Array<{ id: string; actor_user?: string; from_host?: string; t1: number }> };
    for (const id of ['sudo-kill9', 'user-term']) {
      const inc = truth.incidents.find((i) => i.id === id)!;
      const on = sessionsAt(h, Math.round(inc.t1 * 1000), s);
      expect(on.map((x) => [x.user, x.from_host]), id).toEqual([[inc.actor_user, inc.from_host]]);
    }
    // sudo-kill9: alice's session (sshd pid 16420) opened 21:48:44 UTC.
    const alice = sessionsAt(h, Math.round(truth.incidents.find((i) => i.id === 'sudo-kill9')!.t1 * 1000), s)[0];
    expect(alice).toMatchObject({ pid: 16420, login_ms: 1795297724031 });
    h.close();
  });
});
