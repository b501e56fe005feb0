// sudo's own log file (sudoers `Defaults logfile=/var/log/sudo.log`), written by sudo 1.8/1.9
// (lib/eventlog/eventlog.c, do_logfile_sudo / eventlog_writeln):
//
//   Dec 26 06:15:55 : ygh : TTY=pts/1 ; PWD=/home/ygh ; USER=root ;
//       COMMAND=/bin/su
//   Dec 26 06:16:02 : ygh : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/home/ygh ;
//       USER=root ; COMMAND=/usr/bin/id
//
// Fields: local time `%h %e %H:%M:%S` (day space-padded; `log_year` appends ` %Y`), the
// submitting user, optional `HOST=name : ` (`log_host`), then the same log line as sudo sends to
// syslog (see messages/sudo.ts). Lines longer than `loglinelen` (default 80) are wrapped at a
// space and continued on lines indented by 4 spaces, so one record spans several lines. Units are
// lines; a record is known to be complete only when the next one starts, so its row is stored by
// the first line of the next record (or a blank line, or `end()` for the last record) with the
// provenance of the record's first line (`event(row, from)`); every other line is a `part()`.
// Times are local without a zone (and usually without a year): handled as syslog's RFC 3164
// lines (--tz, or the zone inferred from other evidence; year from the file's reference time).
import type { EventRow, FormatModule, ParseContext, ParseOutput, RecordStart, Unit, UnitParser } from './types.js';
import { MONTHS, civilToMs, ZoneConverter } from '../time/civil.js';
import { offsetForLocal, formatOffset } from '../time/zone-inference.js';
import { firstYear, yearPrescan } from './syslog.js';
import { extractMessageFacts } from './messages/index.js';

const HEADER = /^([A-Z][a-z]{2}) ([ \d]?\d) (\d\d):(\d\d):(\d\d)(?: (\d{4}))? : (.*)$/s;
const HEADER_START = /^[A-Z][a-z]{2} [ \d]?\d \d\d:\d\d:\d\d(?: \d{4})? : \S+ : /;
const HOST_PART = /^(\S+) : HOST=(\S+) : (.*)$/s;
const INDENT = '    ';

class SudoLogParser implements UnitParser {
  private year: number;
  private prevMonth = 0;
  private readonly zone: ZoneConverter | null;
  private readonly yearMethod: string;
  private sawYearless = false;
  private sawLocal = false;

  constructor(private readonly ctx: ParseContext) {
    const fy = firstYear(ctx);
    this.year = fy ? fy.year : 1970;
    this.yearMethod = fy ? fy.method : 'no reference time: year unknown';
    this.zone = ctx.tz ? new ZoneConverter(ctx.tz) : null;
  }

  /** The record being read: its first line and its lines so far. */
  private open: { index: number; offset: number; lines: string[] } | null = null;

  parse(unit: Unit, out: ParseOutput): void {
    if (this.open && unit.text.startsWith(INDENT)) {
      this.open.lines.push(unit.text);
      out.part();
      return;
    }
    // Any other line ends the open record, whose row this line stores.
    const closed = this.open !== null;
    if (closed) this.flush(out);
    if (!unit.text.trim()) {
      if (!closed) out.skip('empty line', true);
      return;
    }
    this.open = { index: unit.index, offset: unit.offset, lines: [unit.text] };
    if (!closed) out.part();
  }

  end(out: ParseOutput): void {
    if (this.open) this.flush(out);
  }

  private flush(out: ParseOutput): void {
    const rec = this.open!;
    this.open = null;
    const lines = rec.lines;
    const from: RecordStart = { index: rec.index, offset: rec.offset, raw: lines.join('\n') };
    this.parseRecord(lines, from, out);
  }

  private parseRecord(lines: string[], from: RecordStart, out: ParseOutput): void {
    // Undo the wrapping: each continuation replaced one space with "\n    ".
    let joined = lines[0];
    for (let i = 1; i < lines.length; i++) joined += ' ' + (lines[i].startsWith(INDENT) ? lines[i].slice(4) : lines[i].trimStart());
    const m = HEADER.exec(joined);
    if (!m || !MONTHS[m[1]]) {
      out.event({ ts_utc_ms: null, ts_quality: 'unknown', host: null, program: 'sudo', pid: null, message: joined }, from);
      // The warning is given on the line that closed the record: name the record's own line.
      out.warn(
        lines[0].startsWith(INDENT)
          ? `line ${from.index}: sudo log continuation line without its first line; stored without a time`
          : `line ${from.index}: does not start with a sudo log timestamp; stored without a time`,
      );
      return;
    }
    const mon = MONTHS[m[1]];
    let year: number;
    if (m[6]) year = Number(m[6]);
    else {
      if (this.prevMonth && mon < this.prevMonth && this.prevMonth - mon > 6) this.year++;
      this.sawYearless = true;
      year = this.year;
    }
    this.prevMonth = mon;
    const local = civilToMs(year, mon, Number(m[2].trim()), +m[3], +m[4], +m[5]);
    let ts: number;
    let quality: EventRow['ts_quality'];
    if (this.zone) {
      ts = this.zone.toUtc(local);
      quality = 'year_inferred';
    } else {
      this.sawLocal = true;
      ts = local - (this.ctx.assumedOffset ? offsetForLocal(this.ctx.assumedOffset, local) : 0) * 60000;
      quality = 'local_assumed';
    }
    let message = m[7];
    let host: string | null = null;
    const h = HOST_PART.exec(message);
    if (h) {
      host = h[2];
      message = `${h[1]} : ${h[3]}`;
    }
    const row: EventRow = { ts_utc_ms: ts, ts_quality: quality, host, program: 'sudo', pid: null, message };
    out.event(row, from);
    extractMessageFacts(row, out);
  }

  timeNotes(): string | null {
    const zone = this.zone
      ? `local times in ${this.zone.name} (--tz)`
      : this.ctx.assumedOffset
        ? `local times: ${this.ctx.assumedOffset.why}`
        : `local times assumed UTC${formatOffset(0)}: no --tz and no offset in the evidence`;
    if (!this.sawYearless && !this.sawLocal && !this.zone) return null;
    return this.sawYearless ? `${this.yearMethod}; ${zone}` : zone;
  }
}

export const sudoLog: FormatModule = {
  name: 'sudo-log',
  description: "sudo's own log file (Defaults logfile=…), records wrapped with 4-space continuation lines",
  unit: 'line',
  order: 10,
  detect(probe) {
    const lines = probe.head.toString('utf8').split('\n').slice(0, 40).filter((l) => l.trim());
    if (!lines.length) return 0;
    let heads = 0;
    let bad = 0;
    for (const l of lines) {
      if (HEADER_START.test(l)) heads++;
      else if (!l.startsWith(INDENT)) bad++;
    }
    // Above syslog's 50: its RFC 3164 test also matches these lines (`Dec 26 06:15:55 :`).
    return heads > 0 && bad * 4 <= lines.length ? 60 : 0;
  },
  prescan: () => yearPrescan(),
  createParser: (ctx) => new SudoLogParser(ctx),
  samples: [
    {
      input: 'Dec 26 06:15:55 : ygh : TTY=pts/1 ; PWD=/home/ygh ; USER=root ; COMMAND=/bin/su',
      context: { tz: 'UTC', yearRef: { utc_ms: Date.UTC(2023, 11, 31), method: 'test' } },
      event: { ts_utc_ms: Date.UTC(2023, 11, 26, 6, 15, 55), ts_quality: 'year_inferred', program: 'sudo' },
      facts: [{ table: 'commands', row: { via: 'sudo', user: 'ygh', run_as: 'root', tty: 'pts/1', pwd: '/home/ygh', command: '/bin/su', result: 'allowed' } }],
    },
  ],
};
