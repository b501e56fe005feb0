// More end-to-end scenarios (formats.md §3.8, §4.3, §5.1, §6.3, §6.5, §6.7–6.10, §7, §8.1): user-space
// OOM killers, a crash seen by audit and systemd-coredump, a journal-export-only case, a host with
// local-time syslog and no audit, and a crash boot. Each asserts the JSON contract of the verdict.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findIncidents, ingest, openCaseDb } from '../../src/index.js';
import type { Incident, IncidentFilter } from '../../src/correlate/types.js';
import { type Case, UT, acctV3, buildCase, lineOf, utmpRecord } from './fixture.js';

/** 2025-03-04T12:00:00Z */
const T = 1741089600;

function decisive(i: Incident): Array<{ source: string; line: number }> {
  return i.evidence.filter((e) => e.decisive).map((e) => ({ source: e.source, line: e.line }));
}

function within(i: Incident, isoTime: string, ms = 2000): void {
  expect(i.time).not.toBeNull();
  expect(Math.abs(Date.parse(i.time!) - Date.parse(isoTime))).toBeLessThanOrEqual(ms);
}

/** One journal export entry (formats.md §8.1): `NAME=value` lines, then the blank line that ends it. */
function exportEntry(fields: Record<string, string | number>): string {
  return Object.entries(fields).map(([k, v]) => `${k}=${v}`).join('\n') + '\n\n';
}

describe('systemd-oomd kills a user scope: only the cgroup is named', () => {
  // The oomd line names a cgroup, never a pid. The scope's processes are the ones process
  // accounting shows dying of SIGKILL at that instant, under the slice's uid (user-1000.slice).
  const syslog = `
2025-03-04T11:59:40.000000+00:00 desk systemd[1301]: Started app-firefox.scope - Firefox Web Browser.
2025-03-04T12:00:00.480000+00:00 desk systemd-oomd[612]: Killed /user.slice/user-1000.slice/user@1000.service/app.slice/app-firefox.scope due to memory pressure for /user.slice/user-1000.slice/user@1000.service being 86.20% > 80.00% for > 20s with reclaim activity
2025-03-04T12:00:00.510000+00:00 desk systemd[1301]: app-firefox.scope: systemd-oomd killed 2 process(es) in this unit.
2025-03-04T12:00:00.530000+00:00 desk systemd[1301]: app-firefox.scope: Failed with result 'oom-kill'.
2025-03-04T12:00:00.530000+00:00 desk systemd[1301]: app-firefox.scope: Consumed 2min 3.456s CPU time.
`;
  const pacct = Buffer.concat([
    acctV3({ flags: 0x10, exitStatus: 9, uid: 1000, pid: 4100, ppid: 1301, btime_s: T - 600, elapsed_s: 600.5, comm: 'firefox' }),
    acctV3({ flags: 0x10, exitStatus: 9, uid: 1000, pid: 4180, ppid: 4100, btime_s: T - 500, elapsed_s: 500.5, comm: 'Isolated Web Co' }),
    // same instant, but root's and not of the user's slice: not the scope's process.
    acctV3({ flags: 0x10, exitStatus: 9, uid: 0, pid: 5000, ppid: 1, btime_s: T - 100, elapsed_s: 100.5, comm: 'helper' }),
    // the user's process that exited normally then: not killed.
    acctV3({ flags: 0, exitStatus: 0, uid: 1000, pid: 4300, ppid: 1301, btime_s: T - 10, elapsed_s: 10.5, comm: 'bash' }),
  ]);
  let c: Case;
  beforeAll(async () => {
    c = await buildCase({ syslog, 'account/pacct': pacct });
  });
  afterAll(() => c.close());

  it('each SIGKILLed process of the slice is an oom-kill by systemd-oomd, medium (tied by time and uid)', () => {
    for (const [pid, comm] of [[4100, 'firefox'], [4180, 'Isolated Web Co']] as const) {
      const list = c.incidents({ pid });
      expect(list).toHaveLength(1);
      const i = list[0]!;
      expect(i).toMatchObject({ cause: 'oom-kill', signal: 9, signal_name: 'SIGKILL', comm, host: 'desk', confidence: 'medium' });
      expect(i.actor).toMatchObject({ kind: 'systemd', via: 'systemd', command: 'systemd-oomd', user: null });
      within(i, '2025-03-04T12:00:00.480Z');
      expect(i.summary).toContain('app-firefox.scope');
      expect(decisive(i)).toContainEqual({ source: c.file('syslog'), line: lineOf(syslog, 'systemd-oomd[612]: Killed') });
      expect(i.evidence.map((e) => [e.source, e.line])).toContainEqual([c.file('account/pacct'), pid === 4100 ? 1 : 2]);
      expect(i.missing_evidence.join('\n')).toMatch(/cgroup/);
    }
  });

  it('a root process killed at the same moment and a normal exit are not blamed on oomd', () => {
    expect(c.incidents({ pid: 5000 })[0]?.cause).not.toBe('oom-kill');
    expect(c.incidents().filter((i) => i.pid === 4300)).toHaveLength(0);
  });
});

describe('earlyoom: SIGTERM, and SIGTERM escalated to SIGKILL', () => {
  const syslog = `
2025-03-04T12:10:00.000000+00:00 desk earlyoom[700]: mem avail:   312 of 15876 MiB ( 1.97%), swap free:    0 of    0 MiB ( 0.00%)
2025-03-04T12:10:00.000000+00:00 desk earlyoom[700]: low memory! at or below SIGTERM limits: mem 10.00%, swap 100.00%
2025-03-04T12:10:00.001000+00:00 desk earlyoom[700]: sending SIGTERM to process 4321 uid 1000 "chrome": badness 900, VmRSS 2048 MiB
2025-03-04T12:10:00.130000+00:00 desk earlyoom[700]: process 4321 exited after 0.129 seconds
2025-03-04T12:12:00.001000+00:00 desk earlyoom[700]: sending SIGTERM to process 4400 uid 1000 "java": oom_score 812, VmRSS 7650 MiB, cmdline "java -jar app.jar"
2025-03-04T12:12:00.502000+00:00 desk earlyoom[700]: escalating to SIGKILL after 0.500 seconds
2025-03-04T12:12:00.560000+00:00 desk earlyoom[700]: process 4400 exited after 0.559 seconds
`;
  let c: Case;
  beforeAll(async () => {
    c = await buildCase({ syslog });
  });
  afterAll(() => c.close());

  it('SIGTERM from earlyoom, the user-space OOM killer', () => {
    const list = c.incidents({ pid: 4321 });
    expect(list).toHaveLength(1);
    const i = list[0]!;
    expect(i).toMatchObject({ cause: 'oom-kill', signal: 15, signal_name: 'SIGTERM', comm: 'chrome', host: 'desk', confidence: 'high' });
    expect(i.actor).toMatchObject({ command: 'earlyoom', sender_pid: 700, sender_comm: 'earlyoom', user: null });
    within(i, '2025-03-04T12:10:00.001Z');
    expect(decisive(i)).toContainEqual({ source: c.file('syslog'), line: lineOf(syslog, 'process 4321 uid') });
  });

  it('escalated to SIGKILL: signal 9, the escalation line decisive', () => {
    const list = c.incidents({ pid: 4400 });
    expect(list).toHaveLength(1);
    const i = list[0]!;
    expect(i).toMatchObject({ cause: 'oom-kill', signal: 9, comm: 'java', confidence: 'high' });
    expect(i.actor).toMatchObject({ command: 'earlyoom', sender_pid: 700 });
    within(i, '2025-03-04T12:12:00.502Z');
    expect(decisive(i)).toContainEqual({ source: c.file('syslog'), line: lineOf(syslog, 'escalating to SIGKILL') });
  });
});

describe('crash: audit ANOM_ABEND and systemd-coredump about one abort', () => {
  const audit = `
type=ANOM_ABEND msg=audit(${T + 1200}.310:2184): auid=1001 uid=1001 gid=1001 ses=4 subj=unconfined pid=4567 comm="worker" exe="/usr/bin/worker" sig=6 res=1
`;
  const syslog = `
2025-03-04T12:20:00.320000+00:00 web1 systemd-coredump[900]: Process 4567 (worker) of user 1001 terminated abnormally with signal 6/ABRT, processing...
2025-03-04T12:20:00.910000+00:00 web1 systemd-coredump[900]: Process 4567 (worker) of user 1001 dumped core.#012#012Stack trace of thread 4567:#012#0  0x00007f3a1c4a9e2c __pthread_kill_implementation (libc.so.6 + 0x8ae2c)#012#1  0x00007f3a1c45afb2 raise (libc.so.6 + 0x3bfb2)
`;
  let c: Case;
  beforeAll(async () => {
    c = await buildCase({ 'audit/audit.log': audit, syslog });
  });
  afterAll(() => c.close());

  it('is one crash by SIGABRT with both sources cited', () => {
    const list = c.incidents().filter((i) => i.pid === 4567);
    expect(list).toHaveLength(1);
    const i = list[0]!;
    expect(i).toMatchObject({ cause: 'crash', signal: 6, signal_name: 'SIGABRT', comm: 'worker', host: 'web1', confidence: 'high' });
    expect(i.actor.kind).toBe('kernel');
    within(i, '2025-03-04T12:20:00.310Z');
    const cited = i.evidence.map((e) => [e.source, e.line]);
    expect(cited).toContainEqual([c.file('audit/audit.log'), 1]);
    expect(cited).toContainEqual([c.file('syslog'), lineOf(syslog, 'dumped core')]);
    expect(decisive(i).length).toBeGreaterThan(0);
  });
});

describe('journal export only: kernel OOM block with boot id and printk time', () => {
  const BOOT = '9c7f833031f94777aedd645a8789e450';
  const rtUs = (T + 1800) * 1_000_000 + 123_456; // 2025-03-04T12:30:00.123456Z
  const mono = 5_000_000_000; // 5000 s of uptime
  const kernel = (i: number, dUs: number, message: string) =>
    exportEntry({
      __CURSOR: `s=29912846da1c4d1d8d50dd155c553bdc;i=${(0x559a + i).toString(16)};b=${BOOT};m=${(mono + dUs).toString(16)};t=${(rtUs + dUs).toString(16)};x=64f5dadd7826705a`,
      __REALTIME_TIMESTAMP: rtUs + dUs,
      __MONOTONIC_TIMESTAMP: mono + dUs + 3_000,
      _SOURCE_MONOTONIC_TIMESTAMP: mono + dUs,
      _BOOT_ID: BOOT,
      _TRANSPORT: 'kernel',
      PRIORITY: 4,
      SYSLOG_FACILITY: 0,
      SYSLOG_IDENTIFIER: 'kernel',
      _HOSTNAME: 'huggy',
      _MACHINE_ID: 'f4e4621cbd954e73a519d0ca3e0d82c3',
      MESSAGE: message,
    });
  const journal =
    kernel(0, 0, 'stress invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0') +
    kernel(1, 10, 'CPU: 1 PID: 2990 Comm: stress Not tainted 6.1.0-18-amd64 #1 Debian 6.1.76-1') +
    kernel(2, 200, 'oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/system.slice/app.service,task=java,pid=3001,uid=1000') +
    kernel(3, 210, 'Out of memory: Killed process 3001 (java) total-vm:9809296kB, anon-rss:7833604kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:4108kB oom_score_adj:0');
  let c: Case;
  beforeAll(async () => {
    c = await buildCase({ 'journal-export.txt': journal });
  });
  afterAll(() => c.close());

  it('oom-kill of java with the boot id and the exact time', () => {
    const list = c.incidents().filter((i) => i.pid === 3001);
    expect(list).toHaveLength(1);
    const i = list[0]!;
    expect(i).toMatchObject({ cause: 'oom-kill', signal: 9, comm: 'java', host: 'huggy', boot: BOOT, confidence: 'high' });
    expect(i.trigger).toEqual({ pid: 2990, comm: 'stress' });
    expect(i.actor).toMatchObject({ kind: 'kernel', via: 'kernel' });
    within(i, '2025-03-04T12:30:00.123Z', 5);
    expect(decisive(i)).toContainEqual({ source: c.file('journal-export.txt'), line: lineOf(journal, 'i=559d') });
  });
});

/** Like buildCase, with the files' mtime set to the collection time (year inference needs it). */
async function buildCaseAt(files: Record<string, string | Buffer>, mtimeS: number): Promise<Case> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-fix-'));
  const logDir = path.join(dir, 'var/log');
  for (const [name, body] of Object.entries(files)) {
    const p = path.join(logDir, name);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, typeof body === 'string' ? body.replace(/^\n/, '') : body);
    fs.utimesSync(p, mtimeS, mtimeS);
  }
  const dbFile = path.join(dir, 'case.db');
  await ingest([logDir], { db: dbFile, tz: null, bootTime: null });
  const db = openCaseDb(dbFile);
  return {
    dir,
    file: (name) => fs.realpathSync(path.join(logDir, name)),
    incidents: (filter?: IncidentFilter) => findIncidents(db, filter),
    close: () => {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('Ubuntu 20.04 host in Europe/Berlin: local syslog times, wtmp, pacct, no audit', () => {
  // Local 16:48:45 CET = 15:48:45Z. Booted at 15:05:27Z (uptime 2557.8 s at the kernel line).
  const BOOT_S = Date.UTC(2025, 10, 21, 15, 5, 28) / 1000;
  const LOGIN_S = Date.UTC(2025, 10, 21, 15, 40, 0) / 1000;
  const KILL_S = Date.UTC(2025, 10, 21, 15, 48, 45) / 1000;
  const kern = `
Nov 21 16:05:30 web kernel: [    2.104512] EXT4-fs (sda1): mounted filesystem with ordered data mode. Opts: (null)
Nov 21 16:48:45 web kernel: [ 2557.812345] audit: type=1400 audit(1763740125.800:57): apparmor="DENIED" operation="open" profile="snap.lxd.daemon" name="/proc/1/environ" pid=4100 comm="node"
`;
  const auth = `
Nov 21 16:39:59 web sshd[5100]: Accepted publickey for alice from 10.0.0.5 port 52311 ssh2: ED25519 SHA256:nCBLGqONA/uQW2vSk/G7jbDl3QCPvYvYnKUOS66wKaY
Nov 21 16:39:59 web sshd[5100]: pam_unix(sshd:session): session opened for user alice by (uid=0)
Nov 21 16:40:00 web systemd-logind[612]: New session 3 of user alice.
Nov 21 16:48:45 web sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/kill -9 4242
Nov 21 16:48:45 web sudo: pam_unix(sudo:session): session opened for user root by alice(uid=0)
Nov 21 16:48:45 web sudo: pam_unix(sudo:session): session closed for user root
`;
  const syslog = `
Nov 21 16:30:00 web node[4242]: listening on 0.0.0.0:3000
Nov 21 16:48:40 web node[4242]: GET /health 200
`;
  const wtmp = Buffer.concat([
    utmpRecord({ type: UT.BOOT_TIME, pid: 0, line: '~', id: '~~', user: 'reboot', host: '5.4.0-150-generic', sec: BOOT_S }),
    utmpRecord({ type: UT.RUN_LVL, pid: 53, line: '~', id: '~~', user: 'runlevel', host: '5.4.0-150-generic', sec: BOOT_S + 6 }),
    utmpRecord({ type: UT.USER_PROCESS, pid: 5100, line: 'pts/0', id: 'ts/0', user: 'alice', host: '10.0.0.5', sec: LOGIN_S, usec: 120000 }),
  ]);
  const pacct = Buffer.concat([
    acctV3({ flags: 0x02, exitStatus: 0, uid: 0, pid: 5161, ppid: 5160, btime_s: KILL_S, elapsed_s: 0.01, comm: 'kill' }),
    acctV3({ flags: 0x10, exitStatus: 9, uid: 1000, pid: 4242, ppid: 1, btime_s: KILL_S - 1200, elapsed_s: 1200.05, comm: 'node' }),
  ]);
  let c: Case;
  beforeAll(async () => {
    c = await buildCaseAt({ 'kern.log': kern, 'auth.log': auth, syslog, wtmp, 'account/pacct': pacct }, KILL_S + 3600);
  });
  afterAll(() => c.close());

  it('kill -9 by alice via sudo from 10.0.0.5, at the right UTC instant without --tz', () => {
    const list = c.incidents({ pid: 4242 });
    expect(list).toHaveLength(1);
    const i = list[0]!;
    expect(i).toMatchObject({ cause: 'signal', signal: 9, comm: 'node', host: 'web' });
    expect(['medium', 'low']).toContain(i.confidence);
    expect(i.actor).toMatchObject({ kind: 'user', user: 'alice', via: 'sudo', from_host: '10.0.0.5', command: '/usr/bin/kill -9 4242' });
    within(i, '2025-11-21T15:48:45Z');
    expect(i.evidence.map((e) => [e.source, e.line])).toContainEqual([c.file('auth.log'), lineOf(auth, 'COMMAND=/usr/bin/kill')]);
    expect(i.missing_evidence.join('\n')).toContain('-a always,exit -F arch=b64 -S kill,tkill,tgkill');
    expect(i.missing_evidence.join('\n')).toMatch(/no audit kill record/);
    expect(i.evidence.find((e) => e.source === c.file('account/pacct') && e.line === 2)?.text).toContain('signal 9 (SIGKILL)');
  });
});

describe('crash boot in wtmp: a BOOT_TIME record with no shutdown before it', () => {
  const wtmp = Buffer.concat([
    utmpRecord({ type: UT.BOOT_TIME, pid: 0, line: '~', id: '~~', user: 'reboot', host: '6.1.0-18-amd64', sec: T }),
    utmpRecord({ type: UT.RUN_LVL, pid: 53, line: '~', id: '~~', user: 'runlevel', host: '6.1.0-18-amd64', sec: T + 8 }),
    utmpRecord({ type: UT.BOOT_TIME, pid: 0, line: '~', id: '~~', user: 'reboot', host: '6.1.0-18-amd64', sec: T + 3300 }),
    utmpRecord({ type: UT.RUN_LVL, pid: 53, line: '~', id: '~~', user: 'runlevel', host: '6.1.0-18-amd64', sec: T + 3308 }),
  ]);
  const syslog = `
2025-03-04T12:10:00.000000+00:00 db2 pgbouncer[7777]: LOG stats: 12 xacts/s, 40 queries/s
2025-03-04T12:50:00.000000+00:00 db2 pgbouncer[7777]: LOG stats: 11 xacts/s, 38 queries/s
2025-03-04T12:55:10.000000+00:00 db2 systemd[1]: Starting pgbouncer.service - connection pooler for PostgreSQL...
2025-03-04T12:55:11.000000+00:00 db2 pgbouncer[612]: LOG listening on 127.0.0.1:6432
`;
  let c: Case;
  beforeAll(async () => {
    c = await buildCase({ wtmp, syslog });
  });
  afterAll(() => c.close());

  it('incidents --pid gives host-down: the host crashed while the process ran', () => {
    const list = c.incidents({ pid: 7777 });
    expect(list).toHaveLength(1);
    const i = list[0]!;
    expect(i).toMatchObject({ cause: 'host-down', comm: 'pgbouncer', host: 'db2', signal: null });
    expect(i.summary).toMatch(/without a clean shutdown/);
    expect(i.boot).toBe('2025-03-04T12:00:00.000Z');
    // the crash is not proven to the second: last sighting 12:50:00, next boot 12:55:00.
    expect(i.time! >= '2025-03-04T12:50:00.000Z' && i.time! <= '2025-03-04T12:55:00.000Z').toBe(true);
    expect(i.evidence.map((e) => [e.source, e.line])).toContainEqual([c.file('wtmp'), 3]);
    expect(i.confidence).not.toBe('high');
  });
});

describe('logged kill commands without audit', () => {
  it('reads the signal and the pids of kill, pkill and killall command lines', async () => {
    const { parseKillCommand } = await import('../../src/correlate/signal.js');
    expect(parseKillCommand('/usr/bin/kill -9 4242')).toEqual({ signal: 9, pids: [4242], names: [] });
    expect(parseKillCommand('kill -s KILL 4242 4243')).toEqual({ signal: 9, pids: [4242, 4243], names: [] });
    expect(parseKillCommand('kill -SIGHUP 77')).toEqual({ signal: 1, pids: [77], names: [] });
    expect(parseKillCommand('kill 4242')).toEqual({ signal: 15, pids: [4242], names: [] });
    expect(parseKillCommand('pkill -f worker')).toEqual({ signal: 15, pids: [], names: ['worker'] });
    expect(parseKillCommand('/usr/bin/killall -9 java')).toEqual({ signal: 9, pids: [], names: ['java'] });
    // a process group, every process, a list of signals, a probe: no pid of a victim.
    expect(parseKillCommand('kill -9 -4242')).toBeNull();
    expect(parseKillCommand('kill -l')).toBeNull();
    expect(parseKillCommand('kill -0 4242')).toBeNull();
    expect(parseKillCommand('/usr/bin/systemctl restart nginx')).toBeNull();
  });

  const auth = `
2025-03-04T12:40:00.000000+00:00 web1 sudo:      bob : TTY=pts/1 ; PWD=/home/bob ; USER=root ; COMMAND=/usr/bin/kill 6060
`;
  const syslog = `
2025-03-04T12:39:00.000000+00:00 web1 scraper[6060]: fetched 120 pages
`;
  let c: Case;
  beforeAll(async () => {
    c = await buildCase({ 'auth.log': auth, syslog });
  });
  afterAll(() => c.close());

  it('a sudo kill with nothing showing the end: not an incident of its own, low when asked for the pid', () => {
    expect(c.incidents().filter((i) => i.pid === 6060)).toHaveLength(0);
    const list = c.incidents({ pid: 6060 });
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ cause: 'signal', signal: 15, confidence: 'low', comm: 'scraper' });
    expect(list[0]!.actor).toMatchObject({ user: 'bob', via: 'sudo', command: '/usr/bin/kill 6060' });
    expect(list[0]!.summary).toContain('nothing shows the process ended then');
  });
});

describe('systemd-oomd kill with no process accounting', () => {
  const syslog = `
2025-03-04T12:00:00.480000+00:00 desk systemd-oomd[612]: Killed /user.slice/user-1000.slice/user@1000.service/app.slice/app-firefox.scope due to memory pressure for /user.slice/user-1000.slice/user@1000.service being 86.20% > 80.00% for > 20s with reclaim activity
2025-03-04T12:00:00.530000+00:00 desk systemd[1301]: app-firefox.scope: Failed with result 'oom-kill'.
`;
  let c: Case;
  beforeAll(async () => {
    c = await buildCase({ syslog });
  });
  afterAll(() => c.close());

  it('no pid is invented for the killed cgroup', () => {
    expect(c.incidents().filter((i) => i.cause === 'oom-kill')).toHaveLength(0);
  });
});
