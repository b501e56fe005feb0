// ps snapshots: columns from the header, forest art → parents, zombies visible.
import { describe, expect, it } from 'vitest';
import { psSnapshot } from '../../src/formats/ps-snapshot.js';
import { runParser, unitsFromText } from '../helpers/run-parser.js';

describe('ps-snapshot', () => {
  it('ps auxf: forest art gives the parents, zombies keep Z and <defunct>', () => {
    const text = [
      'USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND',
      'root       16376  0.0  0.1  15428  9096 ?        Ss   16:47   0:00 sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups',
      'root       16483  0.0  0.1  17752 10888 ?        Ss   16:48   0:00  \\_ sshd: bob [priv]',
      'bob        16489  0.0  0.0  17752  6520 ?        S    16:48   0:00  |   \\_ sshd: bob@pts/1',
      'bob        16490  0.0  0.0   7064  3840 pts/1    Ss+  16:48   0:00  |       \\_ -bash',
      'root       16497  0.0  0.1  17752 10888 ?        Ss   16:48   0:00  \\_ sshd: bob [priv]',
      'lab        16511  0.0  0.0   2480   512 ?        S    16:49   0:00 /usr/local/bin/zombie-leaker',
      'lab        16512  0.0  0.0      0     0 ?        Z    16:49   0:00  \\_ [zombie-leaker] <defunct>',
    ].join('\n');
    const got = runParser(psSnapshot, unitsFromText(text));
    expect(got.skips).toEqual([{ unit: 1, reason: 'ps header line' }]);
    expect(got.facts.map((f) => [f.row.pid, f.row.ppid, f.row.user, f.row.stat, f.row.rss_kb, f.row.command])).toEqual([
      [16376, null, 'root', 'Ss', 9096, 'sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups'],
      [16483, 16376, 'root', 'Ss', 10888, 'sshd: bob [priv]'],
      [16489, 16483, 'bob', 'S', 6520, 'sshd: bob@pts/1'],
      [16490, 16489, 'bob', 'Ss+', 3840, '-bash'],
      [16497, 16376, 'root', 'Ss', 10888, 'sshd: bob [priv]'],
      [16511, null, 'lab', 'S', 512, '/usr/local/bin/zombie-leaker'],
      [16512, 16511, 'lab', 'Z', 0, '[zombie-leaker] <defunct>'],
    ]);
    expect(got.events.map((e) => e.pid)).toEqual([16376, 16483, 16489, 16490, 16497, 16511, 16512]);
    expect(got.facts[0].row).toMatchObject({ snapshot_utc_ms: null, start: '16:47' });
  });

  it('ps -ef and ps -eo with lstart; a second header resets the columns', () => {
    const text = [
      'UID          PID    PPID  C STIME TTY          TIME CMD',
      'root           1       0  0 16:05 ?        00:00:01 /sbin/init',
      'lab        16512   16511  0 16:49 ?        00:00:00 [zombie-leaker] <defunct>',
      '    PID    PPID USER     STAT   RSS                  STARTED CMD',
      '  16480       1 root     Ssl   1420 Sat Nov 21 16:48:33 2026 /usr/local/bin/parser-daemon',
      'this line is not ps output',
    ].join('\n');
    const got = runParser(psSnapshot, unitsFromText(text));
    expect(got.facts.map((f) => [f.row.pid, f.row.ppid, f.row.user, f.row.stat, f.row.start, f.row.command])).toEqual([
      [1, 0, 'root', null, '16:05', '/sbin/init'],
      [16512, 16511, 'lab', 'Z', '16:49', '[zombie-leaker] <defunct>'],
      [16480, 1, 'root', 'Ssl', 'Sat Nov 21 16:48:33 2026', '/usr/local/bin/parser-daemon'],
    ]);
    expect(got.warnings.map((w) => w.unit)).toEqual([6]);
    expect(got.events.at(-1)).toMatchObject({ message: 'this line is not ps output', ts_quality: 'unknown' });
  });

  it('detects ps output by its header only', () => {
    const probe = (s: string) => ({ head: Buffer.from(s), name: 'ps', path: '/x/ps', size: s.length });
    expect(psSnapshot.detect(probe('USER PID %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND\n'))).toBeGreaterThan(0);
    expect(psSnapshot.detect(probe('Nov 21 16:49:12 vm sshd[16520]: PID COMMAND\n'))).toBe(0);
  });
});
