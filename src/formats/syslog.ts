// syslog text files written by rsyslog, syslog-ng or journald forwarding.
//
//   2026-11-21T16:49:13.222619-05:00 vm kernel: [ 2592.661349] cgroup: fork rejected by pids controller in /lab-pids
//   Nov 21 16:49:12 vm sshd[16520]: Connection closed by authenticating user root 127.0.0.1 port 33962 [preauth]
//
// Fields: timestamp (RFC 3339 with offset: RSYSLOG_FileFormat, Debian 12+/Ubuntu 24.04; or RFC 3164
// `Mmm dd hh:mm:ss`, local time without year or zone: RSYSLOG_TraditionalFileFormat, RHEL, older
// Debian), hostname, tag `prog[pid]:`, message. Kernel lines may carry the printk uptime
// `[ secs.usecs]`. Source: rsyslog runtime/rsconf.c templates and runtime/datetime.c
// formatTimestamp3164 (see ../shared/formats.md §5.1).
import type { EventRow, FormatModule, ParseContext, ParseOutput, Prescan, Unit, UnitParser } from './types.js';
import { MONTHS, civilToMs, civilFromMs, ZoneConverter } from '../time/civil.js';
import { offsetForLocal, formatOffset } from '../time/zone-inference.js';
import { extractMessageFacts } from './messages/index.js';

const RFC3339 = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?(Z|[+-]\d\d:?\d\d)\s+(.*)$/;
const RFC3164 = /^([A-Z][a-z]{2}) ([ \d]?\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?\s+(.*)$/;
/** host, then tag up to ':' ; the tag may hold '/', '-', '.', '@' and a [pid]. */
const HOST_TAG = /^(\S+) ([^\s:\[]+)(?:\[(\d+)\])?:\s?(.*)$/;
const TAG_ONLY = /^([^\s:\[]+)(?:\[(\d+)\])?:\s?(.*)$/;
const KERNEL_UPTIME = /^\[\s*(\d+)\.(\d{1,9})\](?:\[\s*[TC]\d+\])?\s?(.*)$/;

export interface SyslogHead {
  ts_utc_ms: number | null;
  quality: EventRow['ts_quality'];
  host: string | null;
  program: string | null;
  pid: number | null;
  message: string;
  offsetMin: number | null;
}

interface YearPrescan {
  /** Number of year rollovers (month going down by more than 6) across the file. */
  rollovers: number;
  lastMonth: number;
  lastDay: number;
}

function monthOf(text: string): number {
  return MONTHS[text.slice(0, 3)] ?? 0;
}

export function yearPrescan(): Prescan {
  let prev = 0;
  let rollovers = 0;
  let lastMonth = 0;
  let lastDay = 0;
  return {
    observe(u: Unit) {
      const m = monthOf(u.text);
      if (!m || u.text.charCodeAt(3) !== 32) return;
      if (prev && m < prev && prev - m > 6) rollovers++;
      prev = m;
      lastMonth = m;
      lastDay = Number(u.text.slice(4, 6).trim()) || lastDay;
    },
    result(): YearPrescan {
      return { rollovers, lastMonth, lastDay };
    },
  };
}

/** Chooses the year of the first yearless line from the reference instant and the month sequence. */
export function firstYear(ctx: ParseContext): { year: number; method: string } | null {
  const pre = ctx.prescan as YearPrescan | null;
  if (!ctx.yearRef) return null;
  const ref = civilFromMs(ctx.yearRef.utc_ms);
  let lastYear = ref.y;
  if (pre && pre.lastMonth && (pre.lastMonth > ref.m || (pre.lastMonth === ref.m && pre.lastDay > ref.d + 1))) lastYear--;
  const rollovers = pre ? pre.rollovers : 0;
  return { year: lastYear - rollovers, method: `year from ${ctx.yearRef.method}${rollovers ? `, ${rollovers} year rollover(s) in the file` : ''}` };
}

export class SyslogParser implements UnitParser {
  private year: number;
  private prevMonth = 0;
  private readonly zone: ZoneConverter | null;
  private readonly yearMethod: string;
  private sawLocal = false;
  private sawYearless = false;
  private readonly offsets = new Map<string, { host: string | null; off: number; first: number; last: number; n: number }>();
  private bootIndex = 0;
  private lastUptime = -1;

  constructor(private readonly ctx: ParseContext) {
    const fy = firstYear(ctx);
    this.year = fy ? fy.year : new Date(0).getUTCFullYear();
    this.yearMethod = fy ? fy.method : 'no reference time: year unknown';
    this.zone = ctx.tz ? new ZoneConverter(ctx.tz) : null;
  }

  parse(unit: Unit, out: ParseOutput): void {
    const text = unit.text;
    if (!text.trim()) {
      out.skip('empty line');
      return;
    }
    const head = this.parseHead(text);
    if (!head) {
      out.event({ ts_utc_ms: null, ts_quality: 'unknown', host: null, program: null, pid: null, message: text });
      out.warn('line does not start with a syslog timestamp; stored without a time');
      return;
    }
    const row: EventRow = {
      ts_utc_ms: head.ts_utc_ms,
      ts_quality: head.quality,
      host: head.host,
      program: head.program,
      pid: head.pid,
      message: head.message,
    };
    if (head.program === 'kernel') this.kernelStamp(row, out);
    out.event(row);
    extractMessageFacts(row, out);
  }

  /** Kernel lines: split the printk uptime off the message and record a boot anchor. */
  private kernelStamp(row: EventRow, out: ParseOutput): void {
    const m = KERNEL_UPTIME.exec(row.message);
    if (!m) return;
    const uptime = Number(m[1]) + Number(m[2].padEnd(6, '0').slice(0, 9)) / 10 ** Math.max(6, m[2].length);
    if (uptime + 1 < this.lastUptime) this.bootIndex++;
    this.lastUptime = uptime;
    row.uptime_s = uptime;
    row.boot_key = `b${this.bootIndex}`;
    row.message = m[3];
    if (row.ts_utc_ms !== null) {
      out.fact('boot_anchors', {
        host: row.host,
        boot_key: row.boot_key,
        uptime_s: uptime,
        ts_utc_ms: row.ts_utc_ms,
        kind: 'syslog-kernel',
      });
    }
  }

  parseHead(text: string): SyslogHead | null {
    const c0 = text.charCodeAt(0);
    if (c0 >= 48 && c0 <= 57) {
      const m = RFC3339.exec(text);
      if (!m) return null;
      let ms = civilToMs(+m[1], +m[2], +m[3], +m[4], +m[5], +m[6], m[7] ? Math.floor(Number(m[7].padEnd(3, '0').slice(0, 3))) : 0);
      let off = 0;
      if (m[8] !== 'Z') {
        const sign = m[8][0] === '-' ? -1 : 1;
        const digits = m[8].slice(1).replace(':', '');
        off = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
        ms -= off * 60000;
      }
      const rest = this.splitTag(m[9]);
      this.noteOffset(rest.host, off, ms);
      return { ts_utc_ms: ms, quality: 'exact', offsetMin: off, ...rest };
    }
    const m = RFC3164.exec(text);
    if (!m) return null;
    const mon = MONTHS[m[1]];
    if (!mon) return null;
    if (this.prevMonth && mon < this.prevMonth && this.prevMonth - mon > 6) this.year++;
    this.prevMonth = mon;
    this.sawYearless = true;
    const local = civilToMs(this.year, mon, Number(m[2].trim()), +m[3], +m[4], +m[5], m[6] ? Number(m[6].padEnd(3, '0').slice(0, 3)) : 0);
    let utc: number;
    let quality: EventRow['ts_quality'];
    if (this.zone) {
      utc = this.zone.toUtc(local);
      quality = 'year_inferred';
    } else {
      this.sawLocal = true;
      utc = local - (this.ctx.assumedOffset ? offsetForLocal(this.ctx.assumedOffset, local) : 0) * 60000;
      quality = 'local_assumed';
    }
    return { ts_utc_ms: utc, quality, offsetMin: null, ...this.splitTag(m[7]) };
  }

  private splitTag(rest: string): { host: string | null; program: string | null; pid: number | null; message: string } {
    const m = HOST_TAG.exec(rest);
    if (m) return { host: m[1], program: m[2], pid: m[3] ? Number(m[3]) : null, message: m[4] };
    const t = TAG_ONLY.exec(rest);
    if (t) return { host: null, program: t[1], pid: t[2] ? Number(t[2]) : null, message: t[3] };
    return { host: null, program: null, pid: null, message: rest };
  }

  private noteOffset(host: string | null, off: number, ms: number): void {
    const key = `${host}|${off}`;
    const o = this.offsets.get(key);
    if (o) {
      o.last = ms;
      o.n++;
    } else this.offsets.set(key, { host, off, first: ms, last: ms, n: 1 });
  }

  end(out: ParseOutput): void {
    for (const o of this.offsets.values()) {
      out.fact('tz_offsets', { host: o.host, offset_min: o.off, first_utc_ms: o.first, last_utc_ms: o.last, lines: o.n });
    }
  }

  timeNotes(): string | null {
    if (!this.sawYearless) return null;
    const zone = this.zone
      ? `local times in ${this.zone.name} (--tz)`
      : this.ctx.assumedOffset
        ? `local times: ${this.ctx.assumedOffset.why}`
        : `local times assumed UTC${formatOffset(0)}: no --tz and no offset in the evidence`;
    return `${this.yearMethod}; ${zone}`;
  }
}

export const syslog: FormatModule = {
  name: 'syslog',
  description: 'syslog text (RFC 3339 or RFC 3164 timestamps; rsyslog, syslog-ng, journald forwarding)',
  unit: 'line',
  order: 5,
  detect(probe) {
    const lines = probe.head.toString('utf8').split('\n').slice(0, 20).filter((l) => l.trim());
    if (!lines.length) return 0;
    let hits = 0;
    for (const l of lines) if (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d) \S/.test(l) || /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S/.test(l)) hits++;
    return hits / lines.length >= 0.5 ? 50 : 0;
  },
  prescan: () => yearPrescan(),
  createParser: (ctx) => new SyslogParser(ctx),
  samples: [
    {
      input: '2026-11-21T16:49:13.222619-05:00 vm kernel: [ 2592.661349] cgroup: fork rejected by pids controller in /lab-pids',
      event: {
        ts_utc_ms: Date.UTC(2026, 10, 21, 21, 49, 13, 222),
        ts_quality: 'exact',
        host: 'vm',
        program: 'kernel',
        uptime_s: 2592.661349,
        message: 'cgroup: fork rejected by pids controller in /lab-pids',
      },
    },
    {
      input: 'Nov 21 16:49:12 vm sshd[16520]: Connection closed by authenticating user root 127.0.0.1 port 33962 [preauth]',
      context: { tz: 'America/New_York', yearRef: { utc_ms: Date.UTC(2026, 10, 22), method: 'test' } },
      event: { ts_utc_ms: Date.UTC(2026, 10, 21, 21, 49, 12), ts_quality: 'year_inferred', host: 'vm', program: 'sshd', pid: 16520 },
    },
  ],
};
