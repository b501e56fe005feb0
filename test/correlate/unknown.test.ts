// A process the evidence shows alive, then nothing explains its end: the verdict is `unknown`, low
// confidence, with the list of what is missing and would settle it (formats.md §3.7, §1.12, §9).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Case, buildCase, lineOf } from './fixture.js';

/** 2025-03-04T10:15:00Z */
const T = 1741083300;
const RULE = '-a always,exit -F arch=b64 -S kill,tkill,tgkill -F key=kill';

describe('unknown: seen alive, then a silence in the logs', () => {
  const syslog = `
2025-03-04T10:15:00.000000+00:00 app1 app[4242]: started, listening on :9000
2025-03-04T10:20:00.000000+00:00 app1 app[4242]: 1200 requests served
2025-03-04T10:20:05.000000+00:00 app1 kernel: [ 3001.000000] net_ratelimit: 312 callbacks suppressed
2025-03-04T14:00:00.000000+00:00 app1 systemd[1]: Started logrotate.service - Rotate log files.
`;
  // auditd ran (a login is recorded) but no rule for kill syscalls was loaded.
  const audit = `
type=USER_LOGIN msg=audit(${T + 10}.180:412): pid=5100 uid=0 auid=1001 ses=7 msg='op=login id=1001 exe="/usr/sbin/sshd" hostname=10.0.0.5 addr=10.0.0.5 terminal=/dev/pts/0 res=success'
type=DAEMON_ROTATE msg=audit(${T + 600}.000:5000): op=rotate-logs auid=0 pid=1 subj=unconfined res=success
`;
  let c: Case;
  beforeAll(async () => {
    c = await buildCase({ syslog, 'audit/audit.log': audit });
  });
  afterAll(() => c.close());

  it('is not listed among explained deaths', () => {
    expect(c.incidents().filter((i) => i.pid === 4242)).toHaveLength(0);
  });

  it('asking for the pid gives unknown, low confidence, with what is missing', () => {
    const list = c.incidents({ pid: 4242 });
    expect(list).toHaveLength(1);
    const i = list[0]!;
    expect(i).toMatchObject({ cause: 'unknown', confidence: 'low', signal: null, comm: 'app', host: 'app1' });
    expect(i.start_time).toBe('2025-03-04T10:15:00.000Z');
    expect(i.time).toBe('2025-03-04T10:20:00.000Z');
    expect(i.actor.kind).toBe('unknown');
    const missing = i.missing_evidence.join('\n');
    expect(missing).toContain(RULE);
    expect(missing).toMatch(/no audit rule for kill syscalls/);
    expect(missing).toMatch(/no process accounting/);
    expect(missing).toMatch(/rate-limited .*callbacks suppressed/);
    expect(missing).toMatch(/no log line at all from 2025-03-04T10:25:00.000Z to 2025-03-04T14:00:00.000Z/);
    expect(i.evidence.map((e) => [e.source, e.line])).toEqual([
      [c.file('syslog'), lineOf(syslog, 'started')],
      [c.file('syslog'), lineOf(syslog, '1200 requests')],
    ]);
  });
});

describe('unknown: no audit log at all, and audit said it lost records', () => {
  const syslog = `
2025-03-04T10:15:00.000000+00:00 app1 app[4242]: started
2025-03-04T10:15:30.000000+00:00 app1 kernel: [ 3001.000000] audit: audit_backlog=8193 > audit_backlog_limit=8192
2025-03-04T10:15:30.000000+00:00 app1 kernel: [ 3001.000001] audit: audit_lost=17 audit_rate_limit=0 audit_backlog_limit=8192
2025-03-04T10:15:40.000000+00:00 app1 systemd[1]: Started foo.service - Foo.
`;
  let c: Case;
  beforeAll(async () => {
    c = await buildCase({ syslog });
  });
  afterAll(() => c.close());

  it('says to run auditd with the kill rule and that records were lost', () => {
    const i = c.incidents({ pid: 4242 })[0]!;
    expect(i.cause).toBe('unknown');
    const missing = i.missing_evidence.join('\n');
    expect(missing).toMatch(/no audit log in the evidence/);
    expect(missing).toContain(RULE);
    expect(missing).toMatch(/audit lost records at 2025-03-04T10:15:30.000Z/);
    expect(i.recommendations.join('\n')).toContain(RULE);
  });
});
