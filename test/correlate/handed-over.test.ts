// Kernel text as people hand it over, and the kinds of disappearance the lab sample lacks, one
// scenario each (line formats from ../shared/formats.md §1.6–1.11, §6.8–6.10 and the kernel's
// mm/oom_kill.c strings): every scenario is ingested as a user would and must give its verdict.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findIncidents, ingest, listSources, openCaseDb } from '../../src/index.js';
import { buildReportModel } from '../../src/report/model.js';
import type { Incident } from '../../src/correlate/types.js';
import { acctV3 } from './fixture.js';

const OOM_5X = [
  'java invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0',
  'CPU: 3 PID: 4242 Comm: java Not tainted 5.4.0-42-generic #46-Ubuntu',
  'Call Trace:',
  ' dump_stack+0x6d/0x8b',
  'Mem-Info:',
  'Tasks state (memory values in pages):',
  '[  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name',
  '[   4242]  1000  4242  2097152  1900000 16000000        0             0 java',
  'oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/user.slice,task=java,pid=4242,uid=1000',
  'Out of memory: Killed process 4242 (java) total-vm:8388608kB, anon-rss:7600000kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:15625kB oom_score_adj:0',
];
const stamped = (lines: string[], from = 9123.4567) => lines.map((l, i) => `[${(from + i * 0.0001).toFixed(6).padStart(12)}] ${l}`);
const PROSE = Array.from({ length: 12 }, (_, i) => `Hi all, this is line ${i} of a long description of what we saw on the build farm last night.`);

const GS = '\x1d';
const T_CRON = 1796170000; // 2026-12-01T23:26:40Z

interface Scenario {
  name: string;
  files: Record<string, string | Buffer>;
  format?: string;
  pid: number;
  want: Partial<Pick<Incident, 'cause' | 'signal' | 'comm'>>;
  actor?: Partial<Incident['actor']>;
  command?: string;
  summary?: RegExp;
  answer?: RegExp;
  notAnswer?: RegExp;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'a mail paste: prose, then the unstamped report',
    files: { 'report.txt': [...PROSE, '', ...OOM_5X].join('\n') + '\n' },
    format: 'kernel-text',
    pid: 4242,
    want: { cause: 'oom-kill', signal: 9, comm: 'java' },
    summary: /the host ran out of memory; killed java \(pid 4242/,
  },
  {
    name: 'a bug-report paste: prose, then dmesg lines with CRLF line ends',
    files: { 'console.log': [...PROSE.slice(0, 3), '', ...stamped(OOM_5X)].join('\r\n') + '\r\n' },
    format: 'dmesg',
    pid: 4242,
    want: { cause: 'oom-kill', signal: 9, comm: 'java' },
  },
  {
    name: 'a line-numbered kern.log excerpt (grep -n)',
    files: {
      'kern.log.excerpt': [
        '2031:Mar 23 10:15:01 capstone kernel: [ 1234.567890] python invoked oom-killer: gfp_mask=0x201da, order=0, oom_score_adj=0',
        '2032:Mar 23 10:15:01 capstone kernel: [ 1234.567910] CPU: 0 PID: 3882 Comm: python Not tainted 3.13.0-57-generic #95-Ubuntu',
        '2033:Mar 23 10:15:01 capstone kernel: [ 1234.568000] Out of memory: Kill process 3882 (python) score 623 or sacrifice child',
        '2034:Mar 23 10:15:01 capstone kernel: [ 1234.568010] Killed process 3882 (python) total-vm:1500000kB, anon-rss:900000kB, file-rss:0kB',
      ].join('\n') + '\n',
    },
    format: 'syslog-traditional',
    pid: 3882,
    want: { cause: 'oom-kill', signal: 9, comm: 'python' },
  },
  {
    name: '2.4 / 2.6.11 wording: Out of Memory: Killed process N (comm).',
    files: { messages: 'Jun 12 10:00:01 oldbox kernel: Out of Memory: Killed process 1234 (mysqld).\n' },
    pid: 1234,
    want: { cause: 'oom-kill', signal: 9, comm: 'mysqld' },
    notAnswer: /the whole system was out of memory/,
  },
  {
    name: 'pre-2.6.36: the chosen task\'s child is killed instead',
    files: {
      messages: [
        'Jun 12 10:00:00 oldbox kernel: httpd invoked oom-killer: gfp_mask=0x201d2, order=0, oomkilladj=0',
        'Jun 12 10:00:01 oldbox kernel: Out of memory: kill process 1234 (httpd) score 5678 or a child',
        'Jun 12 10:00:01 oldbox kernel: Killed process 1240 (httpd)',
      ].join('\n') + '\n',
    },
    pid: 1240,
    want: { cause: 'oom-kill', signal: 9, comm: 'httpd' },
    summary: /the kernel chose httpd \(pid 1234, score 5678\) and killed its child httpd \(pid 1240\) instead/,
  },
  {
    name: 'kdump vmcore-dmesg: no killable process, deadlocked on memory',
    files: {
      'vmcore-dmesg.txt': stamped(
        [
          'systemd invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0',
          'CPU: 1 PID: 1 Comm: systemd Not tainted 6.0.0-rc7 #1',
          'Out of memory and no killable processes...',
          'Kernel panic - not syncing: System is deadlocked on memory',
        ],
        7.382,
      ).join('\n') + '\n',
    },
    pid: 1,
    want: { cause: 'host-down', comm: 'systemd' },
    summary: /kernel panic while systemd \(pid 1\) was running: System is deadlocked on memory; before it, the OOM killer found no process it could kill/,
  },
  {
    name: 'a serial console: panic_on_oom=2, the OOM report\'s task table, the CPU line before the panic',
    files: {
      'serial.log': stamped(
        [
          'stress invoked oom-killer: gfp_mask=0x100cca(GFP_HIGHUSER_MOVABLE), order=0, oom_score_adj=0',
          'CPU: 0 PID: 5074 Comm: stress Not tainted 5.15.0 #1',
          'Tasks state (memory values in pages):',
          '[  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name',
          '[    612]     0   612    14010     2008   102400      256          -250 systemd-journal',
          '[   5074]     0  5074  1312551    30540   724992    53488           666 stress',
          'Out of memory: compulsory panic_on_oom is enabled',
          'Kernel panic - not syncing: Out of memory: compulsory panic_on_oom is enabled',
        ],
        512,
      ).join('\n') + '\n',
    },
    pid: 5074,
    want: { cause: 'host-down', comm: 'stress' },
    summary: /vm\.panic_on_oom=2 \(compulsory\).*2 process\(es\) were running by the OOM report's task table: .*systemd-journal \(612\)/,
  },
  {
    name: 'a panic on a hung task (kernel.hung_task_panic)',
    files: {
      'console.log': stamped(
        [
          'INFO: task jbd2/sda1-8:412 blocked for more than 120 seconds.',
          '      Not tainted 5.15.0-91-generic #101-Ubuntu',
          '"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.',
          'Kernel panic - not syncing: hung_task: blocked tasks',
          'CPU: 2 PID: 58 Comm: khungtaskd Not tainted 5.15.0-91-generic #101-Ubuntu',
        ],
        7201.5,
      ).join('\n') + '\n',
    },
    pid: 58,
    want: { cause: 'host-down', comm: 'khungtaskd' },
    summary: /kernel panic while khungtaskd \(pid 58\) was running: hung_task: blocked tasks; before it, a hung task: jbd2\/sda1-8 \(pid 412\) blocked for more than 120 s/,
  },
  {
    name: 'earlyoom: a userspace OOM killer, never the kernel\'s',
    files: {
      syslog: [
        '2026-11-21T10:00:00.200000+00:00 web1 earlyoom[812]: low memory! at or below SIGTERM limits: mem 10.00%, swap 10.00%',
        '2026-11-21T10:00:00.300000+00:00 web1 earlyoom[812]: sending SIGTERM to process 14134 uid 1000 "java": oom_score 812, VmRSS 7650 MiB, cmdline "java -jar app.jar"',
        '2026-11-21T10:00:00.900000+00:00 web1 earlyoom[812]: process 14134 exited after 0.600 seconds',
      ].join('\n') + '\n',
    },
    pid: 14134,
    want: { cause: 'oom-kill', signal: 15, comm: 'java' },
    answer: /was killed by earlyoom \(pid 812\), a userspace OOM killer, with SIGTERM \(15\) .* the kernel OOM killer did not act/,
    notAnswer: /kernel OOM killer at|whole system was out of memory/,
  },
  {
    name: "a cron job's timeout: the sender is timeout, run by cron for root",
    files: {
      'cron.log': `2026-12-01T18:26:35.100000-05:00 vm CRON[30000]: (root) CMD ([30001] timeout 5 /srv/batch/bin/slow-task)\n`,
      'audit.log': [
        `type=LOGIN msg=audit(${T_CRON - 5}.090:500): pid=30000 uid=0 old-auid=4294967295 auid=0 tty=(none) old-ses=4294967295 ses=60 res=1${GS}UID="root" OLD-AUID="unset" AUID="root"`,
        `type=USER_START msg=audit(${T_CRON - 5}.095:501): pid=30000 uid=0 auid=0 ses=60 msg='op=PAM:session_open grantors=pam_loginuid,pam_env,pam_permit,pam_unix acct="root" exe="/usr/sbin/cron" hostname=? addr=? terminal=cron res=success'${GS}UID="root" AUID="root"`,
        `type=SYSCALL msg=audit(${T_CRON}.120:502): arch=c000003e syscall=62 success=yes exit=0 a0=7533 a1=f a2=0 a3=0 items=0 ppid=30001 pid=30002 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=60 comm="timeout" exe="/usr/bin/timeout" key="kill"${GS}ARCH=x86_64 SYSCALL=kill AUID="root" UID="root" GID="root" EUID="root" SUID="root" FSUID="root" EGID="root" SGID="root" FSGID="root"`,
        `type=OBJ_PID msg=audit(${T_CRON}.120:502): opid=30003 oauid=0 ouid=0 oses=60 ocomm="slow-task"${GS}OAUID="root" OUID="root"`,
        `type=PROCTITLE msg=audit(${T_CRON}.120:502): proctitle=74696D656F75740035002F7372762F62617463682F62696E2F736C6F772D7461736B`,
      ].join('\n') + '\n',
      pacct: acctV3({ flags: 0x10, exitStatus: 15, pid: 30003, ppid: 30002, btime_s: T_CRON - 5, elapsed_s: 5, comm: 'slow-task' }),
    },
    pid: 30003,
    want: { cause: 'signal', signal: 15, comm: 'slow-task' },
    actor: { user: 'root', via: 'cron', sender_comm: 'timeout' },
    command: 'timeout 5 /srv/batch/bin/slow-task',
    summary: /by a cron job of root/,
  },
];

describe('kernel text as handed over, and disappearances the lab sample lacks', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-handed-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  SCENARIOS.forEach((sc, n) => {
    it(sc.name, async () => {
      const evidence = path.join(dir, `s${n}`);
      fs.mkdirSync(evidence);
      for (const [name, text] of Object.entries(sc.files)) fs.writeFileSync(path.join(evidence, name), text);
      const dbFile = path.join(dir, `s${n}.db`);
      await ingest([evidence], { db: dbFile });
      const db = openCaseDb(dbFile, { readonly: true });
      try {
        const sources = listSources(db);
        for (const s of sources) expect(s.status, s.path).toBe('ok');
        if (sc.format) expect(sources.map((s) => s.format)).toContain(sc.format);
        const mine = findIncidents(db).filter((i) => i.pid === sc.pid);
        expect(mine, JSON.stringify(findIncidents(db).map((i) => [i.pid, i.cause, i.summary]))).toHaveLength(1);
        const i = mine[0]!;
        expect(i).toMatchObject(sc.want);
        if (sc.actor) expect(i.actor).toMatchObject(sc.actor);
        if (sc.command) expect(i.actor.command).toContain(sc.command);
        if (sc.summary) expect(i.summary).toMatch(sc.summary);
        const answer = buildReportModel(db, i).answer_text;
        if (sc.answer) expect(answer).toMatch(sc.answer);
        if (sc.notAnswer) expect(answer).not.toMatch(sc.notAnswer);
      } finally {
        db.close();
      }
    });
  });
});
