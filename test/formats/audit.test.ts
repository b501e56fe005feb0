// Audit log format: acceptance on the lab sample and the real public samples, plus the format
// variants of formats.md §3 (ENRICHED, node=, old user-message syntax, ausearch output).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { audit, AuditParser, argAsInt32, decodeUntrusted, execveArgv, parseFields } from '../../src/formats/audit.js';
import type { FactRow } from '../../src/formats/types.js';
import { defaultContext, runParser, unitsFromText } from '../helpers/run-parser.js';

const SHARED = path.resolve(__dirname, '../../../shared');
const LAB_AUDIT = path.join(SHARED, 'lab-sample/var/log/audit/audit.log');
const REAL_DIR = path.join(SHARED, 'samples-real/audit');

function run(text: string, over = {}) {
  return runParser(audit, unitsFromText(text), over);
}
function facts(c: ReturnType<typeof run>, table: string): FactRow[] {
  return c.facts.filter((f) => f.table === table).map((f) => f.row);
}

describe.skipIf(!fs.existsSync(SHARED))('audit on the lab sample (Debian 12, ENRICHED)', () => {
  const text = fs.existsSync(LAB_AUDIT) ? fs.readFileSync(LAB_AUDIT, 'utf8') : '';
  const units = unitsFromText(text);

  it('one event per record, one group per distinct stamp', () => {
    const parser = audit.createParser(defaultContext()) as AuditParser;
    let events = 0;
    const stamps = new Set<string>();
    const out = {
      event: () => events++,
      skip: () => {
        throw new Error('unexpected skip');
      },
      fact: (t: string, r: FactRow) => {
        if (t === 'audit_records') stamps.add(`${r.host}|${r.audit_stamp}`);
      },
      warn: () => {},
    };
    for (const u of units) parser.parse(u, out);
    parser.end(out);
    expect(events).toBe(255);
    expect(stamps.size).toBe(84);
    expect(parser.groupsFlushed).toBe(stamps.size);
  });

  it('the three kill syscalls become signals rows with sender, login user, session and target', () => {
    const c = runParser(audit, units);
    const sig = facts(c, 'signals');
    expect(sig).toHaveLength(3);
    expect(sig[0]).toMatchObject({
      audit_stamp: '1795297725.047:327', syscall: 'kill', arch: 'x86_64', success: 'yes', signal: 9,
      target_pid: 16416, target_comm: 'ingest-daemon', sender_pid: 16430, sender_comm: 'kill', sender_uid: 0,
      sender_user: 'root', sender_auid: 1001, sender_auser: 'alice', sender_ses: 21, sender_tty: 'pts1',
      sender_proctitle: 'kill -9 16416', audit_key: 'lab_signal', ts_utc_ms: 1795297725047,
    });
    expect(sig[1]).toMatchObject({
      signal: 9, target_pid: 16443, target_comm: 'batch-worker', sender_comm: 'pkill', sender_exe: '/usr/bin/pgrep',
      sender_auid: 0, sender_auser: 'root', sender_ses: 22, sender_tty: null, sender_proctitle: 'pkill -9 -x batch-worker',
    });
    // bob's kill has no OBJ_PID (the kernel answered ESRCH): the target comes from a0.
    expect(sig[2]).toMatchObject({
      signal: 15, target_pid: 16491, target_comm: null, success: 'no', exit_code: -3, sender_auser: 'bob',
      sender_user: 'bob', sender_ses: 24, sender_tty: 'pts0', sender_proctitle: 'bash -c kill 16491',
    });
    // Facts of an event are emitted on its PROCTITLE line (the last record the kernel writes).
    expect(c.facts.filter((f) => f.table === 'signals').map((f) => f.unit)).toEqual([99, 113, 244]);
  });

  it('sudo, the segfault and the login sessions', () => {
    const c = runParser(audit, units);
    expect(facts(c, 'commands').find((r) => r.via === 'sudo')).toMatchObject({
      user: 'alice', uid: 1001, auid: 1001, ses: 21, tty: 'pts/0', pwd: '/home/alice', command: 'kill -9 16416', result: 'success',
    });
    expect(facts(c, 'process_ends')).toEqual([
      expect.objectContaining({ kind: 'anom_abend', pid: 16480, comm: 'parser-daemon', signal: 11, auid: null }),
    ]);
    const userLogins = facts(c, 'logins').filter((r) => r.kind === 'audit_USER_LOGIN');
    expect(userLogins.map((r) => [r.user, r.ses, r.from_host, r.tty])).toContainEqual(['alice', 21, '127.0.0.1', '/dev/pts/0']);
    expect(facts(c, 'logins').find((r) => r.kind === 'audit_LOGIN' && r.ses === 22)).toMatchObject({ user: 'root', auid: 0 });
    expect(facts(c, 'audit_loss')).toEqual([]);
  });
});

/** Skip reasons that name a real defect of the line (or ausearch layout lines), never a gap in the parser. */
const EXPLAINED_SKIPS = [
  /^empty line$/,
  /^ausearch /,
  /^audit stamp not secs\.millis:serial/,
  /^empty audit stamp$/,
  /^audit record with an empty type=$/,
  /^audit line without a type= field$/,
  /^audit record without a msg=audit/,
];

describe.skipIf(!fs.existsSync(REAL_DIR))('audit on every real sample', () => {
  const files = fs.existsSync(REAL_DIR) ? fs.readdirSync(REAL_DIR).sort() : [];
  for (const name of files) {
    it(name, () => {
      const buf = fs.readFileSync(path.join(REAL_DIR, name));
      expect(audit.detect({ head: buf.subarray(0, 65536), name, path: name, size: buf.length })).toBeGreaterThan(0);
      const units = unitsFromText(buf.toString('utf8'));
      const c = runParser(audit, units);
      expect(c.events.length + c.skips.length).toBe(units.length);
      for (const s of c.skips) expect(EXPLAINED_SKIPS.some((re) => re.test(s.reason)), `${name}:${s.unit} ${s.reason}`).toBe(true);
      const records = facts(c, 'audit_records');
      expect(records).toHaveLength(c.events.length);
      for (const e of c.events) expect(e.ts_quality).toBe('exact');
    });
  }

  it('the hand-edited plaso fixture: exactly its five malformed lines are skipped', () => {
    const c = run(fs.readFileSync(path.join(REAL_DIR, 'plaso_selinux_edited.log'), 'utf8'));
    expect(c.skips.map((s) => s.unit)).toEqual([2, 4, 5, 6, 7]);
    expect(c.events.find((e) => e.message.startsWith('type=SHORTDATE'))?.ts_utc_ms).toBe(1337845201000);
  });

  it('RHEL 7 kill without OBJ_PID, ausearch output with OBJ_PID before SYSCALL', () => {
    const rhel7 = run(fs.readFileSync(path.join(REAL_DIR, 'golibaudit_audit-rhel7.log'), 'utf8'));
    expect(facts(rhel7, 'signals')).toEqual([expect.objectContaining({ syscall: 'kill', target_pid: 8158, signal: 1, audit_key: 'kill_signals' })]);
    const aus = run(fs.readFileSync(path.join(REAL_DIR, 'blog_rhel_ausearch_kill9_obj_pid_push.log'), 'utf8'));
    expect(facts(aus, 'signals')).toEqual([
      expect.objectContaining({ target_pid: 29236, target_comm: 'push', signal: 9, sender_pid: 24814, sender_ppid: 48597, sender_auid: 0, sender_ses: 23836, audit_key: 'teste_kill' }),
    ]);
  });

  it('CentOS 5 (auditd 1.7) old user-message syntax', () => {
    const c = run(fs.readFileSync(path.join(REAL_DIR, 'daybreak_centos5_k2.6.18_audit.log'), 'utf8'));
    const auth = facts(c, 'logins').find((r) => r.kind === 'audit_USER_AUTH');
    expect(auth).toMatchObject({ user: 'root', method: 'PAM: authentication', from_host: '189.34.155.166', tty: 'ssh', result: 'success' });
    const login = facts(c, 'logins').find((r) => r.kind === 'audit_USER_LOGIN');
    expect(login).toMatchObject({ pid: 3458, tty: '/dev/pts/0', result: 'success', service: '/usr/sbin/sshd' });
  });
});

describe('audit field decoding', () => {
  it('decodes quoted, hex and literal untrusted values', () => {
    expect(decodeUntrusted('"sh"', 'comm')).toBe('sh');
    expect(decodeUntrusted('73680078646B696C6C2E7368', 'proctitle')).toBe('sh xdkill.sh');
    expect(decodeUntrusted('(null)', 'key')).toBe('(null)');
    expect(decodeUntrusted('65786563013634626974"', 'key')).toBe('exec,64bit');
  });

  it('keeps numbers and syscall arguments as written', () => {
    const f = parseFields('arch=c000003e syscall=62 a0=1dfd a1=9 inode=14911367 comm="sh" exe=2F62696E2F7368');
    expect(f).toMatchObject({ a0: '1dfd', inode: '14911367', comm: 'sh', exe: '/bin/sh' });
  });

  it('reads kill(2) arguments as C ints (process groups, broadcast, 32-bit arches)', () => {
    expect(argAsInt32('1dfd')).toBe(7677);
    // formats.md §3.5 writes ffffffffffffd8f1 for -10000; two's complement of 10000 is …d8f0 (d8f1 = -9999).
    expect(argAsInt32('ffffffffffffd8f0')).toBe(-10000);
    expect(argAsInt32('ffffffffffffd8f1')).toBe(-9999);
    expect(argAsInt32('ffffffffffffffff')).toBe(-1);
    expect(argAsInt32('ffffffff')).toBe(-1);
    expect(argAsInt32('0x7234')).toBe(29236);
  });

  it('joins EXECVE arguments, long ones split in chunks', () => {
    const f = parseFields('argc=3 a0="cat" a1_len=10 a1[0]=68656C6C6F a1[1]="world" a2=6120620A', {}, 'execve');
    expect(execveArgv(f)).toBe('cat helloworld a b\n');
  });

  it('old syntax: bare words, (hostname=…, commas, uid=0:', () => {
    const f = parseFields(`user pid=3458 uid=0 auid=0 msg='uid=0: exe="/usr/sbin/sshd" (hostname=host.example, addr=10.0.0.1, terminal=/dev/pts/0 res=success)'`);
    expect(f).toMatchObject({ pid: '3458', uid: '0', 'msg.uid': '0', exe: '/usr/sbin/sshd', hostname: 'host.example', addr: '10.0.0.1', terminal: '/dev/pts/0', res: 'success' });
  });
});

describe('audit grouping and facts', () => {
  it('kill of a process group: negative a0 without OBJ_PID, one row per OBJ_PID with them', () => {
    const base = 'arch=c000003e syscall=62 success=yes exit=0 a0=ffffffffffffd8f0 a1=f a2=0 a3=0 items=0 ppid=1 pid=500 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=3 comm="bash" exe="/usr/bin/bash" key=(null)';
    const alone = run(`type=SYSCALL msg=audit(1700000000.100:10): ${base}\n`);
    expect(facts(alone, 'signals')).toEqual([expect.objectContaining({ target_pid: -10000, signal: 15, audit_key: null, sender_tty: 'pts0' })]);
    const withTargets = run(
      [
        `type=SYSCALL msg=audit(1700000000.100:10): ${base}`,
        'type=OBJ_PID msg=audit(1700000000.100:10): opid=10000 oauid=1000 ouid=1000 oses=3 ocomm="worker"',
        'type=OBJ_PID msg=audit(1700000000.100:10): opid=10001 oauid=-1 ouid=0 oses=-1 ocomm="worker"',
        'type=PROCTITLE msg=audit(1700000000.100:10): proctitle=62617368',
      ].join('\n'),
    );
    expect(facts(withTargets, 'signals').map((r) => [r.target_pid, r.target_ses, r.signal])).toEqual([
      [10000, 3, 15],
      [10001, null, 15],
    ]);
  });

  it('decodes the syscall per arch: 129 is kill on aarch64, rt_sigqueueinfo on x86_64; tgkill signal in a2', () => {
    const a64 = run('type=SYSCALL msg=audit(1744900347.539:197): arch=c00000b7 syscall=129 success=yes exit=0 a0=3138 a1=f a2=1 a3=420043d0f9 items=0 ppid=12107 pid=12584 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=2 comm="zyfun" exe="/tmp/zyfun" key=(null)');
    expect(facts(a64, 'signals')[0]).toMatchObject({ syscall: 'kill', arch: 'aarch64', target_pid: 12600, signal: 15 });
    const x64 = run('type=SYSCALL msg=audit(1744900347.539:197): arch=c000003e syscall=129 success=yes exit=0 a0=3138 a1=a a2=7ffc0 a3=0 items=0 ppid=1 pid=2 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm="x" exe="/x" key=(null)');
    expect(facts(x64, 'signals')[0]).toMatchObject({ syscall: 'rt_sigqueueinfo', target_pid: 12600, signal: 10 });
    const tg = run('type=SYSCALL msg=audit(1744900347.539:198): arch=40000003 syscall=270 success=yes exit=0 a0=3138 a1=313a a2=6 a3=0 items=0 ppid=1 pid=2 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="x" exe="/x" key=(null)');
    expect(facts(tg, 'signals')[0]).toMatchObject({ syscall: 'tgkill', arch: 'i386', target_pid: 12600, signal: 6, sender_auid: null, sender_ses: null });
  });

  it('groups by (node, stamp): same stamp on two nodes, interleaved records', () => {
    const c = run(
      [
        'node=a type=SYSCALL msg=audit(1700000000.100:10): arch=c000003e syscall=62 success=yes exit=0 a0=64 a1=9 a2=0 a3=0 items=0 ppid=1 pid=2 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm="a" exe="/a" key=(null)',
        'node=b type=SYSCALL msg=audit(1700000000.100:10): arch=c000003e syscall=62 success=yes exit=0 a0=c8 a1=f a2=0 a3=0 items=0 ppid=1 pid=3 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm="b" exe="/b" key=(null)',
        'node=b type=OBJ_PID msg=audit(1700000000.100:10): opid=200 oauid=-1 ouid=0 oses=-1 ocomm="victim-b"',
        'node=a type=OBJ_PID msg=audit(1700000000.100:10): opid=100 oauid=-1 ouid=0 oses=-1 ocomm="victim-a"',
      ].join('\n'),
    );
    const rows = facts(c, 'signals').map((r) => [r.host, r.sender_comm, r.target_comm, r.signal]);
    expect(rows).toEqual(expect.arrayContaining([['a', 'a', 'victim-a', 9], ['b', 'b', 'victim-b', 15]]));
    expect(rows).toHaveLength(2);
    expect(c.events.map((e) => e.host)).toEqual(['a', 'b', 'b', 'a']);
  });

  it('reports serial gaps inside a boot, not across a restart', () => {
    const rec = (ms: number, serial: number) => `type=USER_ACCT msg=audit(1700000000.${String(ms).padStart(3, '0')}:${serial}): pid=1 uid=0 auid=4294967295 ses=4294967295 msg='op=PAM:accounting acct="root" exe="/usr/sbin/cron" hostname=? addr=? terminal=cron res=success'`;
    const c = run([rec(1, 500), rec(2, 501), rec(3, 505), rec(4, 503), rec(5, 1), rec(6, 2)].join('\n'));
    expect(facts(c, 'audit_loss').map((r) => [r.kind, (r.detail as string).split(' missing')[0]])).toEqual([
      ['serial_gap', 'audit serial 502'],
      ['serial_gap', 'audit serial 504'],
    ]);
  });

  it('DAEMON_ERR and failed daemon records are loss evidence', () => {
    const c = run('type=DAEMON_ERR msg=audit(1700000000.100:7): op=disk-full auid=4294967295 pid=900 subj=system_u:system_r:auditd_t:s0 res=failed');
    expect(facts(c, 'audit_loss')).toEqual([expect.objectContaining({ kind: 'daemon_err', ts_utc_ms: 1700000000100 })]);
  });

  it('ausearch -i output: local stamps, interpreted fields', () => {
    const c = run(
      [
        '----',
        'type=PROCTITLE msg=audit(01/10/2018 16:58:57.703:156743) : proctitle=sh',
        'type=OBJ_PID msg=audit(01/10/2018 16:58:57.703:156743) : opid=29236 oauid=root ouid=root oses=23836 obj=unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023 ocomm=push',
        'type=SYSCALL msg=audit(01/10/2018 16:58:57.703:156743) : arch=x86_64 syscall=kill success=yes exit=0 a0=0x7234 a1=SIGKILL a2=0x0 a3=0x7234 items=0 ppid=48597 pid=24814 auid=root uid=root gid=root euid=root suid=root fsuid=root egid=root sgid=root fsgid=root tty=pts9 ses=23836 comm=sh exe=/bin/bash key=teste_kill',
      ].join('\n'),
      { tz: 'Asia/Shanghai' },
    );
    expect(c.events[0]).toMatchObject({ ts_utc_ms: Date.UTC(2018, 0, 10, 8, 58, 57, 703), ts_quality: 'year_inferred' });
    expect(facts(c, 'signals')).toEqual([
      expect.objectContaining({ syscall: 'kill', signal: 9, target_pid: 29236, target_comm: 'push', sender_auid: null, sender_auser: 'root', sender_user: 'root' }),
    ]);
    expect(c.timeNotes).toMatch(/Asia\/Shanghai/);
  });

  it('never throws on garbage', () => {
    const junk = ['type=SYSCALL msg=audit(1.1:1): a0=', "type=USER_CMD msg=audit(1700000000.000:1): msg='cmd=ZZ", 'node= type=X msg=audit(1700000000.000:2):', '\x1d\x1d', 'type=EXECVE msg=audit(1700000000.000:3): argc=2 a0[0]="x" a5=41'];
    const c = run(junk.join('\n'));
    expect(c.events.length + c.skips.length).toBe(junk.length);
  });

  it('detects audit logs, not syslog', () => {
    const probe = (s: string) => audit.detect({ head: Buffer.from(s), name: 'x', path: 'x', size: s.length });
    expect(probe('node=h type=SYSCALL msg=audit(1.000:1): arch=c000003e\n')).toBeGreaterThan(0);
    expect(probe('----\ntime->Thu Jan 10 16:58:57 2018\ntype=OBJ_PID msg=audit(1515661137.703:156743): opid=1\n')).toBeGreaterThan(0);
    expect(probe('Nov 21 16:49:12 vm kernel: audit: type=1300 audit(1.000:1): arch=c000003e\n')).toBe(0);
  });
});
