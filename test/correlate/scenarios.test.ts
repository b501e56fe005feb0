// One fixture scenario per cause, from real-looking log text (formats.md §1.13, §2.1, §2.5, §3.5–3.9,
// §6.1, §6.3, §6.5, §6.7, §7) ingested through the public API: every JSON contract field the issue
// names is asserted, and the decisive evidence must cite the right file and line.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findIncidents, ingest, openCaseDb } from '../../src/index.js';
import type { Incident } from '../../src/correlate/types.js';
import { type Case, UT, acctV3, buildCase, lineOf, utmpRecord } from './fixture.js';

const LAB = path.resolve(__dirname, '../../../shared/lab-sample');

/** 2025-03-04T10:15:00Z */
const T = 1741083300;

function decisive(i: Incident): Array<{ source: string; line: number }> {
  return i.evidence.filter((e) => e.decisive).map((e) => ({ source: e.source, line: e.line }));
}

describe('global OOM kill (5.x block in kern.log)', () => {
  const kern = `
2025-03-04T10:15:30.100000+00:00 web1 kernel: [ 9123.456789] stress invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0
2025-03-04T10:15:30.100000+00:00 web1 kernel: [ 9123.456801] CPU: 2 PID: 2201 Comm: stress Not tainted 5.15.0-91-generic #101-Ubuntu
2025-03-04T10:15:30.100000+00:00 web1 kernel: [ 9123.456830] Mem-Info:
2025-03-04T10:15:30.100000+00:00 web1 kernel: [ 9123.456832] active_anon:1958412 inactive_anon:12 isolated_anon:0
2025-03-04T10:15:30.100000+00:00 web1 kernel: [ 9123.456900] Tasks state (memory values in pages):
2025-03-04T10:15:30.100000+00:00 web1 kernel: [ 9123.456901] [  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name
2025-03-04T10:15:30.100000+00:00 web1 kernel: [ 9123.456950] [   2201]  1000  2201    65000    30000   300000        0             0 stress
2025-03-04T10:15:30.100000+00:00 web1 kernel: [ 9123.456960] [  14134]  1000 14134  2452324  1958401  4206592        0             0 java
2025-03-04T10:15:30.110000+00:00 web1 kernel: [ 9123.457010] oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/system.slice/app.service,task=java,pid=14134,uid=1000
2025-03-04T10:15:30.110000+00:00 web1 kernel: [ 9123.457020] Out of memory: Killed process 14134 (java) total-vm:9809296kB, anon-rss:7833604kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:4108kB oom_score_adj:0
2025-03-04T10:15:30.170000+00:00 web1 kernel: [ 9123.512345] oom_reaper: reaped process 14134 (java), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB
`;
  const syslog = `
2025-03-04T10:15:30.120000+00:00 web1 systemd[1]: app.service: A process of this unit has been killed by the OOM killer.
2025-03-04T10:15:32.000000+00:00 web1 systemd[1]: app.service: Main process exited, code=killed, status=9/KILL
2025-03-04T10:15:32.000000+00:00 web1 systemd[1]: app.service: Failed with result 'oom-kill'.
`;
  let c: Case;
  beforeAll(async () => {
    c = await buildCase({ 'kern.log': kern, syslog });
  });
  afterAll(() => c.close());

  it('names the victim, the task that invoked the killer, the scope and the unit', () => {
    const list = c.incidents().filter((i) => i.pid === 14134);
    expect(list).toHaveLength(1);
    const i = list[0]!;
    expect(i).toMatchObject({ cause: 'oom-kill', signal: 9, comm: 'java', host: 'web1', confidence: 'high', time: '2025-03-04T10:15:30.110Z' });
    expect(i.actor).toMatchObject({ kind: 'kernel', via: 'kernel', user: null });
    expect(i.trigger).toEqual({ pid: 2201, comm: 'stress' });
    expect(i.oom).toMatchObject({ scope: 'global', unit: 'app.service', victim_rank: 1 });
    expect(i.oom!.tasks.map((t) => [t.pid, t.rss_mib])).toEqual([[14134, 7650], [2201, 117.2]]);
    expect(decisive(i)).toContainEqual({ source: c.file('kern.log'), line: lineOf(kern, 'Killed process 14134') });
    // systemd's own lines about the same death are cited, not counted as a second incident.
    expect(i.evidence.some((e) => e.source === c.file('syslog'))).toBe(true);
  });

  it('the trigger is not reported as killed', () => {
    expect(c.incidents().filter((i) => i.pid === 2201)).toHaveLength(0);
  });
});

describe('kill -9 by a user through sudo after an ssh login (audit + auth.log)', () => {
  // alice (uid 1001) logs in over ssh (audit ses 7), runs `sudo kill -9 14134` on pts/0.
  const audit = `
type=LOGIN msg=audit(${T + 10}.101:410): pid=5100 uid=0 subj=unconfined old-auid=4294967295 auid=1001 tty=(none) old-ses=4294967295 ses=7 res=1
type=USER_START msg=audit(${T + 10}.120:411): pid=5100 uid=0 auid=1001 ses=7 subj=unconfined msg='op=PAM:session_open grantors=pam_loginuid,pam_unix acct="alice" exe="/usr/sbin/sshd" hostname=10.0.0.5 addr=10.0.0.5 terminal=ssh res=success'
type=USER_LOGIN msg=audit(${T + 10}.180:412): pid=5100 uid=0 auid=1001 ses=7 subj=unconfined msg='op=login id=1001 exe="/usr/sbin/sshd" hostname=10.0.0.5 addr=10.0.0.5 terminal=/dev/pts/0 res=success'
type=SYSCALL msg=audit(${T + 40}.047:427): arch=c000003e syscall=62 success=yes exit=0 a0=3736 a1=9 a2=0 a3=7ffe8cad2ee0 items=0 ppid=5140 pid=5141 auid=1001 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=7 comm="kill" exe="/usr/bin/kill" key="kill"
type=OBJ_PID msg=audit(${T + 40}.047:427): opid=14134 oauid=-1 ouid=113 oses=-1 ocomm="mariadbd"
type=PROCTITLE msg=audit(${T + 40}.047:427): proctitle=6B696C6C002D39003134313334
`;
  const auth = `
2025-03-04T10:15:10.050000+00:00 db1 sshd[5100]: Accepted publickey for alice from 10.0.0.5 port 52311 ssh2: ED25519 SHA256:nCBLGqONA/uQW2vSk/G7jbDl3QCPvYvYnKUOS66wKaY
2025-03-04T10:15:10.060000+00:00 db1 sshd[5100]: pam_unix(sshd:session): session opened for user alice(uid=1001) by (uid=0)
2025-03-04T10:15:40.030000+00:00 db1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/kill -9 14134
2025-03-04T10:15:40.031000+00:00 db1 sudo: pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1001)
`;
  let c: Case;
  beforeAll(async () => {
    c = await buildCase({ 'audit/audit.log': audit, 'auth.log': auth });
  });
  afterAll(() => c.close());

  it('the person is the login user, with the sudo command and the source address', () => {
    const list = c.incidents({ pid: 14134 });
    expect(list).toHaveLength(1);
    const i = list[0]!;
    expect(i).toMatchObject({ cause: 'signal', signal: 9, signal_name: 'SIGKILL', comm: 'mariadbd', confidence: 'high', time: '2025-03-04T10:15:40.047Z' });
    expect(i.actor).toMatchObject({ kind: 'user', user: 'alice', auid: 1001, session: 7, via: 'sudo', from_host: '10.0.0.5', tty: 'pts/0' });
    expect(i.actor.command).toBe('/usr/bin/kill -9 14134');
    expect(i.actor.sender_pid).toBe(5141);
    expect(decisive(i)).toContainEqual({ source: c.file('audit/audit.log'), line: lineOf(audit, 'syscall=62') });
    expect(decisive(i)).toContainEqual({ source: c.file('auth.log'), line: lineOf(auth, 'COMMAND=/usr/bin/kill') });
  });

  it('takes the host from the evidence (audit has no node=, the case is db1)', () => {
    expect(c.incidents({ pid: 14134 })[0]!.host).toBe('db1');
  });
});

describe('cron job running pkill (syslog CRON CMD + audit cron session)', () => {
  const syslog = `
2025-03-04T10:17:01.100000+00:00 app1 CRON[6200]: (root) CMD (pkill -f worker)
2025-03-04T10:17:01.300000+00:00 app1 worker[6001]: caught SIGTERM, shutting down
`;
  const audit = `
type=LOGIN msg=audit(${T + 121}.090:510): pid=6199 uid=0 subj=unconfined old-auid=4294967295 auid=0 tty=(none) old-ses=4294967295 ses=88 res=1
type=USER_START msg=audit(${T + 121}.095:511): pid=6199 uid=0 auid=0 ses=88 subj=unconfined msg='op=PAM:session_open grantors=pam_loginuid,pam_env,pam_unix acct="root" exe="/usr/sbin/cron" hostname=? addr=? terminal=cron res=success'
type=SYSCALL msg=audit(${T + 121}.210:515): arch=c000003e syscall=62 success=yes exit=0 a0=1771 a1=f a2=0 a3=0 items=0 ppid=6200 pid=6201 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=88 comm="pkill" exe="/usr/bin/pkill" key="kill"
type=OBJ_PID msg=audit(${T + 121}.210:515): opid=6001 oauid=-1 ouid=33 oses=-1 ocomm="worker"
type=PROCTITLE msg=audit(${T + 121}.210:515): proctitle=706B696C6C002D6600776F726B6572
`;
  let c: Case;
  beforeAll(async () => {
    c = await buildCase({ syslog, 'audit/audit.log': audit });
  });
  afterAll(() => c.close());

  it('names the cron job, its owner and its command', () => {
    const list = c.incidents().filter((i) => i.pid === 6001);
    expect(list).toHaveLength(1);
    const i = list[0]!;
    expect(i).toMatchObject({ cause: 'signal', signal: 15, comm: 'worker', host: 'app1', confidence: 'high' });
    expect(i.actor).toMatchObject({ kind: 'cron', user: 'root', via: 'cron', command: 'pkill -f worker', session: 88 });
    expect(decisive(i)).toContainEqual({ source: c.file('audit/audit.log'), line: lineOf(audit, 'syscall=62') });
    expect(decisive(i)).toContainEqual({ source: c.file('syslog'), line: lineOf(syslog, 'CMD (pkill') });
  });
});

describe('segfault (kernel line, 6.x form)', () => {
  const kern = `
2025-03-04T10:20:00.436815+00:00 web1 kernel: [  600.436815] parser-daemon[16480]: segfault at 0 ip 000055d5c1a0b1e0 sp 00007ffe8c583868 error 6 in parser-daemon[131e0,55d5c1a00000+3e000] likely on CPU 0 (core 0, socket 0)
2025-03-04T10:20:00.438981+00:00 web1 kernel: [  600.438981] Code: 74 15 31 c0 48 89 c7 c6 07 00 c3 0f 1f 00
`;
  let c: Case;
  beforeAll(async () => {
    c = await buildCase({ 'kern.log': kern });
  });
  afterAll(() => c.close());

  it('is a crash by SIGSEGV, ended by the kernel', () => {
    const list = c.incidents().filter((i) => i.pid === 16480);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ cause: 'crash', signal: 11, comm: 'parser-daemon', host: 'web1', confidence: 'high', time: '2025-03-04T10:20:00.436Z' });
    expect(list[0]!.actor).toMatchObject({ kind: 'kernel', via: 'kernel' });
    expect(decisive(list[0]!)).toEqual([{ source: c.file('kern.log'), line: 1 }]);
  });
});

describe('systemd stop timeout: SIGKILL after TimeoutStopSec, stop requested through sudo', () => {
  const syslog = `
2025-03-04T10:29:50.000000+00:00 web1 foo[4242]: serving requests
2025-03-04T10:30:00.000000+00:00 web1 sudo:      bob : TTY=pts/1 ; PWD=/home/bob ; USER=root ; COMMAND=/usr/bin/systemctl stop foo
2025-03-04T10:30:00.100000+00:00 web1 systemd[1]: Stopping foo.service - Foo daemon...
2025-03-04T10:31:30.100000+00:00 web1 systemd[1]: foo.service: State 'stop-sigterm' timed out. Killing.
2025-03-04T10:31:30.100000+00:00 web1 systemd[1]: foo.service: Killing process 4242 (foo) with signal SIGKILL.
2025-03-04T10:31:30.200000+00:00 web1 systemd[1]: foo.service: Main process exited, code=killed, status=9/KILL
2025-03-04T10:31:30.200000+00:00 web1 systemd[1]: foo.service: Failed with result 'timeout'.
2025-03-04T10:31:30.200000+00:00 web1 systemd[1]: Stopped foo.service - Foo daemon.
`;
  let c: Case;
  beforeAll(async () => {
    c = await buildCase({ syslog });
  });
  afterAll(() => c.close());

  it('is systemd, at the request of bob through sudo', () => {
    const list = c.incidents().filter((i) => i.pid === 4242);
    expect(list).toHaveLength(1);
    const i = list[0]!;
    expect(i).toMatchObject({ cause: 'systemd', signal: 9, host: 'web1', comm: 'foo', time: '2025-03-04T10:31:30.100Z' });
    expect(i.actor).toMatchObject({ user: 'bob', via: 'sudo', command: '/usr/bin/systemctl stop foo' });
    expect(i.summary).toMatch(/stop timeout/);
    expect(decisive(i)).toContainEqual({ source: c.file('syslog'), line: lineOf(syslog, 'Killing process 4242') });
  });
});

describe('systemd unit killed by a signal nobody logged (Main process exited, code=killed)', () => {
  const syslog = `
2025-03-04T10:40:00.000000+00:00 web1 systemd[1]: Started bar.service - Bar daemon.
2025-03-04T10:40:01.000000+00:00 web1 bar[5151]: listening on :8080
2025-03-04T10:45:00.000000+00:00 web1 systemd[1]: bar.service: Main process exited, code=killed, status=15/TERM
2025-03-04T10:45:00.000000+00:00 web1 systemd[1]: bar.service: Failed with result 'signal'.
`;
  let c: Case;
  beforeAll(async () => {
    c = await buildCase({ syslog });
  });
  afterAll(() => c.close());

  it('maps the main process to the pid the unit logged with, and says what is missing', () => {
    const list = c.incidents().filter((i) => i.pid === 5151);
    expect(list).toHaveLength(1);
    const i = list[0]!;
    expect(i).toMatchObject({ cause: 'signal', signal: 15, comm: 'bar', host: 'web1' });
    expect(i.actor.kind).toBe('unknown');
    expect(i.missing_evidence.join('\n')).toContain('-a always,exit -F arch=b64 -S kill,tkill,tgkill -F key=kill');
    expect(i.evidence.map((e) => e.line)).toContain(lineOf(syslog, 'code=killed'));
  });
});

describe('fork failure: pids controller rejection + pacct burst of unreaped children', () => {
  const kern = `
2025-03-04T10:50:13.222619+00:00 vm kernel: [ 2592.661349] cgroup: fork rejected by pids controller in /system.slice/leaky.service
`;
  const parent = 7000;
  const recs: Buffer[] = [];
  for (let k = 0; k < 23; k++) {
    recs.push(acctV3({ flags: 0x01, exitStatus: 0, pid: parent + 1 + k, ppid: parent, btime_s: T + 2100 + k * 0.5, elapsed_s: 14, comm: 'zombie-leaker' }));
  }
  recs.push(acctV3({ flags: 0, exitStatus: 1 << 8, pid: parent, ppid: 1, btime_s: T + 2100, elapsed_s: 15, comm: 'zombie-leaker' }));
  let c: Case;
  beforeAll(async () => {
    c = await buildCase({ 'kern.log': kern, 'account/pacct': Buffer.concat(recs) });
  });
  afterAll(() => c.close());

  it('names the parent that could not fork, from process accounting', () => {
    const list = c.incidents().filter((i) => i.cause === 'fork-failure');
    expect(list).toHaveLength(1);
    const i = list[0]!;
    expect(i).toMatchObject({ pid: parent, comm: 'zombie-leaker', host: 'vm', confidence: 'high', signal: null });
    expect(i.summary).toContain('23 child processes');
    expect(decisive(i)).toContainEqual({ source: c.file('kern.log'), line: 1 });
    expect(decisive(i)).toContainEqual({ source: c.file('account/pacct'), line: 24 });
  });
});

describe('host went down: kernel panic (panic_on_oom)', () => {
  const kern = `
2025-03-04T11:00:00.000000+00:00 web1 kernel: [ 7000.100000] Kernel panic - not syncing: Out of memory: system-wide panic_on_oom is enabled
2025-03-04T11:00:00.000000+00:00 web1 kernel: [ 7000.100010] CPU: 3 PID: 8123 Comm: postgres Not tainted 5.15.0-91-generic #101-Ubuntu
`;
  let c: Case;
  beforeAll(async () => {
    c = await buildCase({ 'kern.log': kern });
  });
  afterAll(() => c.close());

  it('blames the host going down, not the process', () => {
    const list = c.incidents().filter((i) => i.pid === 8123);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ cause: 'host-down', comm: 'postgres', host: 'web1', signal: null });
    expect(list[0]!.actor.kind).toBe('kernel');
    expect(decisive(list[0]!)).toEqual([{ source: c.file('kern.log'), line: 1 }]);
  });
});

describe('process-group kill: kill -TERM -PGID with several OBJ_PID targets', () => {
  // a0=ffffffffffffe0c0 = -8000: process group 8000.
  const audit = `
type=USER_LOGIN msg=audit(${T + 3000}.000:900): pid=7990 uid=0 auid=1002 ses=12 msg='op=login id=1002 exe="/usr/sbin/sshd" hostname=192.168.1.20 addr=192.168.1.20 terminal=/dev/pts/2 res=success'
type=SYSCALL msg=audit(${T + 3060}.500:931): arch=c000003e syscall=62 success=yes exit=0 a0=ffffffffffffe0c0 a1=f a2=0 a3=0 items=0 ppid=7995 pid=7996 auid=1002 uid=1002 gid=1002 euid=1002 suid=1002 fsuid=1002 egid=1002 sgid=1002 fsgid=1002 tty=pts2 ses=12 comm="bash" exe="/usr/bin/bash" key="kill"
type=OBJ_PID msg=audit(${T + 3060}.500:931): opid=8000 oauid=1002 ouid=1002 oses=12 ocomm="make"
type=OBJ_PID msg=audit(${T + 3060}.500:931): opid=8001 oauid=1002 ouid=1002 oses=12 ocomm="cc1"
type=OBJ_PID msg=audit(${T + 3060}.500:931): opid=8002 oauid=1002 ouid=1002 oses=12 ocomm="cc1"
type=PROCTITLE msg=audit(${T + 3060}.500:931): proctitle="-bash"
`;
  const auth = `
2025-03-04T11:05:00.000000+00:00 build1 sshd[7990]: Accepted password for carol from 192.168.1.20 port 40022 ssh2
`;
  let c: Case;
  beforeAll(async () => {
    c = await buildCase({ 'audit/audit.log': audit, 'auth.log': auth });
  });
  afterAll(() => c.close());

  it('every target gets its own incident with the same actor', () => {
    const list = c.incidents().filter((i) => i.cause === 'signal').sort((a, b) => a.pid - b.pid);
    expect(list.map((i) => [i.pid, i.comm, i.signal])).toEqual([[8000, 'make', 15], [8001, 'cc1', 15], [8002, 'cc1', 15]]);
    for (const i of list) {
      expect(i.actor).toMatchObject({ kind: 'user', user: 'carol', auid: 1002, session: 12, from_host: '192.168.1.20', via: 'login-session', sender_pid: 7996 });
      expect(i.host).toBe('build1');
      expect(decisive(i)).toContainEqual({ source: c.file('audit/audit.log'), line: lineOf(audit, 'syscall=62') });
    }
  });
});

describe('exit: pacct says the process exited on its own with status 3', () => {
  const pacct = Buffer.concat([
    acctV3({ flags: 0, exitStatus: 3 << 8, uid: 1000, pid: 9100, ppid: 9000, btime_s: T + 3600, elapsed_s: 42.5, comm: 'backup.sh' }),
  ]);
  let c: Case;
  beforeAll(async () => {
    c = await buildCase({ 'account/pacct': pacct });
  });
  afterAll(() => c.close());

  it('asking for the pid gives exit with the code and no signal', () => {
    const list = c.incidents({ pid: 9100 });
    expect(list).toHaveLength(1);
    const i = list[0]!;
    expect(i).toMatchObject({ cause: 'exit', signal: null, comm: 'backup.sh', time: '2025-03-04T11:15:42.500Z', start_time: '2025-03-04T11:15:00.000Z' });
    expect(i.summary).toContain('status 3');
    expect(i.evidence[0]).toMatchObject({ source: c.file('account/pacct'), line: 1 });
  });
});

describe.skipIf(!fs.existsSync(LAB))('lab sample: every incident carries the host of its evidence', () => {
  it('is vm for all six', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-labhost-'));
    try {
      const dbFile = path.join(dir, 'case.db');
      await ingest([path.join(LAB, 'var/log')], { db: dbFile, tz: null, bootTime: null });
      const db = openCaseDb(dbFile);
      const pids = [16400, 16416, 16443, 16480, 16491, 16531];
      const hosts = findIncidents(db).filter((i) => pids.includes(i.pid)).map((i) => i.host);
      db.close();
      expect(hosts).toHaveLength(6);
      expect(new Set(hosts)).toEqual(new Set(['vm']));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('kill from a login known only from wtmp (no sshd or audit login records)', () => {
  // ENRICHED audit (auditd log_format=ENRICHED): names after the 0x1d separator.
  const audit = `
type=SYSCALL msg=audit(${T + 900}.250:777): arch=c000003e syscall=62 success=yes exit=0 a0=2328 a1=f a2=0 a3=0 items=0 ppid=3300 pid=3301 auid=1005 uid=1005 gid=1005 euid=1005 suid=1005 fsuid=1005 egid=1005 sgid=1005 fsgid=1005 tty=pts3 ses=31 comm="kill" exe="/usr/bin/kill" key="kill"\x1dARCH=x86_64 SYSCALL=kill AUID="dave" UID="dave"
type=OBJ_PID msg=audit(${T + 900}.250:777): opid=9000 oauid=1005 ouid=1005 oses=31 ocomm="jupyter"\x1dOAUID="dave" OUID="dave"
`;
  const wtmp = Buffer.concat([
    utmpRecord({ type: UT.USER_PROCESS, pid: 3290, line: 'pts/3', id: 'ts/3', user: 'dave', host: '203.0.113.9', sec: T + 600 }),
  ]);
  let c: Case;
  beforeAll(async () => {
    c = await buildCase({ 'audit/audit.log': audit, wtmp });
  });
  afterAll(() => c.close());

  it('takes the tty and the remote host from the wtmp session open at the time', () => {
    const i = c.incidents({ pid: 9000 })[0]!;
    expect(i).toMatchObject({ cause: 'signal', signal: 15, comm: 'jupyter' });
    expect(i.actor).toMatchObject({ user: 'dave', auid: 1005, session: 31, via: 'login-session', from_host: '203.0.113.9', tty: 'pts/3' });
    expect(i.evidence.map((e) => [e.source, e.line])).toContainEqual([c.file('wtmp'), 1]);
  });
});
