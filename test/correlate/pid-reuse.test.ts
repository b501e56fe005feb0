// A pid names a process only with its host, boot and start time: the same pid used by two
// processes gives two incidents, each with its own verdict (issue 4, "Process identity").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Case, UT, acctV3, buildCase, lineOf, utmpRecord } from './fixture.js';

/** 2025-03-04T10:15:00Z */
const T = 1741083300;

describe('one boot, two processes with pid 4242 in process accounting', () => {
  const pacct = Buffer.concat([
    // 10:15:00–10:16:40 `rsync` killed by SIGKILL; 11:15:00–11:15:02 `sh` exits with status 0.
    acctV3({ flags: 0x10, exitStatus: 9, pid: 4242, ppid: 4000, btime_s: T, elapsed_s: 100, comm: 'rsync' }),
    acctV3({ flags: 0, exitStatus: 0, pid: 4242, ppid: 4100, btime_s: T + 3600, elapsed_s: 2, comm: 'sh' }),
  ]);
  let c: Case;
  beforeAll(async () => {
    c = await buildCase({ 'account/pacct': pacct });
  });
  afterAll(() => c.close());

  it('gives two processes, each with its own verdict and start time', () => {
    const list = c.incidents({ pid: 4242 });
    expect(list.map((i) => [i.comm, i.cause, i.signal, i.start_time, i.time])).toEqual([
      ['sh', 'exit', null, '2025-03-04T11:15:00.000Z', '2025-03-04T11:15:02.000Z'],
      ['rsync', 'signal', 9, '2025-03-04T10:15:00.000Z', '2025-03-04T10:16:40.000Z'],
    ]);
    expect(new Set(list.map((i) => i.id)).size).toBe(2);
    expect(list[1]!.evidence[0]).toMatchObject({ source: c.file('account/pacct'), line: 1 });
    expect(list[0]!.evidence[0]).toMatchObject({ source: c.file('account/pacct'), line: 2 });
  });

  it('the listing without a pid shows only the kill, not the normal exit', () => {
    expect(c.incidents().map((i) => [i.pid, i.comm, i.cause])).toEqual([[4242, 'rsync', 'signal']]);
  });
});

describe('two boots: pid 812 OOM-killed in the first, reused by another daemon in the second', () => {
  const boot2 = T + 7200; // 12:15:00Z
  const syslog = `
2025-03-04T10:15:00.000000+00:00 db1 mysqld[812]: ready for connections
2025-03-04T11:00:00.000000+00:00 db1 kernel: [ 2700.000000] Out of memory: Killed process 812 (mysqld) total-vm:9809296kB, anon-rss:7833604kB, file-rss:0kB, shmem-rss:0kB, UID:27 pgtables:4108kB oom_score_adj:0
2025-03-04T11:30:00.000000+00:00 db1 systemd[1]: Started cron.service - Regular background program processing daemon.
2025-03-04T12:15:05.000000+00:00 db1 kernel: [    0.000000] Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org)
2025-03-04T12:15:20.000000+00:00 db1 redis-server[812]: Server initialized
2025-03-04T12:20:00.000000+00:00 db1 redis-server[812]: Background saving started
`;
  const wtmp = Buffer.concat([
    utmpRecord({ type: UT.BOOT_TIME, pid: 0, line: '~', id: '~~', user: 'reboot', host: '6.1.0-18-amd64', sec: T - 3600 }),
    utmpRecord({ type: UT.BOOT_TIME, pid: 0, line: '~', id: '~~', user: 'reboot', host: '6.1.0-18-amd64', sec: boot2 }),
  ]);
  let c: Case;
  beforeAll(async () => {
    c = await buildCase({ syslog, wtmp });
  });
  afterAll(() => c.close());

  it('the first process was OOM-killed, the second is a different process of the later boot', () => {
    const list = c.incidents({ pid: 812 });
    expect(list).toHaveLength(2);
    const [later, first] = list as [(typeof list)[0], (typeof list)[0]];
    expect(first).toMatchObject({ cause: 'oom-kill', comm: 'mysqld', host: 'db1', signal: 9, time: '2025-03-04T11:00:00.000Z' });
    expect(first.evidence.some((e) => e.decisive && e.line === lineOf(syslog, 'Killed process 812'))).toBe(true);
    expect(later).toMatchObject({ comm: 'redis-server', host: 'db1', start_time: '2025-03-04T12:15:20.000Z' });
    expect(later.cause).not.toBe('oom-kill');
    expect(later.id).not.toBe(first.id);
    // Its evidence is its own lines, never the first process's.
    expect(later.evidence.map((e) => e.line)).not.toContain(lineOf(syslog, 'ready for connections'));
  });
});
