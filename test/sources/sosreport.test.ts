// A sosreport, as a directory and as the .tar.xz `sos report` writes: its var/log gives the
// incidents the plain tree gives; its process listing, zone, collection time and uptime are used;
// its thousands of other files are counted, never warned about.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findIncidents, ingest, listSources, openCaseDb } from '../../src/index.js';
import type { Incident } from '../../src/correlate/types.js';
import { commandOutput, parseDate, parseDateUtc, parseTimedatectl, parseUptime, selectSosReports } from '../../src/sources/sosreport.js';

const SAMPLE = path.resolve(__dirname, '../../samples/lab-debian12');
const hasTar = spawnSync('tar', ['--version']).status === 0;
const ROOT = 'sosreport-vm-2026-12-01-qkzvbte';

const verdicts = (list: Incident[]) => list.map((i) => [i.pid, i.cause, i.signal, i.comm, i.actor.user, i.actor.via, i.actor.from_host, i.time]).sort();

function copyTree(from: string, to: string) {
  fs.mkdirSync(to, { recursive: true });
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    const a = path.join(from, e.name);
    const b = path.join(to, e.name);
    if (e.isDirectory()) copyTree(a, b);
    else {
      fs.copyFileSync(a, b);
      const st = fs.statSync(a);
      fs.utimesSync(b, st.atime, st.mtime);
    }
  }
}

/** A sosreport of the lab host as sos 4.x lays it out, its var/log the sample's. */
function writeSosreport(parent: string): string {
  const root = path.join(parent, ROOT);
  copyTree(path.join(SAMPLE, 'var/log'), path.join(root, 'var/log'));
  const put = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };
  // The OOM at 21:40:07.5 UTC is at uptime 4675.48 s: booted 20:22:12; collected at 21:45:10.
  put('sos_commands/date/date_--utc', 'Tue Dec  1 21:45:10 UTC 2026\n');
  put('sos_commands/date/date', 'Tue Dec  1 16:45:10 EST 2026\n');
  put('sos_commands/host/uptime', ' 16:45:10 up  1:22,  2 users,  load average: 0.08, 0.03, 0.01\n');
  put(
    'sos_commands/process/ps_auxwww',
    'USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n' +
      'root           1  0.0  0.3 167736 12996 ?        Ss   15:22   0:01 /sbin/init\n' +
      'root         612  0.0  0.2  15428  9096 ?        Ss   15:22   0:00 sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups\n',
  );
  put('sos_commands/logs/journalctl_--disk-usage', 'Archived and active journals take up 24.0M in the file system.\n');
  put(
    'sos_commands/logs/journalctl_--no-pager',
    '-- Journal begins at Tue 2026-12-01 20:22:14 UTC, ends at Tue 2026-12-01 21:45:09 UTC. --\n' +
      'Dec 01 21:45:05 vm sshd[612]: Server listening on 0.0.0.0 port 22.\n' +
      'Dec 01 21:45:06 vm sshd[612]: Server listening on :: port 22.\n',
  );
  put('sos_commands/networking/ip_-d_address', '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n');
  put('sos_reports/manifest.json', '{"version": "4.5.6", "cmdline": "sos report --batch"}\n');
  put('etc/timezone', 'America/New_York\n');
  put('etc/hostname', 'vm\n');
  put('etc/passwd', 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n');
  put('version.txt', 'sos report: 4.5.6\n');
  fs.symlinkSync('../usr/share/zoneinfo/America/New_York', path.join(root, 'etc/localtime'));
  fs.symlinkSync('sos_commands/date/date', path.join(root, 'date'));
  fs.symlinkSync('sos_commands/host/uptime', path.join(root, 'uptime'));
  return root;
}

async function caseOf(inputs: string[], db: string) {
  const result = await ingest(inputs, { db });
  const h = openCaseDb(db, { readonly: true });
  try {
    return {
      result,
      incidents: findIncidents(h),
      sources: listSources(h),
      notes: new Map((h.prepare(`SELECT path, note FROM sources`).all() as Array<{ path: string; note: string | null }>).map((r) => [r.path, r.note])),
      ps: h.prepare(`SELECT pid, snapshot_utc_ms FROM ps_snapshot ORDER BY pid`).all(),
      tz: h.prepare(`SELECT value FROM meta WHERE key = 'tz_evidence'`).pluck().get(),
      boot: h.prepare(`SELECT value FROM meta WHERE key = 'boot_evidence'`).pluck().get() as string | undefined,
    };
  } finally {
    h.close();
  }
}

describe('support bundles: sosreports and supportconfig', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-sos-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.skipIf(!hasTar)('a sosreport directory and its .tar.xz give the incidents of the plain var/log, with its process listing, zone and times used', async () => {
    const root = writeSosreport(dir);
    const archive = path.join(dir, `${ROOT}.tar.xz`);
    expect(spawnSync('tar', ['-cJf', archive, '-C', dir, ROOT]).status).toBe(0);
    const tree = await caseOf([path.join(SAMPLE, 'var/log')], path.join(dir, 'tree.db'));
    expect(tree.incidents.length).toBeGreaterThanOrEqual(15);
    for (const [input, rootName] of [
      [root, root],
      [archive, `${archive}!${ROOT}`],
    ] as const) {
      const got = await caseOf([input], path.join(dir, `${path.basename(input)}.db`));
      expect(verdicts(got.incidents), input).toEqual(verdicts(tree.incidents));
      // Healthy input: no warnings, nothing unknown but the one command output that is no log.
      expect(got.result.warnings, input).toBe(0);
      expect(got.result.damaged).toBe(0);
      const byPath = new Map(got.sources.map((s) => [s.path, s]));
      const report = byPath.get(rootName)!;
      expect(report).toMatchObject({ format: 'sosreport', status: 'sosreport', warnings: 0 });
      expect(got.notes.get(rootName)).toMatch(/^sosreport: \d+ file\(s\) read as evidence .*; 5 other file\(s\) \(configuration, other command outputs\) counted, not read; collected at 2026-12-01T21:45:10\.000Z \(sos_commands\/date\/date_--utc\); booted about 2026-12-01T20:23:10\.000Z/);
      expect(byPath.has(`${rootName}/etc/passwd`)).toBe(false);
      expect(byPath.get(`${rootName}/sos_commands/logs/journalctl_--disk-usage`)).toMatchObject({ status: 'unknown-format', warnings: 0 });
      expect(byPath.get(`${rootName}/sos_commands/process/ps_auxwww`)).toMatchObject({ format: 'ps-snapshot', status: 'ok' });
      expect(byPath.get(`${rootName}/sos_commands/logs/journalctl_--no-pager`)).toMatchObject({ format: 'journalctl-short', status: 'ok', stored: 2, skipped: 1, warnings: 0 });
      expect(byPath.get(`${rootName}/var/log/auth.log.3.bz2`)).toMatchObject({ format: 'syslog', status: 'ok' });
      // The listing is dated by the collection; the zone is the host's.
      expect(got.ps).toEqual([
        { pid: 1, snapshot_utc_ms: Date.parse('2026-12-01T21:45:10Z') },
        { pid: 612, snapshot_utc_ms: Date.parse('2026-12-01T21:45:10Z') },
      ]);
      expect(got.tz).toMatch(/^America\/New_York \(from .*etc\/timezone\)$/);
      expect(JSON.parse(got.boot!)).toMatchObject({ ms: Date.parse('2026-12-01T20:23:10Z') });
    }
  }, 90_000);

  it('times a sosreport kernel ring buffer nothing else anchors by its date less its uptime', async () => {
    const root = path.join(dir, 'sosreport-db1-2026-11-30-aaaaaaa');
    const put = (rel: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      fs.writeFileSync(path.join(root, rel), text);
    };
    put('sos_commands/date/date_--utc', 'Mon Nov 30 10:00:00 UTC 2026\n');
    put('sos_commands/host/uptime', ' 10:00:00 up 2 days,  3:04,  1 user,  load average: 0.00, 0.00, 0.00\n');
    put(
      'sos_commands/kernel/dmesg',
      '[    0.000000] Linux version 6.1.0-27-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.115-1 (2024-11-01)\n' +
        '[    0.000000] Command line: BOOT_IMAGE=/boot/vmlinuz-6.1.0-27-amd64 root=UUID=0d5c7a3e ro quiet\n' +
        '[183240.512345] traps: worker[4242] general protection fault ip:55d0c0de sp:7ffd0000 error:0 in worker[55d0c000+2000]\n',
    );
    const got = await caseOf([root], path.join(dir, 'db1.db'));
    const h = openCaseDb(path.join(dir, 'db1.db'), { readonly: true });
    try {
      const line = h
        .prepare(`SELECT e.ts_utc_ms, e.ts_quality FROM events e JOIN sources s ON s.id = e.source_id WHERE s.path LIKE '%/kernel/dmesg' AND e.message LIKE '%general protection%'`)
        .get() as { ts_utc_ms: number; ts_quality: string };
      // Booted 2026-11-28T06:56:00Z (10:00 less 2 days 3:04); the fault 183240.5 s later.
      expect(line).toEqual({ ts_utc_ms: Date.parse('2026-11-28T06:56:00Z') + 183240512, ts_quality: 'uptime_anchored' });
      const how = h.prepare(`SELECT method FROM boots WHERE method LIKE 'boot time from%'`).pluck().get();
      expect(how).toMatch(/sosreport's sos_commands\/date\/date_--utc .* less its uptime output \(up 3064 min\), to the minute/);
    } finally {
      h.close();
    }
    expect(got.result.warnings).toBe(0);
  });

  it('reads the date and uptime outputs sos writes, and finds the report root', () => {
    expect(parseDateUtc('Tue Dec  1 21:45:10 UTC 2026\n')).toBe(Date.parse('2026-12-01T21:45:10Z'));
    expect(parseDateUtc('Tue Dec  1 16:45:10 EST 2026')).toBeNull();
    expect(parseDate('Tue Dec  1 16:45:10 EST 2026', 'America/New_York')).toBe(Date.parse('2026-12-01T21:45:10Z'));
    expect(parseUptime(' 16:45:10 up  1:22,  2 users,  load average: 0.08')).toBe(82 * 60000);
    expect(parseUptime(' 10:00:00 up 2 days,  3:04,  1 user')).toBe((2 * 1440 + 184) * 60000);
    expect(parseUptime(' 10:00:00 up 1 day, 5 min,  1 user')).toBe((1440 + 5) * 60000);
    expect(parseUptime(' 10:00:00 up 12 min,  1 user')).toBe(12 * 60000);
    expect(parseUptime('no uptime here')).toBeNull();
    expect(parseTimedatectl('      Universal time: Tue 2026-12-01 21:45:10 UTC\n           Time zone: Etc/UTC (UTC, +0000)\n')).toEqual({ utc_ms: Date.parse('2026-12-01T21:45:10Z'), zone: 'Etc/UTC' });
    expect(parseTimedatectl('Time zone: n/a (UTC, +0000)')).toEqual({ utc_ms: null, zone: null });
    const scc = '#==[ Command ]======================================#\n# /usr/bin/uptime\n 10:00:00 up 5 min,  1 user\n\n#==[ Command ]======================================#\n# /usr/bin/vmstat 1 4\nprocs\n';
    expect(commandOutput(scc, /uptime$/)).toBe(' 10:00:00 up 5 min,  1 user\n');
    expect(commandOutput(scc, /timedatectl/)).toBeNull();
    const f = (p: string) => ({ path: p, kind: 'file' as const, size: 1, mtime_ms: 0, allocated: 1, note: null });
    const sel = selectSosReports([f('/e/s.tar.xz!sos-x/sos_commands/date/date_--utc'), f('/e/s.tar.xz!sos-x/var/log/syslog'), f('/e/s.tar.xz!sos-x/etc/fstab'), f('/e/other/syslog')]);
    expect(sel.files.map((x) => x.path)).toEqual(['/e/s.tar.xz!sos-x/var/log/syslog', '/e/other/syslog']);
    expect(sel.reports).toMatchObject([{ root: '/e/s.tar.xz!sos-x', prefix: '/e/s.tar.xz!sos-x/', evidence: 1, other: 1 }]);
  });

  it.skipIf(!hasTar)('an scc_*.txz reads its log sections and ps output by their own formats, and gives the incidents of the same logs as files', async () => {
    const log = path.join(SAMPLE, 'var/log');
    const files = ['syslog', 'kern.log', 'dmesg'];
    const tree = path.join(dir, 'tree');
    fs.mkdirSync(tree);
    for (const f of files) fs.copyFileSync(path.join(log, f), path.join(tree, f));
    const scc = path.join(dir, 'scc_vm_261201_1645');
    fs.mkdirSync(scc);
    const banner = (kind: string) => `#==[ ${kind} ]${'='.repeat(49 - kind.length - 6)}#\n`;
    const section = (kind: string, what: string, body: string) => `${banner(kind)}# ${what}\n${body.endsWith('\n') ? body : body + '\n'}\n\n`;
    fs.writeFileSync(
      path.join(scc, 'messages.txt'),
      section('Log File', '/var/log/syslog', fs.readFileSync(path.join(log, 'syslog'), 'utf8')) +
        section('Log File', '/var/log/kern.log - Last 5000 Lines', fs.readFileSync(path.join(log, 'kern.log'), 'utf8')) +
        section('Log File', '/var/log/warn - File not found', ''),
    );
    fs.writeFileSync(path.join(scc, 'boot.txt'), section('Command', '/usr/bin/dmesg', fs.readFileSync(path.join(log, 'dmesg'), 'utf8')));
    fs.writeFileSync(
      path.join(scc, 'basic-environment.txt'),
      section('Command', '/bin/date', 'Tue Dec  1 16:45:10 EST 2026') +
        section('Configuration File', '/etc/os-release', 'NAME="SLES"\nVERSION="15-SP6"\n2026-12-01T00:00:00Z looks like a log line but is configuration') +
        section('Command', '/bin/ps axwwo user,pid,ppid,%cpu,%mem,vsz,rss,stat,time,cmd', 'USER       PID  PPID %CPU %MEM    VSZ   RSS STAT     TIME CMD\nroot         1     0  0.0  0.3 167736 12996 Ss   00:00:01 /usr/lib/systemd/systemd'),
    );
    fs.writeFileSync(
      path.join(scc, 'systemd.txt'),
      section('Command', '/usr/bin/hostnamectl status', ' Static hostname: vm') +
        section(
          'Command',
          '/usr/bin/timedatectl --no-pager status',
          '               Local time: Tue 2026-12-01 16:45:10 EST\n           Universal time: Tue 2026-12-01 21:45:10 UTC\n                 RTC time: Tue 2026-12-01 21:45:10\n                Time zone: America/New_York (EST, -0500)',
        ),
    );
    fs.writeFileSync(path.join(scc, 'basic-health-check.txt'), section('Command', '/usr/bin/uptime', ' 16:45:10  up   1:22,  2 users,  load average: 0.08, 0.03, 0.01'));
    for (const f of fs.readdirSync(scc)) fs.utimesSync(path.join(scc, f), fs.statSync(path.join(log, 'syslog')).atime, fs.statSync(path.join(log, 'syslog')).mtime);
    const archive = path.join(dir, 'scc_vm_261201_1645.txz');
    expect(spawnSync('tar', ['-cJf', archive, '-C', dir, 'scc_vm_261201_1645']).status).toBe(0);
    const plain = await caseOf([tree], path.join(dir, 'plain.db'));
    const got = await caseOf([archive], path.join(dir, 'scc.db'));
    expect(plain.incidents.length).toBeGreaterThan(2);
    expect(verdicts(got.incidents)).toEqual(verdicts(plain.incidents));
    expect(got.result.warnings).toBe(0);
    const byPath = new Map(got.sources.map((s) => [s.path, s]));
    const messages = byPath.get(`${archive}!scc_vm_261201_1645/messages.txt`)!;
    expect(messages).toMatchObject({ format: 'supportconfig', status: 'ok', warnings: 0 });
    // Every log line is stored; banners, titles and blank lines are counted as expected non-records.
    const logLines = ['syslog', 'kern.log'].reduce((a, f) => a + fs.readFileSync(path.join(log, f), 'utf8').trim().split('\n').length, 0);
    expect(messages.stored).toBe(logLines);
    // timedatectl dates the listing and names the zone; less the uptime, it gives the boot.
    expect(got.ps).toEqual([{ pid: 1, snapshot_utc_ms: Date.parse('2026-12-01T21:45:10Z') }]);
    expect(got.tz).toBe(`America/New_York (from the timedatectl output in ${archive}!scc_vm_261201_1645/systemd.txt)`);
    expect(JSON.parse(got.boot!)).toMatchObject({ ms: Date.parse('2026-12-01T20:23:10Z') });
    expect(got.notes.get(`${archive}!scc_vm_261201_1645`)).toBe(
      'supportconfig: 5 file(s), each read section by section; collected at 2026-12-01T21:45:10.000Z (timedatectl in systemd.txt); the host\'s zone America/New_York; booted about 2026-12-01T20:23:10.000Z (uptime 82 min)',
    );
    const env = byPath.get(`${archive}!scc_vm_261201_1645/basic-environment.txt`)!;
    expect(env).toMatchObject({ format: 'supportconfig', stored: 1, warnings: 0 });
  }, 60_000);
});
