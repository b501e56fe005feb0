// A RHEL-like host that wrote local time without a zone (secure, messages) and epoch seconds
// (wtmp): the zone offset is found by pairing the sshd logins of both, without --tz.
import { openCaseDb } from '../../src/store/db.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { ingest } from '../../src/index.js';
import { consensus } from '../../src/time/align.js';
import { utmpRecord } from '../correlate/fixture.js';

const USER_PROCESS = 7;
// Logins at these UTC instants; the host's clock zone is UTC-06:00 (America/Chicago in November).
const LOGINS = [
  { pid: 4101, user: 'alice', host: '10.1.2.3', utc: Date.UTC(2026, 10, 20, 15, 4, 5) },
  { pid: 4188, user: 'bob', host: '10.1.2.4', utc: Date.UTC(2026, 10, 20, 16, 30, 0) },
  { pid: 4242, user: 'alice', host: '10.1.2.3', utc: Date.UTC(2026, 10, 20, 18, 0, 59) },
];

function traditional(utcMs: number, offsetMin: number): string {
  const d = new Date(utcMs + offsetMin * 60000);
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${mon} ${String(d.getUTCDate()).padStart(2, ' ')} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

let dir: string;
let db: Database.Database;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-align-'));
  const log = path.join(dir, 'var/log');
  fs.mkdirSync(log, { recursive: true });
  const secure = LOGINS.map(
    (l) => `${traditional(l.utc, -360)} web1 sshd[${l.pid}]: Accepted publickey for ${l.user} from ${l.host} port 50022 ssh2: RSA SHA256:x`,
  ).join('\n');
  fs.writeFileSync(path.join(log, 'secure'), secure + '\n');
  fs.writeFileSync(path.join(log, 'messages'), `${traditional(Date.UTC(2026, 10, 20, 17, 0, 0), -360)} web1 app[900]: worker started\n`);
  // Another host's local file in the same case: web1's zone says nothing of db9's clock.
  fs.mkdirSync(path.join(dir, 'db9/log'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'db9/log/messages'), `${traditional(Date.UTC(2026, 10, 20, 17, 0, 0), 0)} db9 app[901]: worker started\n`);
  fs.writeFileSync(
    path.join(log, 'wtmp'),
    Buffer.concat(LOGINS.map((l) => utmpRecord({ type: USER_PROCESS, pid: l.pid, line: 'pts/0', id: 'ts/0', user: l.user, host: l.host, sec: l.utc / 1000 + 1 }))),
  );
  const mtime = new Date(Date.UTC(2026, 10, 21));
  for (const f of ['secure', 'messages', 'wtmp']) fs.utimesSync(path.join(log, f), mtime, mtime);
  fs.utimesSync(path.join(dir, 'db9/log/messages'), mtime, mtime);
  await ingest([log, path.join(dir, 'db9/log')], { db: path.join(dir, 'case.db') });
  db = openCaseDb(path.join(dir, 'case.db'), { readonly: true });
});
afterAll(() => {
  db?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('aligning local times on exact ones', () => {
  it('finds UTC-06:00 from sshd logins paired with wtmp, and shifts secure', () => {
    const rows = db
      .prepare(`SELECT e.pid, e.ts_utc_ms FROM events e JOIN sources s ON s.id = e.source_id WHERE s.path LIKE '%/secure' ORDER BY e.src_line`)
      .all() as Array<{ pid: number; ts_utc_ms: number }>;
    expect(rows.map((r) => r.ts_utc_ms)).toEqual(LOGINS.map((l) => l.utc));
    const notes = (db.prepare(`SELECT time_notes FROM sources WHERE path LIKE '%/secure'`).get() as { time_notes: string }).time_notes;
    expect(notes).toContain('UTC-06:00');
    expect(notes).toContain('3 of 3 sshd logins and sudo commands');
  });

  it('applies the same offset to a local file with no logins of its own', () => {
    const t = (db.prepare(`SELECT e.ts_utc_ms t FROM events e JOIN sources s ON s.id = e.source_id WHERE s.path LIKE '%/messages'`).get() as { t: number }).t;
    expect(t).toBe(Date.UTC(2026, 10, 20, 17, 0, 0));
  });

  it("leaves another host's local file alone", () => {
    const t = db.prepare(`SELECT e.ts_utc_ms FROM events e JOIN sources s ON s.id = e.source_id WHERE s.path LIKE '%/db9/log/messages'`).pluck().get();
    expect(t).toBe(Date.UTC(2026, 10, 20, 17, 0, 0));
    expect(db.prepare(`SELECT shift_ms FROM sources WHERE path LIKE '%/db9/log/messages'`).pluck().get()).toBe(0);
  });

  it('moves the facts of those lines with them', () => {
    const l = db.prepare(`SELECT ts_utc_ms FROM logins WHERE kind = 'ssh_accepted' AND pid = 4188`).get() as { ts_utc_ms: number };
    expect(l.ts_utc_ms).toBe(LOGINS[1].utc);
  });
});

describe('a shifted file that grows', () => {
  it('keeps its shift and its note, and gives the new lines the same correction', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-align-grow-'));
    try {
      const log = path.join(tmp, 'var/log');
      fs.mkdirSync(log, { recursive: true });
      const line = (l: (typeof LOGINS)[number]) => `${traditional(l.utc, -360)} web1 sshd[${l.pid}]: Accepted publickey for ${l.user} from ${l.host} port 50022 ssh2: RSA SHA256:x`;
      fs.writeFileSync(path.join(log, 'secure'), LOGINS.map(line).join('\n') + '\n');
      fs.writeFileSync(
        path.join(log, 'wtmp'),
        Buffer.concat(LOGINS.map((l) => utmpRecord({ type: USER_PROCESS, pid: l.pid, line: 'pts/0', id: 'ts/0', user: l.user, host: l.host, sec: l.utc / 1000 + 1 }))),
      );
      const mtime = new Date(Date.UTC(2026, 10, 21));
      for (const f of ['secure', 'wtmp']) fs.utimesSync(path.join(log, f), mtime, mtime);
      const dbFile = path.join(tmp, 'case.db');
      await ingest([log], { db: dbFile });
      // The file grows by a login that wtmp does not have (wtmp rotated, say): nothing new to pair.
      const later = { pid: 4300, user: 'carol', host: '10.1.2.5', utc: Date.UTC(2026, 10, 20, 19, 30, 0) };
      fs.appendFileSync(path.join(log, 'secure'), line(later) + '\n');
      fs.utimesSync(path.join(log, 'secure'), mtime, mtime);
      await ingest([log], { db: dbFile });
      const d = openCaseDb(dbFile, { readonly: true });
      try {
        const times = d.prepare(`SELECT e.ts_utc_ms FROM events e JOIN sources s ON s.id = e.source_id WHERE s.path LIKE '%/secure' ORDER BY e.src_line`).pluck().all();
        expect(times).toEqual([...LOGINS, later].map((l) => l.utc));
        const s = d.prepare(`SELECT time_notes, shift_ms FROM sources WHERE path LIKE '%/secure'`).get() as { time_notes: string; shift_ms: number };
        expect(s.shift_ms).toBe(-6 * 3_600_000);
        expect(s.time_notes).toContain('shifted by zone offset UTC-06:00');
        expect(d.prepare(`SELECT ts_utc_ms FROM logins WHERE kind = 'ssh_accepted' AND pid = 4300`).pluck().get()).toBe(later.utc);
      } finally {
        d.close();
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('keeps --tz given once for later runs, and refuses a --boot-time it cannot read', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-tz-kept-'));
    try {
      const log = path.join(tmp, 'log');
      fs.mkdirSync(log);
      fs.writeFileSync(path.join(log, 'messages'), 'Nov 20 09:00:00 web1 app[1]: first\n');
      const dbFile = path.join(tmp, 'case.db');
      await ingest([log], { db: dbFile, tz: 'Asia/Tokyo' });
      fs.writeFileSync(path.join(log, 'secure'), 'Nov 20 10:00:00 web1 app[2]: second\n');
      await ingest([log], { db: dbFile });
      const d = openCaseDb(dbFile, { readonly: true });
      try {
        const t = d.prepare(`SELECT e.ts_utc_ms FROM events e JOIN sources s ON s.id = e.source_id WHERE s.path LIKE '%/secure'`).pluck().get() as number;
        expect(new Date(t).toISOString().slice(11, 16)).toBe('01:00');
      } finally {
        d.close();
      }
      await expect(ingest([log], { db: dbFile, bootTime: 'yesterday at noon' })).rejects.toThrow(/--boot-time: 'yesterday at noon' is neither epoch seconds nor an ISO 8601 time/);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('a host with sudo in secure and audit, no wtmp (UTC+09:00)', () => {
  it('finds the offset from sudo commands paired with audit USER_CMD', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-align-sudo-'));
    try {
      const log = path.join(tmp, 'log');
      fs.mkdirSync(path.join(log, 'audit'), { recursive: true });
      const runs = [
        { utc: Date.UTC(2026, 10, 20, 1, 2, 3, 400), serial: 801, cmd: '/usr/bin/systemctl restart nginx' },
        { utc: Date.UTC(2026, 10, 20, 3, 4, 5, 600), serial: 902, cmd: '/usr/bin/kill -9 7788' },
      ];
      const hex = (t: string) => Buffer.from(t).toString('hex').toUpperCase();
      fs.writeFileSync(
        path.join(log, 'secure'),
        runs.map((r) => `${traditional(r.utc, 540)} db2 sudo:   carol : TTY=pts/1 ; PWD=/home/carol ; USER=root ; COMMAND=${r.cmd}`).join('\n') + '\n',
      );
      fs.writeFileSync(
        path.join(log, 'audit/audit.log'),
        runs
          .map(
            (r) =>
              `type=USER_CMD msg=audit(${(r.utc / 1000).toFixed(3)}:${r.serial}): pid=5${r.serial} uid=1007 auid=1007 ses=4 msg='cwd="/home/carol" cmd=${hex(r.cmd.replace(/^\/usr\/bin\//, ''))} exe="/usr/bin/sudo" terminal=pts/1 res=success'\u001dUID="carol" AUID="carol"`,
          )
          .join('\n') + '\n',
      );
      const mtime = new Date(Date.UTC(2026, 10, 21));
      fs.utimesSync(path.join(log, 'secure'), mtime, mtime);
      await ingest([log], { db: path.join(tmp, 'case.db') });
      const d = openCaseDb(path.join(tmp, 'case.db'), { readonly: true });
      const ts = d
        .prepare(`SELECT e.ts_utc_ms t FROM events e JOIN sources s ON s.id = e.source_id WHERE s.path LIKE '%/secure' ORDER BY e.src_line`)
        .all() as Array<{ t: number }>;
      const notes = (d.prepare(`SELECT time_notes FROM sources WHERE path LIKE '%/secure'`).get() as { time_notes: string }).time_notes;
      d.close();
      expect(ts.map((r) => r.t)).toEqual(runs.map((r) => Math.floor(r.utc / 1000) * 1000));
      expect(notes).toContain('zone offset UTC+09:00');
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('copied logs whose mtimes were reset a year after the events', () => {
  it('corrects the year of every mtime-dated syslog file of the host, not only the ones with logins', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-align-year-'));
    try {
      const log = path.join(tmp, 'log');
      fs.mkdirSync(log);
      const year = 365 * 86400000;
      const logins = LOGINS.map((l) => ({ ...l, utc: l.utc - year })); // November 2025
      fs.writeFileSync(
        path.join(log, 'auth.log'),
        logins.map((l) => `${traditional(l.utc, 60)} web1 sshd[${l.pid}]: Accepted publickey for ${l.user} from ${l.host} port 50022 ssh2`).join('\n') + '\n',
      );
      const appUtc = Date.UTC(2025, 10, 20, 17, 0, 0);
      fs.writeFileSync(path.join(log, 'syslog'), `${traditional(appUtc, 60)} web1 app[900]: worker started\n`);
      fs.writeFileSync(
        path.join(log, 'wtmp'),
        Buffer.concat(logins.map((l) => utmpRecord({ type: USER_PROCESS, pid: l.pid, line: 'pts/0', id: 'ts/0', user: l.user, host: l.host, sec: l.utc / 1000 }))),
      );
      const copied = new Date(Date.UTC(2026, 10, 21)); // the day of the copy, not of the logs
      for (const f of ['auth.log', 'syslog', 'wtmp']) fs.utimesSync(path.join(log, f), copied, copied);
      await ingest([log], { db: path.join(tmp, 'case.db') });
      const d = openCaseDb(path.join(tmp, 'case.db'), { readonly: true });
      const t = (name: string) =>
        (d.prepare(`SELECT MIN(e.ts_utc_ms) t FROM events e JOIN sources s ON s.id = e.source_id WHERE s.path LIKE ?`).get(`%/${name}`) as { t: number }).t;
      expect(t('auth.log')).toBe(logins[0].utc);
      expect(t('syslog')).toBe(appUtc);
      d.close();
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('pair arithmetic', () => {
  it('needs two agreeing pairs and a majority', () => {
    expect(consensus(new Map([[5, 2], [7, 1]]))).toEqual({ delta: 5, support: 2 });
    expect(consensus(new Map([[5, 1]]))).toBeNull();
    expect(consensus(new Map([[5, 2], [7, 2]]))).toBeNull();
  });
});

const SHARED = path.resolve(__dirname, '../../../shared');
describe.skipIf(!fs.existsSync(path.join(SHARED, 'lab-sample')))('dmesg -T of the lab (printed in UTC by a shell whose host logged in UTC-05:00)', () => {
  it('is aligned on kern.log by its kernel lines, so its copies do not become incidents of their own', async () => {
    const { findIncidents, openCaseDb } = await import('../../src/index.js');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-align-lab-'));
    try {
      const whole = path.join(tmp, 'whole.db');
      const logOnly = path.join(tmp, 'log.db');
      await ingest([path.join(SHARED, 'lab-sample')], { db: whole });
      await ingest([path.join(SHARED, 'lab-sample/var/log')], { db: logOnly });
      const a = openCaseDb(whole, { readonly: true });
      const b = openCaseDb(logOnly, { readonly: true });
      const notes = (a.prepare(`SELECT time_notes FROM sources WHERE path LIKE '%dmesg-T.txt'`).get() as { time_notes: string }).time_notes;
      expect(notes).toContain('shifted by zone offset UTC+05:00');
      const key = (i: { pid: number; cause: string; time: string | null }) => `${i.pid} ${i.cause} ${i.time}`;
      expect(findIncidents(a).map(key)).toEqual(findIncidents(b).map(key));
      a.close();
      b.close();
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
