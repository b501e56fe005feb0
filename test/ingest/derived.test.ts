// The derived tables ingest writes so that reading commands never scan the events table
// (src/store/schema/derived.ts): notable_lines, segments, the materialized incidents and module
// candidates. Each must say exactly what a computation over the events and facts would say.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { findIncidents, ingest, openCaseDb } from '../../src/index.js';
import { notableKinds, type NotableKind } from '../../src/store/notable.js';
import { acctV3 } from '../correlate/fixture.js';

const SAMPLE = path.resolve(__dirname, '../../samples/lab-debian12/var/log');

/** A fresh temp dir with an empty `log/` in it. */
function tempCase(prefix: string): { dir: string; log: string; dbFile: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const log = path.join(dir, 'log');
  fs.mkdirSync(log);
  return { dir, log, dbFile: path.join(dir, 'case.db') };
}

/** A copy of the case without its derived marker: readers then compute everything from the facts. */
function computedCopy(dbFile: string, dir: string): ReturnType<typeof openCaseDb> {
  const copy = path.join(dir, 'live.db');
  fs.copyFileSync(dbFile, copy);
  const w = new Database(copy);
  w.prepare(`DELETE FROM meta WHERE key = 'derived_at'`).run();
  w.close();
  return openCaseDb(copy, { readonly: true });
}

/** Lines of real kernel and systemd wording (formats.md §2, §6) and the kinds they are stored under. */
const NOTABLE_EXAMPLES: ReadonlyArray<{ program: string | null; message: string; kinds: NotableKind[] | null; timed?: boolean }> = [
  { program: 'kernel', message: 'report-builder invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0', kinds: ['oom'] },
  { program: 'kernel', message: '[  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name', kinds: ['oom'] },
  { program: 'kernel', message: '[  16403]  1000 16403   313437   262464  2158592        0             0 report-builder', kinds: ['oom'] },
  { program: 'kernel', message: 'oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/lab,task_memcg=/lab,task=report-builder,pid=16403,uid=1000', kinds: ['oom'] },
  { program: 'kernel', message: 'Memory cgroup out of memory: Killed process 16403 (report-builder) total-vm:1253748kB, anon-rss:1048576kB, file-rss:1280kB, shmem-rss:0kB, UID:1000 pgtables:2108kB oom_score_adj:0', kinds: ['oom'] },
  { program: 'kernel', message: 'Out of Memory: Kill process 2718 (mysqld) score 155 or sacrifice child', kinds: ['oom'] },
  { program: 'kernel', message: 'oom_reaper: reaped process 16403 (report-builder), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB', kinds: ['oom'] },
  { program: 'kernel', message: 'show_signal_msg: 2 callbacks suppressed', kinds: ['oom', 'ratelimit'] },
  { program: 'kernel', message: '[UFW BLOCK] IN=ens3 OUT= MAC=52:54:00:8a:3b:1c SRC=203.0.113.7 DST=10.0.0.5 LEN=44 PROTO=TCP SPT=51234 DPT=23', kinds: null },
  { program: 'kernel', message: 'parser-daemon[16480]: segfault at 0 ip 0000564ddc58336e sp 00007ffc29ee3220 error 6 in parser-daemon[136e,564ddc583000+1000] likely on CPU 1 (core 1, socket 0)', kinds: ['crash'] },
  { program: 'kernel', message: 'traps: gsd-wacom[1855] general protection fault ip:7fed39b5e7b0 sp:7fff3e349620 error:0 in libglib-2.0.so.0.6200.1[7fed39ae3000+83000]', kinds: ['crash'] },
  { program: 'kernel', message: 'cgroup: fork rejected by pids controller in /user.slice/user-1000.slice/session-3.scope', kinds: ['fork'] },
  { program: 'kernel', message: 'Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000004', kinds: ['panic'] },
  { program: 'kernel', message: 'e1000e: enp0s31f6 NIC Link is Up 1000 Mbps Full Duplex', kinds: null },
  { program: 'systemd', message: 'Reached target System Reboot.', kinds: ['shutdown'] },
  { program: 'systemd-logind', message: 'System is rebooting.', kinds: ['shutdown'] },
  { program: 'systemd', message: 'Started cron.service - Regular background program processing daemon.', kinds: null },
  { program: 'CRON', message: 'Reached target nothing (a cron job wrote this)', kinds: null },
  { program: null, message: 'bash invoked oom-killer: gfp_mask=0x201da, order=0, oom_score_adj=0', kinds: ['bare', 'oom'], timed: false },
  { program: null, message: 'rss:1048576kB, file-rss:0kB', kinds: ['bare'], timed: false },
  { program: null, message: 'a stamped line whose program is unknown', kinds: null, timed: true },
];

describe('notable_lines: the kinds a stored line is marked with', () => {
  for (const x of NOTABLE_EXAMPLES) {
    it(`${x.program ?? '(no program)'}: ${x.message.slice(0, 60)}`, () => {
      expect(notableKinds(x.program, x.message, x.timed ?? true, false)).toEqual(x.kinds);
    });
  }
});

describe('derived tables of the lab sample', () => {
  let dir: string;
  let dbFile: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-derived-'));
    dbFile = path.join(dir, 'case.db');
    await ingest([SAMPLE], { db: dbFile });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('segments equal a GROUP BY over the events', () => {
    const db = openCaseDb(dbFile, { readonly: true });
    const fromEvents = db
      .prepare(
        `SELECT source_id, boot_key, MAX(CASE WHEN ts_utc_ms IS NOT NULL THEN host END) AS host, MIN(ts_utc_ms) AS first_ms, MAX(ts_utc_ms) AS last_ms,
                COUNT(ts_utc_ms) AS timed_lines, COUNT(CASE WHEN ts_utc_ms IS NOT NULL THEN host END) AS host_lines,
                COUNT(CASE WHEN program = 'kernel' THEN 1 END) AS kernel_lines
         FROM events GROUP BY source_id, boot_key ORDER BY source_id, boot_key`,
      )
      .all();
    const stored = db
      .prepare(`SELECT source_id, boot_key, host, first_ms, last_ms, timed_lines, host_lines, kernel_lines FROM segments ORDER BY source_id, boot_key`)
      .all();
    expect(fromEvents.length).toBeGreaterThan(10);
    expect(stored).toEqual(fromEvents);
    db.close();
  });

  it('every kernel OOM kill line of the sample is marked', () => {
    const db = openCaseDb(dbFile, { readonly: true });
    const kills = db.prepare(`SELECT source_id, src_line FROM events WHERE program = 'kernel' AND message LIKE '%Killed process%'`).all();
    const marked = db
      .prepare(
        `SELECT e.source_id, e.src_line FROM notable_lines n JOIN events e ON e.source_id = n.source_id AND e.src_line = n.src_line
         WHERE n.kind = 'oom' AND e.message LIKE '%Killed process%'`,
      )
      .all();
    expect(kills.length).toBeGreaterThan(0);
    expect(marked).toEqual(kills);
    db.close();
  });

  it('incidents read from the table equal those computed from the facts, for the case and for every pid', () => {
    const db = openCaseDb(dbFile, { readonly: true });
    const stored = findIncidents(db);
    const pids = [...new Set(stored.map((i) => i.pid))];
    const perPid = pids.map((p) => findIncidents(db, { pid: p }));
    db.close();
    const live = computedCopy(dbFile, dir);
    expect(stored.length).toBeGreaterThanOrEqual(15);
    expect(findIncidents(live)).toEqual(stored);
    expect(pids.map((p) => findIncidents(live, { pid: p }))).toEqual(perPid);
    live.close();
  });

  it('a second ingest of the unchanged tree recomputes nothing', async () => {
    const meta = () => {
      const db = openCaseDb(dbFile, { readonly: true });
      const r = db.prepare(`SELECT value FROM meta WHERE key = 'derived_at'`).get() as { value: string };
      db.close();
      return r.value;
    };
    const before = meta();
    const res = await ingest([SAMPLE], { db: dbFile });
    expect(res.newEvents).toBe(0);
    expect(res.unchanged).toBe(res.files - res.unknown);
    expect(meta()).toBe(before);
  });
});

describe('ordinary process accounting records are rows, not candidates', () => {
  it('20,000 exits and SIGPIPEs give no incident; the one SIGKILL among them does', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-pacct-'));
    const t0 = 1795290000;
    const recs: Buffer[] = [];
    for (let i = 0; i < 20000; i++) {
      // exit 0, exit 1, or killed by SIGPIPE (13) in a pipeline; AXSIG = 0x10.
      const pipe = i % 50 === 0;
      recs.push(acctV3({ flags: pipe ? 0x10 : 0, exitStatus: pipe ? 13 : (i % 7 === 0 ? 1 : 0) << 8, pid: 10000 + i, ppid: 900, btime_s: t0 + i, elapsed_s: 0.5, comm: i % 2 ? 'sleep' : 'grep' }));
    }
    recs.push(acctV3({ flags: 0x10, exitStatus: 9, pid: 42424, ppid: 1, btime_s: t0 + 100, elapsed_s: 3600, comm: 'worker' }));
    fs.mkdirSync(path.join(dir, 'log/account'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'log/account/pacct'), Buffer.concat(recs));
    const dbFile = path.join(dir, 'case.db');
    await ingest([path.join(dir, 'log')], { db: dbFile });
    const db = openCaseDb(dbFile, { readonly: true });
    const list = findIncidents(db);
    expect(list.map((i) => [i.pid, i.cause, i.signal])).toEqual([[42424, 'signal', 9]]);
    expect((db.prepare(`SELECT COUNT(*) AS n FROM pacct_records`).get() as { n: number }).n).toBe(20001);
    // Asked by pid, an ordinary record is still explained.
    const one = findIncidents(db, { pid: 10007 });
    expect(one.map((i) => [i.cause, i.comm])).toEqual([['exit', 'sleep']]);
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('the unchanged check', () => {
  it('takes a file of the same size, mtime and first and last MiB as unchanged; --verify reads it again', async () => {
    const { dir, log, dbFile } = tempCase('pf-quick-');
    const file = path.join(log, 'syslog');
    const lines: string[] = [];
    for (let i = 0; i < 40000; i++) lines.push(`2026-11-21T10:${String(i % 60).padStart(2, '0')}:00.000000+00:00 h app[${100 + (i % 50)}]: request ${i} handled`);
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const size = fs.statSync(file).size;
    expect(size).toBeGreaterThan(2 << 20);
    await ingest([log], { db: dbFile });
    // One byte changed in the middle, the mtime put back: only a full read can tell.
    const st = fs.statSync(file);
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, 'X', Math.floor(size / 2));
    fs.closeSync(fd);
    fs.utimesSync(file, st.atime, st.mtime);
    const quick = await ingest([log], { db: dbFile });
    expect(quick.sources[0]!.status).toBe('unchanged');
    const full = await ingest([log], { db: dbFile, verify: true });
    expect(full.sources[0]!.status).not.toBe('unchanged');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('materializing many deaths', () => {
  it('stores, a page at a time, the same incidents as computing them at once', async () => {
    // A crash-looping fleet: 6,000 segfaults of 2,500 pids (pids reused: some crash twice, an
    // hour apart), more candidates than one page of the merge reads.
    const { dir, log, dbFile } = tempCase('pf-many-');
    const lines: string[] = [];
    const recs: Buffer[] = [];
    const t0 = Date.UTC(2026, 10, 21, 0, 0, 0);
    for (let i = 0; i < 6000; i++) {
      const pid = 3000 + (i % 2500);
      const ms = t0 + (i < 2500 ? i * 1000 : 3_600_000 + i * 1000);
      const t = new Date(ms).toISOString().replace('Z', '000+00:00');
      // The same death in pacct (AXSIG|ACORE, signal 11): one incident per death, never one per record.
      recs.push(acctV3({ flags: 0x18, exitStatus: 11, pid, ppid: 1, btime_s: Math.floor(ms / 1000) - 10, elapsed_s: 10, comm: `worker-${i % 7}` }));
      lines.push(`${t} web1 kernel: [ ${1000 + i}.000000] worker-${i % 7}[${pid}]: segfault at 0 ip 00005593a1b2c3d4 sp 00007ffd11223344 error 4 in worker[5593a1b00000+1000]`);
    }
    fs.writeFileSync(path.join(log, 'kern.log'), lines.join('\n') + '\n');
    fs.mkdirSync(path.join(log, 'account'));
    fs.writeFileSync(path.join(log, 'account/pacct'), Buffer.concat(recs));
    await ingest([log], { db: dbFile });
    const db = openCaseDb(dbFile, { readonly: true });
    const stored = findIncidents(db);
    db.close();
    const live = computedCopy(dbFile, dir);
    const computed = findIncidents(live);
    live.close();
    expect(stored).toHaveLength(6000);
    expect(stored.every((i) => i.cause === 'crash' && i.evidence.some((e) => e.text.startsWith('pacct:')))).toBe(true);
    expect(new Set(stored.map((i) => i.pid)).size).toBe(2500);
    expect(stored).toEqual(computed);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
