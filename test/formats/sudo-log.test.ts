// sudo's own logfile: wrapped records joined, local times converted, commands rows.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sudoLog } from '../../src/formats/sudo-log.js';
import { formatByName } from '../../src/formats/registry.js';
import type { Probe, Unit } from '../../src/formats/types.js';
import { runParser } from '../helpers/run-parser.js';

const LOG = [
  'Dec 26 06:15:55 : ygh : TTY=pts/1 ; PWD=/home/ygh ; USER=root ;',
  '    COMMAND=/bin/su',
  'Dec 26 06:16:02 : ygh : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/home/ygh',
  '    ; USER=root ; COMMAND=/usr/bin/id',
  'Jan  2 00:00:01 : alice : HOST=web1 : TTY=pts/0 ; PWD=/home/alice ; USER=root ;',
  "    COMMAND=/usr/bin/kill -9 16416",
  'garbage line',
  '',
].join('\n');

async function unitsOf(text: string): Promise<Unit[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sudolog-'));
  const p = path.join(dir, 'sudo.log');
  fs.writeFileSync(p, text);
  const units: Unit[] = [];
  for await (const u of sudoLog.readUnits!(p)) units.push(u);
  fs.rmSync(dir, { recursive: true });
  return units;
}

describe('sudo-log', () => {
  it('groups continuation lines into records numbered by their first line', async () => {
    const us = await unitsOf(LOG);
    expect(us.map((u) => u.index)).toEqual([1, 3, 5, 7]);
    expect(us[0].text).toBe('Dec 26 06:15:55 : ygh : TTY=pts/1 ; PWD=/home/ygh ; USER=root ;\n    COMMAND=/bin/su');
  });

  it('parses records: times in --tz with the year from the reference (rollover into January), reasons, HOST=', async () => {
    const us = await unitsOf(LOG);
    const pre = sudoLog.prescan!({ path: '/x', tz: null, assumedOffset: null, yearRef: null, recordSize: 0 });
    for (const u of us) pre.observe(u);
    const got = runParser(sudoLog, us, { tz: 'America/New_York', yearRef: { utc_ms: Date.UTC(2024, 0, 3), method: 'test' }, prescan: pre.result() });
    expect(got.events.slice(0, 3).map((e) => [e.ts_utc_ms, e.ts_quality, e.host])).toEqual([
      [Date.UTC(2023, 11, 26, 11, 15, 55), 'year_inferred', null],
      [Date.UTC(2023, 11, 26, 11, 16, 2), 'year_inferred', null],
      [Date.UTC(2024, 0, 2, 5, 0, 1), 'year_inferred', 'web1'],
    ]);
    const cmds = got.facts.filter((f) => f.table === 'commands').map((f) => f.row);
    expect(cmds).toEqual([
      expect.objectContaining({ via: 'sudo', user: 'ygh', run_as: 'root', tty: 'pts/1', pwd: '/home/ygh', command: '/bin/su', result: 'allowed', ts_quality: 'year_inferred' }),
      expect.objectContaining({ user: 'ygh', command: '/usr/bin/id', result: '3 incorrect password attempts' }),
      expect.objectContaining({ user: 'alice', host: 'web1', command: '/usr/bin/kill -9 16416' }),
    ]);
    // the unparseable line is kept, without a time, with a warning
    expect(got.events[3]).toMatchObject({ ts_utc_ms: null, ts_quality: 'unknown', message: 'garbage line' });
    expect(got.warnings.map((w) => w.unit)).toEqual([7]);
  });

  it('without --tz, local times use the assumed offset and say so', async () => {
    const us = await unitsOf('Dec 26 06:15:55 2023 : ygh : TTY=pts/1 ; PWD=/ ; USER=root ; COMMAND=/bin/ls\n');
    const got = runParser(sudoLog, us, { assumedOffset: { minutes: -300, why: 'inferred -05:00 from syslog', spans: [] } });
    expect(got.events[0]).toMatchObject({ ts_utc_ms: Date.UTC(2023, 11, 26, 11, 15, 55), ts_quality: 'local_assumed' });
    expect(got.timeNotes).toContain('inferred -05:00 from syslog');
  });

  it('wins detection over syslog for sudo logs, and leaves syslog files alone', () => {
    const probe = (s: string): Probe => ({ head: Buffer.from(s), name: 'sudo.log', path: '/x/sudo.log', size: s.length });
    const syslog = formatByName('syslog')!;
    expect(sudoLog.detect(probe(LOG))).toBeGreaterThan(syslog.detect(probe(LOG)));
    const sys = 'Dec 26 06:15:55 host sudo:      ygh : TTY=pts/1 ; PWD=/ ; USER=root ; COMMAND=/bin/su\n';
    expect(sudoLog.detect(probe(sys))).toBe(0);
  });
});
