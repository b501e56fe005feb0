// Processes ended by the host going down (formats.md §4.3, §3.9, §6.7, §7): an orderly shutdown
// (wtmp runlevel and shutdown records, audit SYSTEM_RUNLEVEL/SYSTEM_SHUTDOWN, systemd's shutdown
// lines) or a crash boot, and the boot identity every incident carries.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findIncidents, ingest, openCaseDb } from '../../src/index.js';
import { runlevelChange } from '../../src/correlate/boots.js';
import { type Case, UT, acctV3, buildCase, lineOf, utmpRecord } from './fixture.js';

/** 2025-03-04T10:15:00Z */
const T = 1741083300;
const REAL = path.resolve(__dirname, '../../../shared/samples-real');

/** SysV `runlevel` record: ut_pid = new level char | previous level char << 8. */
function runlevel(to: string, from: string, sec: number, usec = 0): Buffer {
  const pid = to.charCodeAt(0) | (from.charCodeAt(0) << 8);
  return utmpRecord({ type: UT.RUN_LVL, pid, line: '~', id: '~~', user: 'runlevel', host: '3.10.0-1160.el7.x86_64', sec, usec });
}
function boot(sec: number): Buffer {
  return utmpRecord({ type: UT.BOOT_TIME, pid: 0, line: '~', id: '~~', user: 'reboot', host: '3.10.0-1160.el7.x86_64', sec });
}
function shutdownRec(sec: number): Buffer {
  return utmpRecord({ type: UT.RUN_LVL, pid: 0, line: '~', id: '~~', user: 'shutdown', host: '3.10.0-1160.el7.x86_64', sec });
}

describe('runlevel record decoding', () => {
  it('reads the new level from the low byte and the previous one above it', () => {
    expect(runlevelChange(13104)).toEqual({ to: '0', from: '3' }); // knewhow CentOS 6 wtmp
    expect(runlevelChange(51)).toEqual({ to: '3', from: null }); // first runlevel after boot
    expect(runlevelChange(0)).toBeNull();
  });
});

describe('sysvinit reboot: pacct kills between the runlevel 6 record and the next boot', () => {
  const down = T + 3600; // 11:15:00Z
  const next = T + 3700;
  const wtmp = Buffer.concat([boot(T), runlevel('3', 'N', T + 20), runlevel('6', '3', down), shutdownRec(down + 4), boot(next), runlevel('3', 'N', next + 20)]);
  const pacct = Buffer.concat([
    // killed by SIGTERM 2 s into the shutdown, SIGKILL 3.5 s in; a SIGTERM long before it.
    acctV3({ flags: 0x10, exitStatus: 15, pid: 2644, ppid: 1, btime_s: T + 60, elapsed_s: 3542, comm: 'sh' }),
    acctV3({ flags: 0x10, exitStatus: 9, pid: 2861, ppid: 1, btime_s: down, elapsed_s: 3.5, comm: 'plymouthd' }),
    acctV3({ flags: 0x10, exitStatus: 15, pid: 1500, ppid: 900, btime_s: T + 100, elapsed_s: 50, comm: 'worker' }),
  ]);
  let c: Case;
  beforeAll(async () => {
    c = await buildCase({ wtmp, 'account/pacct': pacct });
  });
  afterAll(() => c.close());

  it('blames the reboot, not an unknown sender, with the wtmp records as evidence', () => {
    const sh = c.incidents().find((i) => i.pid === 2644)!;
    expect(sh).toMatchObject({ cause: 'host-down', signal: 15, signal_name: 'SIGTERM', confidence: 'high', comm: 'sh', time: '2025-03-04T11:15:02.000Z' });
    expect(sh.actor).toMatchObject({ kind: 'systemd', via: null, user: null });
    expect(sh.summary).toContain('rebooting');
    expect(sh.summary).toContain('2025-03-04T11:15:00.000Z');
    const dec = sh.evidence.filter((e) => e.decisive);
    expect(dec).toHaveLength(1);
    expect(dec[0]).toMatchObject({ source: c.file('wtmp'), line: 4, text: expect.stringContaining('shutdown record') });
    expect(sh.evidence.some((e) => e.source === c.file('wtmp') && e.line === 3 && e.text.includes('runlevel change 3 → 6'))).toBe(true);
    expect(sh.evidence.some((e) => e.source === c.file('account/pacct') && e.line === 1)).toBe(true);
    expect(sh.alternatives.join(' ')).toContain('process accounting does not say who sent it');
  });

  it('a SIGKILL at the end of the shutdown too; a kill long before it stays an unexplained signal', () => {
    expect(c.incidents().find((i) => i.pid === 2861)).toMatchObject({ cause: 'host-down', signal: 9, confidence: 'high' });
    expect(c.incidents().find((i) => i.pid === 1500)).toMatchObject({ cause: 'signal', signal: 15, confidence: 'low' });
  });

  it('boot is the start of the boot the process ran in, the same for every incident of it', () => {
    const list = c.incidents();
    expect(list.map((i) => i.boot)).toEqual(['2025-03-04T10:15:00.000Z', '2025-03-04T10:15:00.000Z', '2025-03-04T10:15:00.000Z']);
  });
});

describe('systemd reboot: unit killed after logind says the system is rebooting', () => {
  const syslog = `
2025-03-04T10:30:00.000000+00:00 app1 systemd[1]: Started app.service - App server.
2025-03-04T10:30:01.000000+00:00 app1 app[2300]: listening on :8080
2025-03-04T11:15:00.100000+00:00 app1 systemd-logind[512]: System is rebooting.
2025-03-04T11:15:00.300000+00:00 app1 systemd[1]: Stopping app.service - App server...
2025-03-04T11:15:01.500000+00:00 app1 systemd[1]: app.service: Main process exited, code=killed, status=15/TERM
2025-03-04T11:15:03.000000+00:00 app1 systemd-shutdown[1]: Sending SIGTERM to remaining processes...
2025-03-04T11:16:10.000000+00:00 app1 kernel: [    0.000000] Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org)
`;
  const wtmp = Buffer.concat([boot(T), boot(T + 3674)]);
  let c: Case;
  beforeAll(async () => {
    c = await buildCase({ syslog, wtmp });
  });
  afterAll(() => c.close());

  it('is host-down by systemd, with the logind line decisive', () => {
    const list = c.incidents({ cause: 'host-down' });
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ cause: 'host-down', host: 'app1', signal: 15, confidence: 'high', boot: '2025-03-04T10:15:00.000Z' });
    expect(list[0]!.actor).toMatchObject({ kind: 'systemd', via: 'systemd' });
    expect(list[0]!.evidence.find((e) => e.decisive)).toMatchObject({ source: c.file('syslog'), line: lineOf(syslog, 'System is rebooting') });
    expect(c.incidents({ cause: 'systemd' })).toHaveLength(0);
  });
});

describe('audit: shutdown requested from a login session, no later boot in the evidence', () => {
  const audit = `
type=SYSTEM_RUNLEVEL msg=audit(${T + 600}.102:30): user pid=2015 uid=0 auid=1000 ses=3 subj=unconfined_u:unconfined_r:shutdown_t:s0-s0:c0.c1023 msg='old-level=3 new-level=0 exe="/sbin/shutdown" hostname=? addr=? terminal=pts/0 res=success'
type=SYSTEM_SHUTDOWN msg=audit(${T + 600}.106:31): user pid=2015 uid=0 auid=1000 ses=3 subj=unconfined_u:unconfined_r:shutdown_t:s0-s0:c0.c1023 msg='init exe="/sbin/shutdown" hostname=? addr=? terminal=pts/0 res=success'
`;
  const pacct = acctV3({ flags: 0x10, exitStatus: 15, pid: 3100, ppid: 1, btime_s: T, elapsed_s: 602, comm: 'java' });
  let c: Case;
  beforeAll(async () => {
    c = await buildCase({ 'audit/audit.log': audit, 'account/pacct': pacct });
  });
  afterAll(() => c.close());

  it('names who asked for the shutdown; medium without a boot that proves it completed', () => {
    const i = c.incidents().find((x) => x.pid === 3100)!;
    expect(i).toMatchObject({ cause: 'host-down', signal: 15, confidence: 'medium', comm: 'java' });
    expect(i.actor).toMatchObject({ kind: 'systemd', auid: 1000, session: 3, tty: 'pts/0', command: '/sbin/shutdown' });
    expect(i.summary).toContain('powering off');
    expect(i.missing_evidence.join(' ')).toContain('no later boot');
    expect(i.evidence.find((e) => e.decisive)).toMatchObject({ source: c.file('audit/audit.log'), line: 2 });
  });
});

describe('crash boot: a boot with no shutdown before it', () => {
  const syslog = `
2025-03-04T10:16:00.000000+00:00 db1 worker[4321]: started
2025-03-04T10:40:00.000000+00:00 db1 worker[4321]: checkpoint done
2025-03-04T10:41:00.000000+00:00 db1 cron[800]: (root) RELOAD (crontabs/root)
2025-03-04T11:05:30.000000+00:00 db1 systemd[1]: Started cron.service - Regular background program processing daemon.
`;
  const wtmp = Buffer.concat([boot(T), boot(T + 3000)]);
  let c: Case;
  beforeAll(async () => {
    c = await buildCase({ syslog, wtmp });
  });
  afterAll(() => c.close());

  it('asked for the pid, the process ended with the host (kernel), in the first boot', () => {
    const list = c.incidents({ pid: 4321 });
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ cause: 'host-down', confidence: 'medium', comm: 'worker', boot: '2025-03-04T10:15:00.000Z', time: '2025-03-04T10:41:00.000Z' });
    expect(list[0]!.actor).toMatchObject({ kind: 'kernel' });
    expect(list[0]!.evidence.find((e) => e.decisive)).toMatchObject({ source: c.file('wtmp'), line: 2 });
  });

  it('the listing does not name every process of the crashed boot', () => {
    expect(c.incidents()).toEqual([]);
  });
});

describe('boot identity across sources', () => {
  // Kernel start 10:15:00 (uptime anchored on the kern.log lines), wtmp boot written 4 s later.
  const kern = `
2025-03-04T10:20:00.436815+00:00 web1 kernel: [  300.436815] parser-daemon[16480]: segfault at 0 ip 000055d5c1a0b1e0 sp 00007ffe8c583868 error 6 in parser-daemon[131e0,55d5c1a00000+3e000] likely on CPU 0 (core 0, socket 0)
2025-03-04T10:25:00.000000+00:00 web1 kernel: [  600.000000] eth0: link up
`;
  const wtmp = boot(T + 4);
  const pacct = acctV3({ flags: 0x10, exitStatus: 9, pid: 5000, ppid: 1, btime_s: T + 400, elapsed_s: 10, comm: 'stress' });
  let c: Case;
  beforeAll(async () => {
    c = await buildCase({ 'kern.log': kern, wtmp, 'account/pacct': pacct });
  });
  afterAll(() => c.close());

  it('kernel lines and process accounting of one boot name it by the kernel start', () => {
    const list = c.incidents();
    expect(list.map((i) => i.pid)).toEqual([5000, 16480]);
    // uptime 300.436815 at 10:20:00.436815: the kernel started at 10:15:00 (to the anchor's rounding).
    expect(list[0]!.boot).toBe(list[1]!.boot);
    expect(Math.abs(Date.parse(list[0]!.boot!) - T * 1000)).toBeLessThan(5);
  });
});

describe.skipIf(!fs.existsSync(REAL))('real CentOS 6 reboot: knewhow pacct + wtmp', () => {
  let dir: string;
  let db: ReturnType<typeof openCaseDb>;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-knewhow-'));
    const file = path.join(dir, 'case.db');
    await ingest([path.join(REAL, 'pacct/knewhow_centos6_pacct-20161229'), path.join(REAL, 'wtmp/knewhow_centos6_wtmp')], { db: file, tz: null, bootTime: null });
    db = openCaseDb(file);
  });
  afterAll(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the processes killed at 09:36:26–30 ended with the shutdown', () => {
    const list = findIncidents(db);
    expect(list.length).toBe(51);
    expect(list.every((i) => i.cause === 'host-down' && i.confidence === 'high' && i.boot === '2016-12-27T05:14:15.764Z')).toBe(true);
    const ply = list.find((i) => i.pid === 2861)!;
    expect(ply).toMatchObject({ comm: 'plymouthd', signal: 9, time: '2016-12-27T09:36:30.130Z' });
    expect(ply.summary).toContain('2016-12-27T09:36:26.332Z');
    expect(ply.summary).toContain('2016-12-27T20:06:59.210Z');
  });
});

describe('boot identity from the journal', () => {
  const BOOT = '1621aee481fa42ad9693fe91a054f095';
  const us = (sec: number) => String(sec * 1_000_000);
  const entry = (sec: number, fields: string) =>
    `__REALTIME_TIMESTAMP=${us(sec)}\n_BOOT_ID=${BOOT}\n_HOSTNAME=app2\n${fields}\n\n`;
  const journal =
    entry(T + 5, 'SYSLOG_IDENTIFIER=systemd-journald\nMESSAGE=Journal started') +
    entry(T + 600, 'SYSLOG_IDENTIFIER=kernel\n_TRANSPORT=kernel\nMESSAGE=parser-daemon[16480]: segfault at 0 ip 000055d5c1a0b1e0 sp 00007ffe8c583868 error 6 in parser-daemon[131e0,55d5c1a00000+3e000] likely on CPU 0 (core 0, socket 0)');
  // Process accounting of the same boot knows no boot id: it gets the journal's through the time.
  const pacct = acctV3({ flags: 0x10, exitStatus: 9, pid: 5000, ppid: 1, btime_s: T + 400, elapsed_s: 10, comm: 'stress' });
  let c: Case;
  beforeAll(async () => {
    c = await buildCase({ 'journal.export': journal, 'account/pacct': pacct });
  });
  afterAll(() => c.close());

  it('every incident of that boot carries the _BOOT_ID', () => {
    const list = c.incidents();
    expect(list.map((i) => [i.pid, i.cause, i.boot])).toEqual([
      [16480, 'crash', BOOT],
      [5000, 'signal', BOOT],
    ]);
  });
});

describe('signals that did not end anyone else', () => {
  const audit = `
type=SYSCALL msg=audit(${T + 40}.864:1095517): arch=c000003e syscall=62 success=yes exit=0 a0=1fde a1=1 a2=0 a3=8 items=0 ppid=1 pid=8158 auid=1000 uid=1000 gid=1001 euid=1000 suid=1000 fsuid=1000 egid=1001 sgid=1001 fsgid=1001 tty=(none) ses=790 comm="bash" exe="/usr/bin/bash" key="kill_signals"
type=SYSCALL msg=audit(${T + 50}.100:1095600): arch=c000003e syscall=62 success=yes exit=0 a0=2328 a1=12 a2=0 a3=0 items=0 ppid=3300 pid=3301 auid=1005 uid=1005 gid=1005 euid=1005 suid=1005 fsuid=1005 egid=1005 sgid=1005 fsgid=1005 tty=pts3 ses=31 comm="kill" exe="/usr/bin/kill" key="kill"
type=OBJ_PID msg=audit(${T + 50}.100:1095600): opid=9000 oauid=1005 ouid=1005 oses=31 ocomm="make"
`;
  let c: Case;
  beforeAll(async () => {
    c = await buildCase({ 'audit/audit.log': audit });
  });
  afterAll(() => c.close());

  it('a shell re-raising SIGHUP on itself is not listed, and is described as such when asked', () => {
    expect(c.incidents()).toEqual([]);
    const [i] = c.incidents({ pid: 8158 });
    expect(i).toMatchObject({ cause: 'signal', signal: 1, comm: 'bash', confidence: 'medium' });
    expect(i!.summary).toContain('to itself');
  });

  it('SIGCONT (18) cannot end a process: no verdict blames it', () => {
    expect(c.incidents({ pid: 9000 }).every((i) => i.signal !== 18)).toBe(true);
  });
});
