// syslog family: every line shape of formats.md §5.1–5.4 with the values it must yield.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { syslog, syslogTraditional, journalctlShort, thunderbird, decodeRsyslogEscapes, firstYear } from '../../src/formats/syslog.js';
import { FORMATS } from '../../src/formats/registry.js';
import type { Probe } from '../../src/formats/types.js';
import { runParser, unitsFromText } from '../helpers/run-parser.js';

const REF_NOV = { utc_ms: Date.UTC(2026, 10, 22), method: 'test ref' };
const run = (text: string, over = {}) => runParser(syslogTraditional, unitsFromText(text), over);

describe('RFC 3339 lines', () => {
  it('reads offsets with and without colon and fractions', () => {
    const got = runParser(
      syslog,
      unitsFromText(
        '2026-11-22T05:13:06.347695+08:00 host prog[77]: hello\n' +
          '2023-12-15T05:14:46.770311+0000 huggy systemd[1]: Started x.\n' +
          '2026-11-21T16:49:13Z vm kernel: <4>[ 2592.661349][ T1234] cgroup: fork rejected by pids controller in /lab-pids',
      ),
    );
    expect(got.events.map((e) => e.ts_utc_ms)).toEqual([Date.UTC(2026, 10, 21, 21, 13, 6, 347), Date.UTC(2023, 11, 15, 5, 14, 46, 770), Date.UTC(2026, 10, 21, 16, 49, 13)]);
    expect(got.events[0]).toMatchObject({ host: 'host', program: 'prog', pid: 77, message: 'hello', ts_quality: 'exact' });
    expect(got.events[2]).toMatchObject({ uptime_s: 2592.661349, severity: 4, message: 'cgroup: fork rejected by pids controller in /lab-pids' });
    const tz = got.facts.filter((f) => f.table === 'tz_offsets').map((f) => f.row.offset_min);
    expect(tz.sort()).toEqual([0, 0, 480]); // one fact per host and offset
  });

  it('reads RFC 5424 with nil fields and structured data', () => {
    const got = runParser(
      syslog,
      unitsFromText('<34>1 2026-10-07T16:04:22Z server app 123 ID1 - timeout\n<165>1 2026-10-07T16:04:23.5+02:00 - - - - [exampleSDID@32473 iut="3" eventID="10\\]11"] \uFEFFAn application event'),
    );
    expect(got.events[0]).toMatchObject({ ts_utc_ms: Date.UTC(2026, 9, 7, 16, 4, 22), host: 'server', program: 'app', pid: 123, severity: 2, message: 'timeout' });
    expect(got.events[1]).toMatchObject({ ts_utc_ms: Date.UTC(2026, 9, 7, 14, 4, 23, 500), host: null, program: null, pid: null, severity: 5, message: 'An application event' });
  });
});

describe('RFC 3164 lines', () => {
  it('accepts space- and zero-padded days, lines without hostname, and no tag', () => {
    const got = run('Nov  1 09:31:30 vm CRON[5]: x\nNov 01 09:31:31 vm CRON[6]: y\nNov  1 09:31:32 prog[42]: no host\nJan 22 07:54:32 myhost.example Job `cron.daily\' terminated', {
      tz: 'UTC',
      yearRef: { utc_ms: Date.UTC(2027, 0, 30), method: 't' },
    });
    expect(got.events.map((e) => e.ts_utc_ms)).toEqual([Date.UTC(2026, 10, 1, 9, 31, 30), Date.UTC(2026, 10, 1, 9, 31, 31), Date.UTC(2026, 10, 1, 9, 31, 32), Date.UTC(2027, 0, 22, 7, 54, 32)]);
    expect(got.events[2]).toMatchObject({ host: null, program: 'prog', pid: 42, message: 'no host' });
    expect(got.events[3]).toMatchObject({ host: 'myhost.example', program: null, message: "Job `cron.daily' terminated" });
  });

  it('converts with --tz (year_inferred) or the inferred offset (local_assumed), and says which', () => {
    const withTz = run('Nov 21 16:48:31 vm lab: incident lab begins', { tz: 'America/New_York', yearRef: REF_NOV });
    expect(withTz.events[0]).toMatchObject({ ts_utc_ms: Date.UTC(2026, 10, 21, 21, 48, 31), ts_quality: 'year_inferred' });
    const assumed = { minutes: -300, why: 'UTC-05:00 inferred from RFC 3339 stamps written by host vm', spans: [{ from_ms: 0, to_ms: 2e12, minutes: -300 }] };
    const inferred = run('Nov 21 16:48:31 vm lab: incident lab begins', { assumedOffset: assumed, yearRef: REF_NOV });
    expect(inferred.events[0]).toMatchObject({ ts_utc_ms: Date.UTC(2026, 10, 21, 21, 48, 31), ts_quality: 'local_assumed' });
    expect(inferred.timeNotes).toMatch(/year 2026 .*test ref.*UTC-05:00 inferred/);
    const utc = run('Nov 21 16:48:31 vm lab: x', { yearRef: REF_NOV });
    expect(utc.events[0].ts_utc_ms).toBe(Date.UTC(2026, 10, 21, 16, 48, 31));
    expect(utc.timeNotes).toMatch(/assumed UTC/);
  });

  it('infers the year across Dec 31 → Jan 1 (formats.md §5.4 example)', () => {
    const got = run('Dec 31 23:59:58 h a: x\nJan  1 00:00:03 h a: y', { tz: 'UTC', yearRef: { utc_ms: Date.UTC(2024, 0, 2), method: 'file mtime' } });
    expect(got.events.map((e) => e.ts_utc_ms)).toEqual([Date.UTC(2023, 11, 31, 23, 59, 58), Date.UTC(2024, 0, 1, 0, 0, 3)]);
    expect(got.timeNotes).toMatch(/year 2023 for the first line, from file mtime .*1 Dec→Jan rollover/);
  });

  it('puts December lines in the year before a reference in early January', () => {
    const got = run('Dec 28 10:00:00 h a: x\nDec 30 11:00:00 h a: y', { tz: 'UTC', yearRef: { utc_ms: Date.UTC(2025, 0, 3), method: 'gzip header mtime' } });
    expect(got.events.map((e) => e.ts_utc_ms)).toEqual([Date.UTC(2024, 11, 28, 10), Date.UTC(2024, 11, 30, 11)]);
    expect(firstYear({ yearRef: { utc_ms: Date.UTC(2025, 5, 1), method: 'x' }, prescan: { rollovers: 0, lastMonth: 5, lastDay: 31 } })!.year).toBe(2025);
  });

  it('decodes #012 escapes without putting a newline in the message', () => {
    expect(decodeRsyslogEscapes('a#012#012b#011c #123')).toBe('a\\n\\nb\tc #123');
    const got = run('Nov 21 03:22:11 h python: SELinux is preventing x.#012#012*****  Plugin', { yearRef: REF_NOV });
    expect(got.events[0].message).toBe('SELinux is preventing x.\\n\\n*****  Plugin');
    expect(got.events[0].message).not.toContain('\n');
  });

  it('keeps repeated-message lines and multi-line continuations, with warnings not throws', () => {
    const got = run(
      'Nov 18 01:15:20 h aprocess[101]: This is a multi-line message\n\tmany syslog parsers.\nNov 18 01:15:43: --- last message repeated 5 times ---\nNov 18 01:15:44 h sshd[9]: message repeated 2 times: [ Failed password for root]\nMMM 22 07:54:32 broken',
      { yearRef: REF_NOV },
    );
    expect(got.events).toHaveLength(5);
    expect(got.events[1]).toMatchObject({ program: 'aprocess', pid: 101, ts_utc_ms: got.events[0].ts_utc_ms });
    expect(got.events[2]).toMatchObject({ host: null, program: null, message: '--- last message repeated 5 times ---' });
    expect(got.events[3]).toMatchObject({ program: 'sshd', message: 'message repeated 2 times: [ Failed password for root]' });
    expect(got.events[4].ts_utc_ms).toBe(got.events[3].ts_utc_ms);
    expect(got.warnings.length).toBe(2);
  });

  it('splits kernel uptimes, caller ids, and starts a new boot on the banner or a backwards uptime', () => {
    const got = run(
      [
        'Mar 22 18:17:17 h kernel: [10295736.887716] type=1400 audit(1458685037.592:32): x',
        'Mar 22 18:26:13 h kernel: [    0.000000] Initializing cgroup subsys cpuset',
        'Mar 22 18:26:13 h kernel: [    5.000000][    C1] irq thing',
        'Mar 22 18:40:00 h kernel: [    0.000000] Linux version 3.13.0-57-generic',
      ].join('\n'),
      { yearRef: REF_NOV },
    );
    expect(got.events.map((e) => e.boot_key)).toEqual(['b0', 'b1', 'b1', 'b2']);
    expect(got.events[2]).toMatchObject({ uptime_s: 5, message: 'irq thing' });
    expect(got.facts.filter((f) => f.table === 'boot_anchors')).toHaveLength(4);
  });
});

describe('journalctl -o short and Thunderbird', () => {
  it('skips journal markers with a reason and separates boots', () => {
    const got = runParser(
      journalctlShort,
      unitsFromText('-- Logs begin at Sat 2021-05-08 00:49:10 CEST, end at Sun 2021-05-09 02:17:15 CEST. --\nMay 08 00:49:10 stephen kernel: [   12.5] x\n-- Boot 2c4ddff629e64f17a77f2f5be9c8c141 --\nMay 08 01:00:00 stephen kernel: [   13.0] y'),
      { tz: 'Europe/Berlin', yearRef: { utc_ms: Date.UTC(2021, 4, 9), method: 't' } },
    );
    expect(got.skips).toEqual([
      { unit: 1, reason: 'journalctl marker line' },
      { unit: 3, reason: 'journalctl marker line' },
    ]);
    expect(got.warnings).toHaveLength(0);
    expect(got.events.map((e) => e.boot_key)).toEqual(['b0', 'b1']);
  });

  it('takes the epoch column of Thunderbird lines', () => {
    const got = runParser(thunderbird, unitsFromText('- 1131566665 2005.11.09 tbird-admin1 Nov 9 12:04:25 local@tbird-admin1 ntpd[1815]: kernel time sync disabled 0041'));
    expect(got.events[0]).toMatchObject({ ts_utc_ms: 1131566665000, ts_quality: 'exact', host: 'tbird-admin1', program: 'ntpd', pid: 1815 });
  });
});

const SYSLOG_DIR = path.resolve(__dirname, '../../../shared/samples-real/syslog');
describe.skipIf(!fs.existsSync(SYSLOG_DIR))('detection on samples-real/syslog', () => {
  it('gives every file a format (sudo.log excepted: another module)', () => {
    const names = fs.readdirSync(SYSLOG_DIR).filter((f) => f !== 'knewhow_centos6_sudo.log');
    const result: Record<string, string> = {};
    for (const name of names) {
      let head = fs.readFileSync(path.join(SYSLOG_DIR, name));
      if (head[0] === 0x1f && head[1] === 0x8b) head = zlib.gunzipSync(head);
      const probe: Probe = { head: head.subarray(0, 65536), name, path: name, size: head.length };
      let best = 0;
      let fmt = 'unknown';
      for (const f of FORMATS) {
        const s = f.detect(probe);
        if (s > best) {
          best = s;
          fmt = f.name;
        }
      }
      result[name] = fmt;
    }
    expect(Object.entries(result).filter(([, f]) => f === 'unknown')).toEqual([]);
    expect(result['loghub_Thunderbird_2k.log']).toBe('syslog-thunderbird');
    expect(result['plaso_rsyslog_rfc5424.log']).toBe('syslog');
    expect(result['logssrv_centos7_dmesg']).toBe('dmesg');
    expect(result['issue_systemd3565_dmesgT_networkd_segfaults.log']).toBe('dmesg');
    expect(result['logssrv_centos7_messages']).toBe('syslog-traditional');
  });
});
