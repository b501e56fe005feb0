// sudo's own logfile: wrapped records joined, local times converted, commands rows.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sudoLog } from '../../src/formats/sudo-log.js';
import { formatByName } from '../../src/formats/registry.js';
import type { Probe, Unit } from '../../src/formats/types.js';
import { runParser, unitsFromText } from '../helpers/run-parser.js';
import { ingest, listSources } from '../../src/index.js';
import { openCaseDb } from '../../src/store/db.js';

const SHARED = path.resolve(__dirname, '../../../shared');

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

function lineCount(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) n++;
  return buf.length && buf[buf.length - 1] !== 10 ? n + 1 : n;
}

async function unitsOf(text: string): Promise<Unit[]> {
  return unitsFromText(text);
}

describe('sudo-log', () => {
  it('one unit per line: continuation lines are parts, a record is stored by the line after it', async () => {
    const us = await unitsOf(LOG);
    expect(us).toHaveLength(7);
    const got = runParser(sudoLog, us);
    // rows carry their records' first lines
    expect(got.events.map((e) => e.unit)).toEqual([1, 3, 5, 7]);
    expect(got.parts).toEqual([1, 2, 4, 6]);
    expect(got.skips).toEqual([]);
    expect(got.events[0].message).toBe('ygh : TTY=pts/1 ; PWD=/home/ygh ; USER=root ; COMMAND=/bin/su');
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
    expect(got.warnings).toEqual([{ unit: null, message: 'line 7: does not start with a sudo log timestamp; stored without a time' }]);
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

  it('through the pipeline: units equal the line count, rows and facts on the first line of their record', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-sudolog-'));
    try {
      const file = path.join(dir, 'sudo.log');
      const db = path.join(dir, 'case.db');
      const text = LOG + '\nDec 27 10:00:00 : bob : TTY=pts/2 ; PWD=/ ; USER=root ; COMMAND=/bin/ls\n    -la';
      fs.writeFileSync(file, text);
      await ingest([file], { db, tz: 'UTC' });
      const h = openCaseDb(db, { readonly: true });
      try {
        const [s] = listSources(h);
        expect(lineCount(Buffer.from(text))).toBe(10);
        // the blank line 8 closes the garbage record, so it is stored; nothing is skipped
        expect(s).toMatchObject({ format: 'sudo-log', units: 10, stored: 10, skipped: 0 });
        expect(h.prepare(`SELECT src_line FROM events ORDER BY src_line`).all()).toEqual([1, 3, 5, 7, 9].map((n) => ({ src_line: n })));
        expect(h.prepare(`SELECT src_line, command FROM commands ORDER BY src_line`).all()).toEqual([
          { src_line: 1, command: '/bin/su' },
          { src_line: 3, command: '/usr/bin/id' },
          { src_line: 5, command: '/usr/bin/kill -9 16416' },
          { src_line: 9, command: '/bin/ls -la' },
        ]);
      } finally {
        h.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a grown log: the record stored at end of file is not stored again when the next one closes it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-sudolog-'));
    try {
      const file = path.join(dir, 'sudo.log');
      const db = path.join(dir, 'case.db');
      fs.writeFileSync(file, LOG.split('\n').slice(0, 6).join('\n') + '\n');
      await ingest([file], { db, tz: 'UTC' });
      fs.appendFileSync(file, 'Dec 27 10:00:00 : bob : TTY=pts/2 ; PWD=/ ; USER=root ;\n    COMMAND=/bin/ls\n');
      await ingest([file], { db, tz: 'UTC' });
      const h = openCaseDb(db, { readonly: true });
      try {
        expect(listSources(h)[0]).toMatchObject({ units: 8, stored: 8, skipped: 0 });
        expect(h.prepare(`SELECT src_line, command FROM commands ORDER BY src_line`).all()).toEqual([
          { src_line: 1, command: '/bin/su' },
          { src_line: 3, command: '/usr/bin/id' },
          { src_line: 5, command: '/usr/bin/kill -9 16416' },
          { src_line: 7, command: '/bin/ls' },
        ]);
        expect(h.prepare(`SELECT src_line FROM events ORDER BY src_line`).all()).toEqual([1, 3, 5, 7].map((n) => ({ src_line: n })));
      } finally {
        h.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!fs.existsSync(SHARED))('real CentOS 6 sudo.log: units equal wc -l', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-sudolog-'));
    try {
      const file = path.join(SHARED, 'samples-real/syslog/knewhow_centos6_sudo.log');
      const db = path.join(dir, 'case.db');
      await ingest([file], { db });
      const h = openCaseDb(db, { readonly: true });
      try {
        const [s] = listSources(h);
        expect(s).toMatchObject({ format: 'sudo-log', units: lineCount(fs.readFileSync(file)) });
        expect(s.units).toBe(81);
        expect(s.stored + s.skipped).toBe(81);
        expect((h.prepare(`SELECT COUNT(*) n FROM events`).get() as { n: number }).n).toBe(42);
      } finally {
        h.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
