// Every cause module, listed explicitly, each with the example scenarios it must explain: real
// line formats (../shared/formats.md) and the verdict they give, run by one test loop
// (test/correlate/registry.test.ts), as remark-lint's rules carry their examples. Adding a cause
// is one module in src/correlate/ and one line here.
import type { Db } from '../store/db.js';
import type { Actor, Cause } from './types.js';
import type { Candidate, EvidenceResolver } from './common.js';
import { oomCandidates } from './oom.js';
import { loggedKillCandidates, signalCandidates } from './signal.js';
import { crashCandidates } from './crash.js';
import { systemdCandidates } from './systemd.js';
import { forkCandidates } from './forkfail.js';
import { panicCandidates } from './hostdown.js';
import { hangupCandidates } from './hangup.js';
import { zombieCandidates } from './zombie.js';
import { sampleV3 } from '../formats/pacct.js';

export interface CauseExample {
  name: string;
  /** Evidence files by name: text, or binary records as hex. */
  files: Record<string, string | { hex: string }>;
  pid: number;
  verdict: { cause: Cause; signal?: number | null; comm?: string; actor?: Partial<Actor> };
  summary?: RegExp;
}

export interface CauseModule {
  name: string;
  candidates(db: Db, ev: EvidenceResolver): Iterable<Candidate>;
  examples: readonly CauseExample[];
}

const GS = '\u001d';
/** One acct v3 record as hex: what pacct holds for a process that ended (elapsed in 100 Hz ticks). */
function acctV3Hex(f: { flags: number; status: number; uid: number; pid: number; ppid: number; begin: number; elapsed_s: number; comm: string }): { hex: string } {
  return { hex: sampleV3({ flag: f.flags, exit: f.status, uid: f.uid, pid: f.pid, ppid: f.ppid, btime: f.begin, etimeTicks: f.elapsed_s * 100, comm: f.comm }) };
}
const AXSIG = 0x10;

export const CAUSE_MODULES: readonly CauseModule[] = [
  {
    name: 'oom-kill',
    candidates: oomCandidates,
    examples: [
      {
        name: 'a memory cgroup limit: the larger task passed over for its oom_score_adj',
        files: {
          'kern.log': [
            '2026-12-01T16:40:07.694009-05:00 vm kernel: [ 4675.479873] upload-handler invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0',
            '2026-12-01T16:40:07.694036-05:00 vm kernel: [ 4675.479887] CPU: 0 UID: 0 PID: 26319 Comm: upload-handler Not tainted 6.18.44-fc-v669 #1 PREEMPT(none) ',
            '2026-12-01T16:40:07.694060-05:00 vm kernel: [ 4675.480300] memory: usage 65536kB, limit 65536kB, failcnt 12',
            '2026-12-01T16:40:07.694061-05:00 vm kernel: [ 4675.480320] Tasks state (memory values in pages):',
            '2026-12-01T16:40:07.694062-05:00 vm kernel: [ 4675.480321] [  pid  ]   uid  tgid total_vm      rss rss_anon rss_file rss_shmem pgtables_bytes swapents oom_score_adj name',
            '2026-12-01T16:40:07.694063-05:00 vm kernel: [ 4675.480327] [  26308]     0 26308     8329     7988     7712      276         0   118784        0             0 db-primary',
            '2026-12-01T16:40:07.694063-05:00 vm kernel: [ 4675.480332] [  26312]     0 26312     6273     5941     5664      277         0    90112        0           500 search-indexer',
            '2026-12-01T16:40:07.694064-05:00 vm kernel: [ 4675.480360] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/system.slice/batch-jobs.service/lab-oom-adj,task_memcg=/system.slice/batch-jobs.service/lab-oom-adj,task=search-indexer,pid=26312,uid=0',
            '2026-12-01T16:40:07.694065-05:00 vm kernel: [ 4675.480376] Memory cgroup out of memory: Killed process 26312 (search-indexer) total-vm:25092kB, anon-rss:22656kB, file-rss:1108kB, shmem-rss:0kB, UID:0 pgtables:88kB oom_score_adj:500',
          ].join('\n'),
        },
        pid: 26312,
        verdict: { cause: 'oom-kill', signal: 9, comm: 'search-indexer', actor: { kind: 'kernel' } },
        summary: /chosen over the larger db-primary \(pid 26308, .*oom_score_adj 0\) because its oom_score_adj is \+500/,
      },
    ],
  },
  {
    name: 'signal (audited kill syscall)',
    candidates: signalCandidates,
    examples: [
      {
        name: "top's k in bob's ssh session",
        files: {
          'audit.log': [
            `type=LOGIN msg=audit(1796161162.220:1053): pid=25945 uid=0 old-auid=4294967295 auid=1002 tty=(none) old-ses=4294967295 ses=49 res=1${GS}UID="root" OLD-AUID="unset" AUID="bob"`,
            `type=SYSCALL msg=audit(1796161168.888:1069): arch=c000003e syscall=62 success=yes exit=0 a0=6548 a1=f a2=0 a3=0 items=0 ppid=25952 pid=25956 auid=1002 uid=1002 gid=1002 euid=1002 suid=1002 fsuid=1002 egid=1002 sgid=1002 fsgid=1002 tty=pts0 ses=49 comm="top" exe="/usr/bin/top" key="lab_signal"${GS}ARCH=x86_64 SYSCALL=kill AUID="bob" UID="bob" GID="bob" EUID="bob" SUID="bob" FSUID="bob" EGID="bob" SGID="bob" FSGID="bob"`,
            `type=OBJ_PID msg=audit(1796161168.888:1069): opid=25928 oauid=1002 ouid=1002 oses=48 ocomm="video-encoder"${GS}OAUID="bob" OUID="bob"`,
          ].join('\n'),
          'auth.log': '2026-12-01T16:39:22.217209-05:00 vm sshd[25945]: Accepted publickey for bob from 127.0.0.1 port 58372 ssh2: ED25519 SHA256:9mi48VCq+ckn23t+IJtnA7GCCfBNnGQlCl07ejIWrbM',
        },
        pid: 25928,
        verdict: { cause: 'signal', signal: 15, comm: 'video-encoder', actor: { user: 'bob', from_host: '127.0.0.1', sender_comm: 'top' } },
        summary: /sent interactively from top/,
      },
    ],
  },
  {
    name: 'signal (logged kill command)',
    candidates: loggedKillCandidates,
    examples: [
      {
        name: 'sudo kill -9, the end confirmed by pacct',
        files: {
          'auth.log': '2025-03-04T10:15:40.030000+00:00 db1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/kill -9 14134',
          pacct: acctV3Hex({ flags: AXSIG, status: 9, uid: 1000, pid: 14134, ppid: 1, begin: 1741083300, elapsed_s: 40, comm: 'java' }),
        },
        pid: 14134,
        verdict: { cause: 'signal', signal: 9, comm: 'java', actor: { user: 'alice', via: 'sudo', command: '/usr/bin/kill -9 14134' } },
      },
    ],
  },
  {
    name: 'crash',
    candidates: crashCandidates,
    examples: [
      {
        name: 'a segfault reported by the kernel',
        files: {
          'kern.log':
            '2026-12-01T16:39:06.243457-05:00 vm kernel: [ 4614.029533] parser-daemon[25753]: segfault at 0 ip 000055d4650e53b5 sp 00007ffd64e05a70 error 6 in parser-daemon[13b5,55d4650e5000+1000] likely on CPU 1 (core 1, socket 0)',
        },
        pid: 25753,
        verdict: { cause: 'crash', signal: 11, comm: 'parser-daemon' },
        summary: /segmentation fault/,
      },
    ],
  },
  {
    name: 'systemd',
    candidates: systemdCandidates,
    examples: [
      {
        name: 'a unit stopped past its timeout: SIGKILL from systemd',
        files: {
          syslog: [
            '2025-03-04T10:30:00.000000+00:00 web1 foo[4321]: serving',
            '2025-03-04T10:31:00.000000+00:00 web1 systemd[1]: Stopping foo.service - Foo...',
            '2025-03-04T10:32:30.100000+00:00 web1 systemd[1]: foo.service: State \'stop-sigterm\' timed out. Killing.',
            '2025-03-04T10:32:30.100000+00:00 web1 systemd[1]: foo.service: Killing process 4321 (foo) with signal SIGKILL.',
            '2025-03-04T10:32:30.200000+00:00 web1 systemd[1]: foo.service: Main process exited, code=killed, status=9/KILL',
          ].join('\n'),
        },
        pid: 4321,
        verdict: { cause: 'systemd', signal: 9 },
      },
    ],
  },
  {
    name: 'fork-failure',
    candidates: forkCandidates,
    examples: [
      {
        name: 'the pids controller refused fork; the process then exited',
        files: {
          'kern.log': '2026-12-01T16:39:13.902001-05:00 vm kernel: [ 4621.690621] cgroup: fork rejected by pids controller in /lab-pids',
          // The leader's unreaped children (forked copies, AFORK), reaped by init when it exits, then its own record.
          pacct: {
            hex: [
              ...Array.from({ length: 10 }, (_, k) =>
                acctV3Hex({ flags: 0x01, status: 0, uid: 0, pid: 25818 + k, ppid: 25817, begin: 1796161153, elapsed_s: 2, comm: 'zombie-leaker' }).hex,
              ),
              acctV3Hex({ flags: 0, status: 1 << 8, uid: 0, pid: 25817, ppid: 25487, begin: 1796161153, elapsed_s: 2.01, comm: 'zombie-leaker' }).hex,
            ].join(''),
          },
        },
        pid: 25817,
        verdict: { cause: 'fork-failure', comm: 'zombie-leaker' },
      },
    ],
  },
  {
    name: 'host-down (kernel panic)',
    candidates: panicCandidates,
    examples: [
      {
        name: 'no killable process: deadlocked on memory',
        files: {
          'vmcore-dmesg.txt': [
            '[    7.382000] systemd invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0',
            '[    7.382050] CPU: 1 PID: 1 Comm: systemd Not tainted 6.0.0-rc7 #1',
            '[    7.382110] Out of memory and no killable processes...',
            '[    7.382452] Kernel panic - not syncing: System is deadlocked on memory',
          ].join('\n'),
        },
        pid: 1,
        verdict: { cause: 'host-down', comm: 'systemd' },
        summary: /System is deadlocked on memory; before it, the OOM killer found no process it could kill/,
      },
    ],
  },
  {
    name: 'signal (hangup at logout)',
    candidates: hangupCandidates,
    examples: [
      {
        name: 'a background job of a plain ssh session',
        files: {
          'auth.log': [
            '2026-12-01T16:39:57.719377-05:00 vm sshd[26258]: Accepted publickey for bob from 127.0.0.1 port 57718 ssh2: ED25519 SHA256:9mi48VCq+ckn23t+IJtnA7GCCfBNnGQlCl07ejIWrbM',
            '2026-12-01T16:39:57.722000-05:00 vm sshd[26258]: pam_unix(sshd:session): session opened for user bob(uid=1002) by (uid=0)',
            '2026-12-01T16:40:00.787933-05:00 vm sshd[26258]: pam_unix(sshd:session): session closed for user bob',
          ].join('\n'),
          pacct: acctV3Hex({ flags: AXSIG, status: 1, uid: 1002, pid: 26270, ppid: 1, begin: 1796161197, elapsed_s: 3, comm: 'log-shipper' }),
        },
        pid: 26270,
        verdict: { cause: 'signal', signal: 1, comm: 'log-shipper', actor: { user: 'bob', via: 'session-hangup', from_host: '127.0.0.1' } },
        summary: /died of SIGHUP when bob's login session from 127\.0\.0\.1 ended/,
      },
      {
        name: 'a kill that came too late (ESRCH) is an attempt, not the cause',
        files: {
          'auth.log': [
            '2026-11-21T16:49:02.100000-05:00 vm sshd[16483]: Accepted publickey for bob from 127.0.0.1 port 60300 ssh2: ED25519 SHA256:nCBLGqONA/uQW2vSk/G7jbDl3QCPvYvYnKUOS66wKaY',
            '2026-11-21T16:49:02.110000-05:00 vm sshd[16483]: pam_unix(sshd:session): session opened for user bob(uid=1002) by (uid=0)',
            '2026-11-21T16:49:06.000000-05:00 vm sshd[16483]: pam_unix(sshd:session): session closed for user bob',
          ].join('\n'),
          'audit.log': [
            `type=LOGIN msg=audit(1795297748.600:370): pid=16497 uid=0 old-auid=4294967295 auid=1002 tty=(none) old-ses=4294967295 ses=24 res=1${GS}UID="root" OLD-AUID="unset" AUID="bob"`,
            `type=SYSCALL msg=audit(1795297748.651:373): arch=c000003e syscall=62 success=no exit=-3 a0=406b a1=f a2=0 a3=7fc145c54ac0 items=0 ppid=16503 pid=16504 auid=1002 uid=1002 gid=1002 euid=1002 suid=1002 fsuid=1002 egid=1002 sgid=1002 fsgid=1002 tty=pts0 ses=24 comm="bash" exe="/usr/bin/bash" key="lab_signal"${GS}ARCH=x86_64 SYSCALL=kill AUID="bob" UID="bob"`,
          ].join('\n'),
          pacct: acctV3Hex({ flags: AXSIG | 0x01, status: 1, uid: 1002, pid: 16491, ppid: 1, begin: 1795297742, elapsed_s: 4, comm: 'bash' }),
        },
        pid: 16491,
        verdict: { cause: 'signal', signal: 1, comm: 'bash', actor: { user: 'bob', via: 'session-hangup' } },
        summary: /died of SIGHUP when bob's login session/,
      },
    ],
  },
  {
    name: 'exit (zombie)',
    candidates: zombieCandidates,
    examples: [
      {
        name: 'a zombie in a ps listing: the parent that did not reap, how many it held',
        files: {
          'ps-eo.txt': [
            '    PID    PPID USER     STAT   RSS                  STARTED CMD',
            '      1       0 root     Ss   11000 Tue Dec  1 16:40:00 2026 /sbin/init',
            '  16500       1 lab      S      900 Tue Dec  1 16:49:00 2026 /srv/batch/bin/zombie-leaker',
            '  16512   16500 lab      Z        0 Tue Dec  1 16:49:01 2026 [zombie-leaker] <defunct>',
            '  16513   16500 lab      Z        0 Tue Dec  1 16:49:01 2026 [zombie-leaker] <defunct>',
          ].join('\n'),
          pacct: acctV3Hex({ flags: 0x01, status: 0, uid: 1001, pid: 16512, ppid: 16500, begin: 1796161741, elapsed_s: 1, comm: 'zombie-leaker' }),
        },
        pid: 16512,
        verdict: { cause: 'exit', comm: 'zombie-leaker', actor: { sender_pid: 16500, sender_comm: 'zombie-leaker' } },
        summary: /is a zombie: it ended after it exited with status 0 but was never reaped by zombie-leaker \(pid 16500\), which held 2 zombies/,
      },
    ],
  },
];

function register(list: readonly CauseModule[]): readonly CauseModule[] {
  const seen = new Set<string>();
  for (const m of list) {
    if (seen.has(m.name)) throw new Error(`cause module ${m.name} registered twice`);
    seen.add(m.name);
  }
  return Object.freeze([...list]);
}

export const CAUSES: readonly CauseModule[] = register(CAUSE_MODULES);
