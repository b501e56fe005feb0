// Hand-made incidents and a small case database for the report tests. The lines are the lab
// sample's real lines (Debian 12, kernel 6.18, rsyslog RFC 3339 stamps in America/New_York).
import { openCaseDb, type Db } from '../../src/store/db.js';
import { storeLines, type LineInput } from '../../src/store/lines.js';
import type { Actor, Incident } from '../../src/correlate/types.js';

export const ROOT = '/case/var/log';
export const GENERATED_AT = '2026-11-22T09:00:00.000Z';

interface Line {
  file: string;
  line: number;
  iso: string;
  quality?: string;
  text: string;
}

const FILES: ReadonlyArray<{ name: string; format: string; sha256: string }> = [
  { name: 'kern.log', format: 'syslog', sha256: '1f'.repeat(32) },
  { name: 'auth.log', format: 'syslog', sha256: '2e'.repeat(32) },
  { name: 'audit/audit.log', format: 'audit', sha256: '3d'.repeat(32) },
  { name: 'cron.log', format: 'syslog', sha256: '4c'.repeat(32) },
  { name: 'messages', format: 'syslog', sha256: '5b'.repeat(32) },
];

const K = 'kern.log';
const OOM_LINES: Line[] = [
  { file: K, line: 40, iso: '2026-11-21T21:48:38.821Z', text: '2026-11-21T16:48:38.821904-05:00 vm kernel: [ 2557.821904] report-builder invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0' },
  { file: K, line: 41, iso: '2026-11-21T21:48:38.821Z', text: '2026-11-21T16:48:38.821922-05:00 vm kernel: [ 2557.821922] CPU: 1 UID: 0 PID: 16403 Comm: report-builder Not tainted 6.18.44-fc-v657 #1 PREEMPT(none) ' },
  { file: K, line: 68, iso: '2026-11-21T21:48:38.822Z', text: '2026-11-21T16:48:38.822233-05:00 vm kernel: [ 2557.822233] memory: usage 65536kB, limit 65536kB, failcnt 51' },
  { file: K, line: 114, iso: '2026-11-21T21:48:38.822Z', text: '2026-11-21T16:48:38.822499-05:00 vm kernel: [ 2557.822499] Tasks state (memory values in pages):' },
  { file: K, line: 116, iso: '2026-11-21T21:48:38.822Z', text: '2026-11-21T16:48:38.822505-05:00 vm kernel: [ 2557.822505] [  16400]     0 16400    11927    11629    11328      301         0   135168        0             0 cache-warmer' },
  { file: K, line: 117, iso: '2026-11-21T21:48:38.822Z', text: '2026-11-21T16:48:38.822511-05:00 vm kernel: [ 2557.822511] [  16403]     0 16403     5759     5270     4960      310         0    94208        0             0 report-builder' },
  { file: K, line: 118, iso: '2026-11-21T21:48:38.822Z', text: '2026-11-21T16:48:38.822516-05:00 vm kernel: [ 2557.822516] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/system.slice/batch-jobs.service/lab-oom,task_memcg=/system.slice/batch-jobs.service/lab-oom,task=cache-warmer,pid=16400,uid=0' },
  { file: K, line: 119, iso: '2026-11-21T21:48:38.822Z', text: '2026-11-21T16:48:38.822548-05:00 vm kernel: [ 2557.822548] Memory cgroup out of memory: Killed process 16400 (cache-warmer) total-vm:47708kB, anon-rss:45312kB, file-rss:1204kB, shmem-rss:0kB, UID:0 pgtables:132kB oom_score_adj:0' },
  { file: 'messages', line: 2, iso: '2026-11-21T21:48:38.000Z', quality: 'local_assumed', text: 'Nov 21 16:48:38 vm kernel: [ 2557.821904] report-builder invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0' },
  { file: 'auth.log', line: 10, iso: '2026-11-21T21:48:30.101Z', text: '2026-11-21T16:48:30.101010-05:00 vm sshd[16390]: pam_unix(sshd:session): session closed for user root' },
];

const A = 'auth.log';
const AU = 'audit/audit.log';
const SUDO_LINES: Line[] = [
  { file: A, line: 20, iso: '2026-11-21T21:48:43.972Z', text: '2026-11-21T16:48:43.972339-05:00 vm sshd[16420]: Accepted publickey for alice from 127.0.0.1 port 44070 ssh2: ED25519 SHA256:nCBLGqONA/uQW2vSk/G7jbDl3QCPvYvYnKUOS66wKaY' },
  { file: A, line: 21, iso: '2026-11-21T21:48:43.975Z', text: '2026-11-21T16:48:43.975491-05:00 vm sshd[16420]: pam_unix(sshd:session): session opened for user alice(uid=1001) by (uid=0)' },
  { file: A, line: 24, iso: '2026-11-21T21:48:45.047Z', text: '2026-11-21T16:48:45.047620-05:00 vm sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/kill -9 16416' },
  { file: AU, line: 310, iso: '2026-11-21T21:48:45.047Z', text: 'type=SYSCALL msg=audit(1795297725.047:327): arch=c000003e syscall=62 success=yes exit=0 a0=4020 a1=9 a2=0 a3=7fd8fc060ac0 items=0 ppid=16429 pid=16430 auid=1001 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts1 ses=21 comm="kill" exe="/usr/bin/kill" key="lab_signal"' },
  { file: AU, line: 311, iso: '2026-11-21T21:48:45.047Z', text: 'type=OBJ_PID msg=audit(1795297725.047:327): opid=16416 oauid=-1 ouid=0 oses=-1 ocomm="ingest-daemon"' },
  { file: A, line: 28, iso: '2026-11-21T21:48:45.053Z', text: '2026-11-21T16:48:45.053317-05:00 vm sshd[16426]: Disconnected from user alice 127.0.0.1 port 44070' },
];

const CRON_LINES: Line[] = [
  { file: 'cron.log', line: 7, iso: '2026-11-21T21:49:01.726Z', text: '2026-11-21T16:49:01.726956-05:00 vm CRON[16461]: (root) CMD ([16462] test -f /srv/batch/run/cron-armed && rm -f /srv/batch/run/cron-armed && pkill -9 -x batch-worker)' },
  { file: AU, line: 340, iso: '2026-11-21T21:49:01.731Z', text: 'type=SYSCALL msg=audit(1795297741.731:337): arch=c000003e syscall=62 success=yes exit=0 a0=403b a1=9 a2=55af8b685c23 a3=c6d9bb61ca6aac07 items=0 ppid=16462 pid=16464 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=22 comm="pkill" exe="/usr/bin/pgrep" key="lab_signal"' },
  { file: AU, line: 341, iso: '2026-11-21T21:49:01.731Z', text: 'type=OBJ_PID msg=audit(1795297741.731:337): opid=16443 oauid=-1 ouid=0 oses=-1 ocomm="batch-worker"' },
  { file: 'cron.log', line: 8, iso: '2026-11-21T21:49:01.738Z', text: '2026-11-21T16:49:01.738348-05:00 vm CRON[16461]: (root) END ([16462] test -f /srv/batch/run/cron-armed && rm -f /srv/batch/run/cron-armed && pkill -9 -x batch-worker)' },
];

const SEGV_LINES: Line[] = [
  { file: K, line: 160, iso: '2026-11-21T21:49:06.150Z', text: '2026-11-21T16:49:06.150577-05:00 vm kernel: [ 2585.590367] parser-daemon[16480]: segfault at 0 ip 0000564ddc58336e sp 00007ffc29ee3220 error 6 in parser-daemon[136e,564ddc583000+1000] likely on CPU 1 (core 1, socket 0)' },
  { file: K, line: 161, iso: '2026-11-21T21:49:06.150Z', text: '2026-11-21T16:49:06.150601-05:00 vm kernel: [ 2585.590391] Code: Unable to access opcode bytes at 0x564ddc583344.' },
];

// A process that names itself with markup, pipes and backticks: reports must keep it inert.
const HOSTILE_LINES: Line[] = [
  { file: A, line: 90, iso: '2026-11-21T21:50:00.000Z', text: '2026-11-21T16:50:00.000000-05:00 vm sudo:    mallory : TTY=pts/3 ; PWD=/tmp ; USER=root ; COMMAND=/usr/bin/pkill -9 -f ```a|b`<svg onload=1>' },
  { file: K, line: 200, iso: '2026-11-21T21:50:00.500Z', text: '2026-11-21T16:50:00.500000-05:00 vm kernel: [ 2640.000000] <svg onload=1>[16600]: segfault at 0 ip 00000000 sp 00000000 error 4 | `a|b` & <b>bold</b>\x1b[2J' },
];

export function makeCaseDb(opts: { tz?: string | null } = { tz: 'America/New_York' }): Db {
  const db = openCaseDb(':memory:');
  if (opts.tz) db.prepare(`INSERT INTO meta(key, value) VALUES ('tz', ?)`).run(opts.tz);
  const ids = new Map<string, number>();
  const insSrc = db.prepare(`INSERT INTO sources(path, format, compression, sha256, status) VALUES (?, ?, 'none', ?, 'ok')`);
  for (const f of FILES) ids.set(f.name, Number(insSrc.run(`${ROOT}/${f.name}`, f.format, f.sha256).lastInsertRowid));
  const bySource = new Map<number, LineInput[]>();
  for (const l of [...OOM_LINES, ...SUDO_LINES, ...CRON_LINES, ...SEGV_LINES, ...HOSTILE_LINES]) {
    const f = syslogFields(l.text);
    const id = ids.get(l.file)!;
    const list = bySource.get(id) ?? [];
    list.push({
      src_line: l.line, src_offset: l.line * 100, ts_utc_ms: Date.parse(l.iso), ts_quality: l.quality ?? 'exact',
      host: f.host, program: f.program, pid: f.pid, uptime_s: f.uptime_s, message: f.message, raw: l.text,
    });
    bySource.set(id, list);
  }
  for (const [id, list] of bySource) storeLines(db, id, list);
  return db;
}

/** The fields the syslog and dmesg parsers store, taken from a fixture line (audit lines have none). */
export function syslogFields(text: string): { host: string | null; program: string | null; pid: number | null; uptime_s: number | null; message: string } {
  const m = /^(?:\S+|[A-Z][a-z]{2} [ \d]\d [\d:]{8}) (\S+) ([^\s[:]+)(?:\[(\d+)\])?: (.*)$/.exec(text);
  if (!m) return { host: null, program: null, pid: null, uptime_s: null, message: text };
  const [, host, program, pid, rest] = m;
  const k = program === 'kernel' ? /^\[\s*(\d+\.\d+)\] (.*)$/.exec(rest) : null;
  return { host, program, pid: pid ? Number(pid) : null, uptime_s: k ? Number(k[1]) : null, message: k ? k[2] : rest };
}

function noActor(over: Partial<Actor> = {}): Actor {
  return { kind: 'unknown', user: null, uid: null, auid: null, session: null, from_host: null, tty: null, via: null, command: null, ...over };
}

function ev(l: Line, role: string, decisive = false) {
  return { source: `${ROOT}/${l.file}`, line: l.line, time: l.iso, text: l.text, role, decisive, time_quality: l.quality ?? 'exact' };
}

export function oomIncident(): Incident {
  return {
    id: 'oom-kill-16400-1795297718',
    pid: 16400,
    comm: 'cache-warmer',
    host: 'vm',
    boot: '2026-11-21T21:05:20.000Z',
    time: '2026-11-21T21:48:38.822Z',
    start_time: '2026-11-21T21:48:30.512Z',
    cause: 'oom-kill',
    signal: 9,
    signal_name: 'SIGKILL',
    confidence: 'high',
    summary: 'cache-warmer (pid 16400) was killed by the memcg OOM killer',
    actor: noActor({ kind: 'kernel', via: 'kernel' }),
    trigger: { pid: 16403, comm: 'report-builder' },
    oom: {
      scope: 'memcg',
      constraint: 'CONSTRAINT_MEMCG',
      oom_memcg: '/system.slice/batch-jobs.service/lab-oom',
      task_memcg: '/system.slice/batch-jobs.service/lab-oom',
      unit: 'batch-jobs.service',
      limit_mib: 64,
      usage_mib: 64,
      victim_rank: 1,
      victim_anon_rss_mib: 44.25,
      victim_file_rss_mib: 1.18,
      victim_total_vm_mib: 46.59,
      gfp_mask: '0xcc0(GFP_KERNEL)',
      order: 0,
      tasks: [
        { pid: 16403, uid: 0, tgid: 16403, total_vm_pages: 5759, rss_pages: 5270, rss_mib: 20.59, pgtables_bytes: 94208, swapents: 0, oom_score_adj: 0, name: 'report-builder', rank: 2 },
        { pid: 16400, uid: 0, tgid: 16400, total_vm_pages: 11927, rss_pages: 11629, rss_mib: 45.43, pgtables_bytes: 135168, swapents: 0, oom_score_adj: 0, name: 'cache-warmer', rank: 1 },
        { pid: 16399, uid: 0, tgid: 16399, total_vm_pages: 2000, rss_pages: 300, rss_mib: null, pgtables_bytes: 49152, swapents: 0, oom_score_adj: -500, name: 'sh', rank: 3 },
      ],
    },
    evidence: [ev(OOM_LINES[0], 'the OOM report header: the trigger', true), ev(OOM_LINES[2], 'the cgroup limit'), ev(OOM_LINES[6], 'the victim chosen', true), ev(OOM_LINES[7], 'the kill', true)],
    missing_evidence: ['No audit record of the SIGKILL: the kernel OOM killer does not go through kill(2).'],
    alternatives: ['Not a global OOM: the constraint is CONSTRAINT_MEMCG.', 'Not killed by a user: no kill syscall targets pid 16400.'],
    recommendations: [
      'Raise MemoryMax= of batch-jobs.service above the combined peak of cache-warmer and report-builder, or give each its own limit.',
      'Alert on "oom-kill:" kernel lines.',
    ],
  };
}

export function sudoKillIncident(): Incident {
  return {
    id: 'signal-16416-1795297725',
    pid: 16416,
    comm: 'ingest-daemon',
    host: 'vm',
    boot: '2026-11-21T21:05:20.000Z',
    time: '2026-11-21T21:48:45.047Z',
    start_time: '2026-11-21T21:48:43.818Z',
    cause: 'signal',
    signal: 9,
    signal_name: null,
    confidence: 'high',
    summary: 'alice killed ingest-daemon with sudo kill -9',
    actor: {
      kind: 'user', user: 'alice', uid: 0, auid: 1001, session: 21, from_host: '127.0.0.1', tty: 'pts/0', via: 'sudo',
      command: '/usr/bin/kill -9 16416', sender_pid: 16430, sender_comm: 'kill', sender_exe: '/usr/bin/kill',
    },
    trigger: null,
    oom: null,
    evidence: [
      ev(SUDO_LINES[0], 'ssh login'),
      ev(SUDO_LINES[2], 'sudo command', true),
      ev(SUDO_LINES[3], 'the kill syscall', true),
      ev(SUDO_LINES[4], 'the target', true),
    ],
    missing_evidence: [],
    alternatives: ['Not an OOM kill: no oom-killer report near that time.'],
    recommendations: [],
  };
}

export function cronPkillIncident(): Incident {
  return {
    id: 'signal-16443-1795297741',
    pid: 16443,
    comm: 'batch-worker',
    host: 'vm',
    boot: null,
    time: '2026-11-21T21:49:01.731Z',
    start_time: null,
    cause: 'signal',
    signal: 9,
    signal_name: 'SIGKILL',
    confidence: 'high',
    summary: 'a root cron job ran pkill -9 -x batch-worker',
    actor: noActor({
      kind: 'cron', user: 'root', uid: 0, auid: 0, session: 22, via: 'cron',
      command: 'test -f /srv/batch/run/cron-armed && rm -f /srv/batch/run/cron-armed && pkill -9 -x batch-worker',
      sender_pid: 16464, sender_comm: 'pkill', sender_exe: '/usr/bin/pgrep',
    }),
    trigger: null,
    oom: null,
    evidence: [ev(CRON_LINES[0], 'cron job started', true), ev(CRON_LINES[1], 'the kill syscall', true), ev(CRON_LINES[2], 'the target', true)],
    missing_evidence: ['No crontab copy in the evidence: the schedule of the job is unknown.'],
    alternatives: [],
    recommendations: ['Review the root crontab entry that runs pkill -9 -x batch-worker; prefer a graceful SIGTERM and a pid file.'],
  };
}

export function segfaultIncident(): Incident {
  return {
    id: 'crash-16480-1795297746',
    pid: 16480,
    comm: 'parser-daemon',
    host: 'vm',
    boot: '2026-11-21T21:05:20.000Z',
    time: '2026-11-21T21:49:06.150Z',
    start_time: '2026-11-21T21:49:05.146Z',
    cause: 'crash',
    signal: 11,
    signal_name: 'SIGSEGV',
    confidence: 'high',
    summary: 'parser-daemon segfaulted',
    actor: noActor({ kind: 'kernel', via: 'kernel' }),
    trigger: null,
    oom: null,
    evidence: [ev(SEGV_LINES[0], 'segfault: write to address 0 (NULL pointer)', true)],
    missing_evidence: ['No core dump: systemd-coredump is not installed.'],
    alternatives: ['Not a kill: no kill syscall targets pid 16480.'],
    recommendations: [],
  };
}

/** Log-controlled names full of markup, pipes, backticks and a terminal escape. */
export function hostileIncident(): Incident {
  return {
    id: 'signal-16600-x<y>|`z`',
    pid: 16600,
    comm: '<svg onload=1>',
    host: 'vm|<b>h</b>',
    boot: null,
    time: '2026-11-21T21:50:00.500Z',
    start_time: null,
    cause: 'signal',
    signal: 9,
    signal_name: 'SIGKILL',
    confidence: 'medium',
    summary: 'mallory killed <svg onload=1>',
    actor: noActor({
      kind: 'user', user: 'a|b', via: 'sudo', from_host: '10.0.0.9\nInjected: yes', tty: 'pts/3',
      command: '/usr/bin/pkill -9 -f ```a|b`<svg onload=1>',
    }),
    trigger: null,
    oom: {
      scope: 'global', constraint: 'CONSTRAINT_NONE', oom_memcg: null, task_memcg: '/', unit: null, limit_mib: null, usage_mib: null,
      victim_rank: null, victim_anon_rss_mib: null, victim_file_rss_mib: null, victim_total_vm_mib: null, gfp_mask: null, order: null,
      tasks: [{ pid: 16600, uid: 0, tgid: 16600, total_vm_pages: 10, rss_pages: 10, rss_mib: 1, pgtables_bytes: 0, swapents: 0, oom_score_adj: 0, name: '<svg onload=1>|`x`', rank: 1 }],
    },
    evidence: [ev(HOSTILE_LINES[0], 'sudo <command> | with `ticks`', true), ev(HOSTILE_LINES[1], 'the <b>line</b>')],
    missing_evidence: ['<img src=x onerror=alert(1)> missing'],
    alternatives: ['a | b [link](javascript:alert(1))'],
    recommendations: ['# not a heading', '1. not a list'],
  };
}

export function allFixtures(): Incident[] {
  return [oomIncident(), sudoKillIncident(), cronPkillIncident(), segfaultIncident()];
}
