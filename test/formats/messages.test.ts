// Message extractors: real lines (lab sample, formats.md §2 and §6 test vectors) → fact rows.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractMessageFacts } from '../../src/formats/messages/index.js';
import type { EventRow, FactRow, FactTable, ParseOutput } from '../../src/formats/types.js';
import { formatByName } from '../../src/formats/registry.js';
import { openDecoded } from '../../src/sources/decompress.js';
import { splitLines } from '../../src/sources/units.js';
import { runParser } from '../helpers/run-parser.js';
import type { Unit } from '../../src/formats/types.js';

const SHARED = path.resolve(__dirname, '../../../shared');
const T = Date.UTC(2026, 10, 21, 21, 49, 13);

function facts(program: string | null, message: string, pid: number | null = 100, extra: Partial<EventRow> = {}) {
  const got: Array<{ table: FactTable; row: FactRow }> = [];
  const out: ParseOutput = {
    event: () => {},
    skip: () => {},
    warn: () => {},
    fact: (table, row) => got.push({ table, row }),
  };
  extractMessageFacts({ ts_utc_ms: T, ts_quality: 'exact', host: 'vm', program, pid, message, ...extra }, out);
  return got;
}

function one(program: string | null, message: string, pid: number | null = 100, extra: Partial<EventRow> = {}) {
  const f = facts(program, message, pid, extra);
  expect(f, `${program}: ${message}`).toHaveLength(1);
  return f[0];
}

describe('sshd', () => {
  it('Accepted publickey with key info', () => {
    const f = one('sshd', 'Accepted publickey for alice from 127.0.0.1 port 44070 ssh2: ED25519 SHA256:nCBLGqONA/uQW2vSk/G7jbDl3QCPvYvYnKUOS66wKaY', 16420);
    expect(f).toEqual({
      table: 'logins',
      row: expect.objectContaining({
        ts_utc_ms: T, host: 'vm', kind: 'ssh_accepted', user: 'alice', pid: 16420, from_host: '127.0.0.1', port: 44070,
        service: 'sshd', method: 'publickey', result: 'success', detail: 'ED25519 SHA256:nCBLGqONA/uQW2vSk/G7jbDl3QCPvYvYnKUOS66wKaY',
      }),
    });
  });
  it('Failed password for invalid user, Invalid user, Disconnected, Connection closed, Received disconnect', () => {
    expect(one('sshd', 'Failed password for invalid user admin from 10.0.0.9 port 4022 ssh2').row).toMatchObject({
      kind: 'ssh_failed', user: 'admin', method: 'password', result: 'failure', detail: 'invalid user', port: 4022,
    });
    expect(one('sshd', 'Invalid user oracle from 127.0.0.1 port 33976').row).toMatchObject({ kind: 'ssh_invalid_user', user: 'oracle', from_host: '127.0.0.1', port: 33976 });
    expect(one('sshd', 'Invalid user admin from 1.2.3.4').row).toMatchObject({ kind: 'ssh_invalid_user', user: 'admin', port: null });
    expect(one('sshd', 'Disconnected from user alice 127.0.0.1 port 44070', 16426).row).toMatchObject({
      kind: 'ssh_disconnect', user: 'alice', from_host: '127.0.0.1', port: 44070, pid: 16426, detail: 'user',
    });
    expect(one('sshd', 'Connection closed by authenticating user root 127.0.0.1 port 33962 [preauth]').row).toMatchObject({
      kind: 'ssh_closed', user: 'root', from_host: '127.0.0.1', port: 33962, detail: 'authenticating user; preauth',
    });
    expect(one('sshd', 'Connection closed by 192.168.1.5 [preauth]').row).toMatchObject({ kind: 'ssh_closed', user: null, from_host: '192.168.1.5' });
    expect(one('sshd', 'Received disconnect from 127.0.0.1 port 60300:11: disconnected by user').row).toMatchObject({
      kind: 'ssh_received_disconnect', from_host: '127.0.0.1', port: 60300, result: '11', detail: 'disconnected by user',
    });
  });
  it('ignores other sshd lines', () => {
    expect(facts('sshd', 'Server listening on 127.0.0.1 port 2223.')).toEqual([]);
  });
});

describe('pam_unix', () => {
  it('session opened, new (PAM ≥ 1.4) and old forms, and closed', () => {
    expect(one('sshd', 'pam_unix(sshd:session): session opened for user alice(uid=1001) by (uid=0)', 16420).row).toMatchObject({
      kind: 'session_opened', user: 'alice', uid: 1001, service: 'sshd', pid: 16420, detail: 'by (uid=0)', ts_utc_ms: T, host: 'vm',
    });
    expect(one('CRON', 'pam_unix(cron:session): session opened for user root by (uid=0)', 5523).row).toMatchObject({
      kind: 'session_opened', user: 'root', uid: null, service: 'cron',
    });
    expect(one('sudo', 'pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1001)', null).row).toMatchObject({
      kind: 'session_opened', user: 'root', uid: 0, service: 'sudo', detail: 'by alice(uid=1001)',
    });
    expect(one('(systemd)', 'pam_unix(systemd-user:session): session opened for user mruser(uid=1000) by (uid=0)', 1153).row).toMatchObject({
      service: 'systemd-user', user: 'mruser', uid: 1000,
    });
    expect(one('su', 'pam_unix(su-l:session): session closed for user root').row).toMatchObject({ kind: 'session_closed', user: 'root', service: 'su-l' });
  });
  it('authentication failure and the RHEL 4 tag form', () => {
    expect(one('sshd', 'pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=10.0.0.9  user=root').row).toMatchObject({
      kind: 'auth_failure', user: 'root', from_host: '10.0.0.9', tty: 'ssh', service: 'sshd',
    });
    expect(one('sshd(pam_unix)', 'session opened for user test by (uid=509)', 19939).row).toMatchObject({ kind: 'session_opened', user: 'test', service: 'sshd' });
  });
  it('pam_limits and pam_env lines give nothing', () => {
    expect(facts('CRON', "pam_limits(cron:session): Could not set limit for 'nofile' to soft=1024, hard=32768: Operation not permitted; uid=0,euid=0")).toEqual([]);
  });
});

describe('systemd-logind', () => {
  it('new / logged out / removed, numeric and c-sessions, new quoted form', () => {
    expect(one('systemd-logind', 'New session 37 of user root.', 411).row).toMatchObject({ kind: 'logind_new', user: 'root', ses: 37, detail: 'session 37' });
    expect(one('systemd-logind', 'Session 37 logged out. Waiting for processes to exit.').row).toMatchObject({ kind: 'logind_logout', ses: 37 });
    expect(one('systemd-logind', 'Removed session c2.').row).toMatchObject({ kind: 'logind_removed', ses: null, detail: 'session c2' });
    expect(one('systemd-logind', "New session '5' of user 'alice' with class 'user' and type 'tty'.").row).toMatchObject({
      kind: 'logind_new', user: 'alice', ses: 5, detail: 'session 5; class user; type tty',
    });
  });
});

describe('sudo', () => {
  it('allowed command, with the 8-column padding', () => {
    expect(one('sudo', '   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/kill -9 16416', null)).toEqual({
      table: 'commands',
      row: expect.objectContaining({
        ts_utc_ms: T, ts_quality: 'exact', host: 'vm', via: 'sudo', user: 'alice', run_as: 'root', tty: 'pts/0', pwd: '/home/alice',
        command: '/usr/bin/kill -9 16416', result: 'allowed',
      }),
    });
  });
  it('refusals keep their reason', () => {
    expect(one('sudo', 'alice : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls').row).toMatchObject({
      result: '3 incorrect password attempts', command: '/bin/ls',
    });
    expect(one('sudo', '     bob : command not allowed ; TTY=pts/1 ; PWD=/ ; USER=root ; COMMAND=/bin/sh -c \'a ; b\'').row).toMatchObject({
      user: 'bob', result: 'command not allowed', command: "/bin/sh -c 'a ; b'",
    });
  });
  it('continued lines give nothing', () => {
    expect(facts('sudo', 'alice : (command continued) more args')).toEqual([]);
  });
});

describe('su', () => {
  it('util-linux and shadow forms', () => {
    const f = facts('su', '(to root) alice on pts/0', 4242);
    expect(f.map((x) => x.table)).toEqual(['logins', 'commands']);
    expect(f[0].row).toMatchObject({ kind: 'su', user: 'alice', tty: 'pts/0', result: 'success', detail: 'to root' });
    expect(f[1].row).toMatchObject({ via: 'su', user: 'alice', run_as: 'root', pid: 4242 });
    expect(facts('su', 'FAILED SU (to root) alice on none')[0].row).toMatchObject({ result: 'failure', tty: null });
    expect(facts('su', 'Successful su for root by alice')[0].row).toMatchObject({ user: 'alice', detail: 'to root', result: 'success' });
  });
});

describe('cron', () => {
  it('Debian CMD with the [pid] prefix: the shell pid and its parent', () => {
    expect(one('CRON', '(root) CMD ([16462] test -f /srv/batch/run/cron-armed && rm -f /srv/batch/run/cron-armed && pkill -9 -x batch-worker)', 16461).row).toMatchObject({
      via: 'cron', user: 'root', pid: 16462, ppid: 16461, command: 'test -f /srv/batch/run/cron-armed && rm -f /srv/batch/run/cron-armed && pkill -9 -x batch-worker',
    });
    expect(one('CRON', '(root) END ([16462] pkill -9 -x batch-worker)', 16461).row).toMatchObject({ via: 'cron_end', pid: 16462 });
  });
  it('cronie CMD / CMDEND / CMDOUT, and the old /USR/SBIN/CROND tag', () => {
    expect(one('CROND', '(root) CMD (run-parts /etc/cron.hourly)', 23011).row).toMatchObject({ via: 'cron', pid: 23011, ppid: null, command: 'run-parts /etc/cron.hourly' });
    expect(one('CROND', '(root) CMDEND (run-parts /etc/cron.hourly)', 23011).row).toMatchObject({ via: 'cron_end' });
    expect(one('CROND', '(root) CMDOUT (hello)', 23011).row).toMatchObject({ via: 'cron_out', command: 'hello' });
    expect(one('/USR/SBIN/CROND', '(root) CMD (run-parts /etc/cron.hourly)', 1).row).toMatchObject({ via: 'cron' });
    expect(facts('cron', '(CRON) INFO (pidfile fd = 3)')).toEqual([]);
  });
});

describe('systemd units', () => {
  it('the OOM sequence of formats.md §6.7', () => {
    const oom = facts('systemd', 'mariadb.service: A process of this unit has been killed by the OOM killer.', 1);
    expect(oom.map((f) => [f.table, f.row.action ?? f.row.kind])).toEqual([['services', 'oom'], ['process_ends', 'unit_oom']]);
    const exited = facts('systemd', 'mariadb.service: Main process exited, code=killed, status=9/KILL', 1);
    expect(exited[0].row).toMatchObject({ unit: 'mariadb.service', action: 'main_exited', code: 'killed', status: '9/KILL', signal: 9 });
    expect(exited[1].row).toMatchObject({ kind: 'unit_killed', unit: 'mariadb.service', signal: 9, ts_quality: 'exact', boot_key: null });
    expect(one('systemd', "mariadb.service: Failed with result 'oom-kill'.", 1).row).toMatchObject({ action: 'failed', result: 'oom-kill' });
  });
  it('dumped, timeouts, leftover kills, exit codes, v219 lower case', () => {
    expect(facts('systemd', 'foo.service: Main process exited, code=dumped, status=11/SEGV')[1].row).toMatchObject({ kind: 'unit_dumped', signal: 11 });
    expect(one('systemd', 'foo.service: Main process exited, code=exited, status=1/FAILURE').row).toMatchObject({ action: 'main_exited', code: 'exited', signal: null });
    const to = facts('systemd', "foo.service: State 'stop-sigterm' timed out. Killing.");
    expect(to[1].row).toMatchObject({ kind: 'unit_timeout', signal: 9, unit: 'foo.service' });
    const k = facts('systemd', 'foo.service: Killing process 1234 (foo) with signal SIGKILL.');
    expect(k[1].row).toMatchObject({ kind: 'systemd_kill', pid: 1234, comm: 'foo', signal: 9, unit: 'foo.service' });
    expect(facts('systemd', 'tidb-4000.service: main process exited, code=killed, status=9/KILL')[1].row).toMatchObject({ kind: 'unit_killed', signal: 9 });
    expect(one('systemd', 'Unit tidb-4000.service entered failed state.').row).toMatchObject({ unit: 'tidb-4000.service', action: 'failed' });
  });
  it('lifecycle lines', () => {
    expect(one('systemd', 'Stopping Foo Daemon...').row).toMatchObject({ unit: null, action: 'stopping', detail: 'Foo Daemon' });
    expect(one('systemd', 'Started foo.service - Foo Daemon.').row).toMatchObject({ unit: 'foo.service', action: 'started', detail: 'Foo Daemon' });
    expect(one('systemd', 'foo.service: Consumed 1.234s CPU time.').row).toMatchObject({ action: 'consumed', detail: '1.234s CPU time' });
    expect(one('systemd', 'foo.service: Deactivated successfully.').row).toMatchObject({ action: 'deactivated' });
  });
});

describe('user-space OOM killers and coredumps', () => {
  it('systemd-oomd', () => {
    const r = one(
      'systemd-oomd',
      'Killed /user.slice/user-1000.slice/user@1000.service/app.slice/ptyxis-spawn-0b869d19.scope due to memory pressure for /user.slice/user-1000.slice/user@1000.service being 86.80% > 50.00% for > 20s with reclaim activity',
      581,
    ).row;
    expect(r).toMatchObject({ kind: 'oomd_kill', unit: 'ptyxis-spawn-0b869d19.scope', cgroup: '/user.slice/user-1000.slice/user@1000.service/app.slice/ptyxis-spawn-0b869d19.scope', signal: 9 });
  });
  it('earlyoom, every version', () => {
    expect(one('earlyoom', 'sending SIGTERM to process 14134 uid 1000 "java": oom_score 812, VmRSS 7650 MiB, cmdline "java -jar app.jar"').row).toMatchObject({
      kind: 'earlyoom_kill', pid: 14134, uid: 1000, comm: 'java', signal: 15,
    });
    expect(one('earlyoom', 'sending SIGKILL to process 14134 uid 1000 "java": oom_score 812, oom_score_adj 0, VmRSS 7650 MiB, cmdline "java"').row).toMatchObject({ signal: 9 });
    expect(one('earlyoom', 'sending SIGTERM to process 900 "firefox": badness 900, VmRSS 4000 MiB').row).toMatchObject({ pid: 900, uid: null, comm: 'firefox' });
    expect(one('earlyoom', "Killing process 'firefox' with signal 15, pid: 900, badness: 900, VmRSS: 4000 MiB").row).toMatchObject({ pid: 900, signal: 15 });
    expect(facts('earlyoom', 'mem avail:   120 of  7950 MiB ( 1.51%), swap free:    0 of    0 MiB ( 0.00%)')).toEqual([]);
  });
  it('systemd-coredump', () => {
    expect(one('systemd-coredump', 'Process 14134 (test) of user 1000 dumped core.\n\nStack trace of thread 14134:\n#0  0x0000 n/a', 14140).row).toMatchObject({
      kind: 'coredump', pid: 14134, comm: 'test', uid: 1000, signal: null,
    });
    expect(one('systemd-coredump', 'Process 14134 (test) of user 1000 terminated abnormally with signal 11/SEGV, processing...').row).toMatchObject({
      kind: 'abnormal_signal', signal: 11,
    });
  });
});

describe('kernel', () => {
  const K = { boot_key: 'b0', uptime_s: 2585.590367 };
  it('segfault (6.x with likely on CPU)', () => {
    const r = one('kernel', 'parser-daemon[16480]: segfault at 0 ip 0000564ddc58336e sp 00007ffc29ee3220 error 6 in parser-daemon[136e,564ddc583000+1000] likely on CPU 1 (core 1, socket 0)', null, K).row;
    expect(r).toMatchObject({ kind: 'segfault', pid: 16480, comm: 'parser-daemon', exe: 'parser-daemon', signal: 11, boot_key: 'b0', ts_utc_ms: T, host: 'vm' });
    expect(r.detail).toContain('error 6 (page not present, write, user mode)');
  });
  it('segfault, old format and odd comm', () => {
    expect(one('kernel', 'runc:[2:INIT][8291]: segfault at 7f ip 00007f sp 00007ffe error 4').row).toMatchObject({ comm: 'runc:[2:INIT]', pid: 8291, exe: null });
  });
  it('traps: invalid opcode, divide error, general protection (fault)', () => {
    expect(one('kernel', 'traps: SlicerApp-real[15453] trap invalid opcode ip:7f8aa07fa1c8 sp:7ffce616fca8 error:0 in libitkgdcmcharls-5.0.so.1[7f8aa07e4000+84000]').row).toMatchObject({
      kind: 'trap', pid: 15453, comm: 'SlicerApp-real', signal: 4, exe: 'libitkgdcmcharls-5.0.so.1',
    });
    expect(one('kernel', 'traps: calc[77] trap divide error ip:4004f0 sp:7ffd error:0 in calc[400000+1000]').row).toMatchObject({ kind: 'trap', signal: 8 });
    expect(one('kernel', 'traps: gsd-wacom[1855] general protection fault ip:7fed39b5e7b0 sp:7fff3e349620 error:0 in libglib-2.0.so.0.6200.1[7fed39ae3000+83000]').row).toMatchObject({
      kind: 'gpf', signal: 11, pid: 1855,
    });
    expect(one('kernel', 'traps: foo[12] general protection ip:7f sp:7e error:0').row).toMatchObject({ kind: 'gpf', signal: 11 });
    expect(one('kernel', 'bar[13] general protection ip:7f sp:7e error:0').row).toMatchObject({ kind: 'gpf', comm: 'bar' });
  });
  it('potentially unexpected fatal signal, three eras', () => {
    expect(one('kernel', 'foo/1234: potentially unexpected fatal signal 11.').row).toMatchObject({ kind: 'fatal_signal', comm: 'foo', pid: 1234, signal: 11 });
    expect(one('kernel', 'potentially unexpected fatal signal 6.').row).toMatchObject({ kind: 'fatal_signal', comm: null, signal: 6 });
    expect(one('kernel', '/usr/bin/foo: foo: potentially unexpected fatal signal 11.').row).toMatchObject({ exe: '/usr/bin/foo', comm: 'foo' });
  });
  it('pids controller, panic, audit loss, rate limiting', () => {
    expect(one('kernel', 'cgroup: fork rejected by pids controller in /lab-pids').row).toMatchObject({ kind: 'fork_rejected', cgroup: '/lab-pids', unit: null });
    expect(one('kernel', 'cgroup: fork rejected by pids controller in /user.slice/user-1000.slice/session-3.scope').row).toMatchObject({ unit: 'session-3.scope' });
    expect(one('kernel', 'Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000004').row).toMatchObject({ kind: 'panic', pid: 1 });
    expect(one('kernel', 'audit: backlog limit exceeded').row).toMatchObject({ kind: 'audit_backlog' });
    expect(one('kernel', 'audit: audit_lost=12 audit_rate_limit=0 audit_backlog_limit=64')).toMatchObject({ table: 'audit_loss', row: { kind: 'audit_lost', ts_utc_ms: T, host: 'vm' } });
    expect(one('kernel', 'show_signal_msg: 2 callbacks suppressed')).toMatchObject({ table: 'audit_loss', row: { kind: 'kernel_ratelimit', detail: 'show_signal_msg: 2 callbacks suppressed' } });
    expect(facts('kernel', 'audit: type=1305 audit(1795297697.571:298): op=set audit_pid=0 old=15521 auid=4294967295 ses=4294967295 res=1')).toEqual([]);
  });
  it('userland fork failures from any program', () => {
    expect(one('lab-fork', 'bash: fork: retry: Resource temporarily unavailable', 16490).row).toMatchObject({ kind: 'fork_failed', pid: 16490, comm: 'lab-fork' });
    expect(one(null, '/bin/sh: fork: Resource temporarily unavailable', null).row).toMatchObject({ kind: 'fork_failed' });
  });
});

describe('cheap dispatch', () => {
  it('extracts 100k unrelated lines quickly', () => {
    const out: ParseOutput = { event: () => {}, skip: () => {}, warn: () => {}, fact: () => {} };
    const ev: EventRow = { ts_utc_ms: T, ts_quality: 'exact', host: 'vm', program: 'NetworkManager', pid: 1, message: '<info>  [1700000000.1234] device (eth0): state change' };
    const t0 = performance.now();
    for (let i = 0; i < 100000; i++) extractMessageFacts(ev, out);
    expect(performance.now() - t0).toBeLessThan(500);
  });
});

async function linesOf(file: string): Promise<Unit[]> {
  const dec = await openDecoded(file);
  const units: Unit[] = [];
  for await (const u of splitLines(dec.chunks, { onNote: () => {} })) units.push(u);
  return units;
}

describe.skipIf(!fs.existsSync(SHARED))('lab sample through the syslog parser', () => {
  const LOG = path.join(SHARED, 'lab-sample/var/log');
  async function allFacts(names: string[]) {
    const syslog = formatByName('syslog')!;
    const out: Array<{ table: FactTable; row: FactRow }> = [];
    for (const n of names) {
      const got = runParser(syslog, await linesOf(path.join(LOG, n)), { yearRef: { utc_ms: Date.UTC(2026, 10, 22), method: 'test' } });
      out.push(...got.facts.filter((f) => f.table !== 'boot_anchors' && f.table !== 'tz_offsets'));
    }
    return out;
  }
  it('finds the sudo kill, the cron pkill, the segfault, the pids rejection and the logins', async () => {
    const f = await allFacts(['auth.log', 'auth.log.1.bz2', 'auth.log.2.bz2', 'auth.log.3.bz2', 'auth.log.4.bz2', 'syslog', 'syslog.1', 'syslog.2.gz', 'syslog.3.gz', 'syslog.4.gz', 'syslog.5.gz', 'cron.log.1', 'cron.log.2.gz']);
    const sudo = f.filter((x) => x.table === 'commands' && x.row.via === 'sudo');
    expect(sudo.map((x) => [x.row.user, x.row.run_as, x.row.command])).toEqual([['alice', 'root', '/usr/bin/kill -9 16416']]);
    expect(sudo[0].row.ts_utc_ms).toBeGreaterThan(Date.UTC(2026, 10, 21));
    const cron = f.filter((x) => x.table === 'commands' && x.row.via === 'cron');
    expect(cron.length).toBeGreaterThanOrEqual(1);
    expect(cron[0].row).toMatchObject({ user: 'root', pid: 16462, ppid: 16461 });
    expect(String(cron[0].row.command)).toContain('pkill -9 -x batch-worker');
    const ends = f.filter((x) => x.table === 'process_ends');
    expect(ends.map((x) => [x.row.kind, x.row.pid ?? x.row.cgroup])).toEqual(
      expect.arrayContaining([
        ['segfault', 16480],
        ['fork_rejected', '/lab-pids'],
      ]),
    );
    const accepted = f.filter((x) => x.table === 'logins' && x.row.kind === 'ssh_accepted').map((x) => x.row.user);
    expect(accepted).toEqual(expect.arrayContaining(['alice', 'bob']));
    expect(f.some((x) => x.table === 'audit_loss' && x.row.kind === 'kernel_ratelimit')).toBe(true);
  });
});
