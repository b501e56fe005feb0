// syslog text files written by rsyslog, syslog-ng or journald forwarding, and the text exports
// that look like them (journalctl -o short, loghub's Thunderbird prefix).
//
//   2026-11-21T16:49:13.222619-05:00 vm kernel: [ 2592.661349] cgroup: fork rejected by pids controller in /lab-pids
//   Nov 21 16:49:12 vm sshd[16520]: Connection closed by authenticating user root 127.0.0.1 port 33962 [preauth]
//   <34>1 2026-10-07T16:04:22Z server app 123 ID1 - timeout
//   - 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond(pam_unix)[2915]: session closed for user root
//
// Fields: timestamp (RFC 3339 with offset: RSYSLOG_FileFormat, Debian 12+/Ubuntu 24.04, or
// journalctl short-iso-precise with `+0000`; or RFC 3164 `Mmm dd hh:mm:ss`, local time without year
// or zone: RSYSLOG_TraditionalFileFormat, RHEL, older Debian, journalctl -o short), hostname
// (absent when the token after the time already ends with ':'), tag `prog[pid]:`, message.
// RFC 5424 (RSYSLOG_SyslogProtocol23Format): `<PRI>1 TS HOST APP PROCID MSGID SD MSG`, `-` = nil.
// Kernel lines may carry the printk uptime `[ secs.usecs]`, a caller id `[ T1234]` and a `<4>`
// level. rsyslog escapes control characters as `#` + 3 octal digits (`#012` = LF).
// Sources: rsyslog runtime/rsconf.c templates, runtime/datetime.c formatTimestamp3164, RFC 5424 §6,
// ../shared/formats.md §2.6, §5.1–5.4; loghub Thunderbird (Oliner & Stearley, DSN 2007): alert
// tag, epoch seconds, date, node, then the syslog line as the collector stored it.
//
// Three modules share one parser so the job order can differ: files with RFC 3339 offsets run
// first (order 5) and write tz_offsets; files of local yearless times run later (order 7) so the
// host's own offsets are known when their contexts are built.
import type { EventRow, FormatModule, ParseContext, ParseOutput, Prescan, Probe, Unit, UnitParser } from './types.js';
import { MONTHS, civilToMs, civilFromMs, ZoneConverter, isoUtc } from '../time/civil.js';
import { offsetForLocal, formatOffset } from '../time/zone-inference.js';
import { extractMessageFacts } from './messages/index.js';

const RFC3339 = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?(Z|[+-]\d\d:?\d\d)\s+(.*)$/;
const RFC3339_TOKEN = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:?\d\d)$/;
/** Optional `<PRI>` (remote collectors), month, day (space or zero padded), time, optional fraction and a stray ':' (`--- last message repeated` lines). */
const RFC3164 = /^(?:<(\d{1,3})>)?([A-Z][a-z]{2}) ([ \d]?\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?:?\s+(.*)$/;
const RFC5424 = /^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) ?(.*)$/;
const THUNDERBIRD = /^(\S+) (\d{9,11}) (\d{4})\.(\d\d)\.(\d\d) (\S+) ([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d\d):(\d\d):(\d\d) ?(.*)$/;
/** Tag up to ':' ; it may hold '/', '-', '.', '@', '(…)' and a [pid]. */
const TAG = /^([^\s:\[]+)(?:\[(\d+)\])?:(?: |$)(.*)$/;
const KERNEL_UPTIME = /^(?:<(\d)>)?\[\s*(\d+)\.(\d{1,9})\](?:\[\s*([TC]\d+)\])?\s?(.*)$/;
const REPEATED = /^message repeated (\d+) times: \[\s?(.*)\]$/;
/** journalctl text markers: header, boot separators, empty result. */
const JOURNAL_MARKER = /^-- (?:Logs begin at|Journal begins at|Boot [0-9a-f]{32}|Reboot|No entries|Subsequent journal)/;
const ESCAPE = /#([0-3][0-7]{2})/g;

/** ChromeOS writes a severity word where the hostname goes. */
const SEVERITY_WORDS: Readonly<Record<string, number>> = {
  EMERG: 0, ALERT: 1, CRIT: 2, ERR: 3, ERROR: 3, WARNING: 4, WARN: 4, NOTICE: 5, INFO: 6, DEBUG: 7,
};

export interface SyslogHead {
  ts_utc_ms: number | null;
  quality: EventRow['ts_quality'];
  host: string | null;
  program: string | null;
  pid: number | null;
  message: string;
  severity: number | null;
}

interface YearPrescan {
  /** Number of year rollovers (month going down by more than 6) across the file. */
  rollovers: number;
  lastMonth: number;
  lastDay: number;
}

/** Month number of a line starting `Mmm dd hh:` (after an optional `<PRI>`), else 0. */
function monthAt(text: string): { m: number; at: number } {
  let at = 0;
  if (text.charCodeAt(0) === 60 /* < */) {
    at = text.indexOf('>');
    if (at < 0 || at > 4) return { m: 0, at: 0 };
    at++;
  }
  if (text.charCodeAt(at + 3) !== 32) return { m: 0, at };
  return { m: MONTHS[text.slice(at, at + 3)] ?? 0, at };
}

export function yearPrescan(): Prescan {
  let prev = 0;
  let rollovers = 0;
  let lastMonth = 0;
  let lastDay = 0;
  return {
    observe(u: Unit) {
      const { m, at } = monthAt(u.text);
      if (!m) return;
      const d = Number(u.text.slice(at + 4, at + 6).trim());
      if (!(d >= 1 && d <= 31)) return;
      if (prev && m < prev && prev - m > 6) rollovers++;
      prev = m;
      lastMonth = m;
      lastDay = d;
    },
    result(): YearPrescan {
      return { rollovers, lastMonth, lastDay };
    },
  };
}

/**
 * Year of the first yearless line (formats.md §5.4): the last line is at or before the reference
 * instant, so its year is the reference's unless its month/day would fall after the reference
 * (then the year before); each Dec→Jan rollover in the file takes the first line one year back.
 */
export function firstYear(ctx: Pick<ParseContext, 'yearRef' | 'prescan'>): { year: number; method: string } | null {
  const pre = ctx.prescan as YearPrescan | null;
  if (!ctx.yearRef) return null;
  const ref = civilFromMs(ctx.yearRef.utc_ms);
  let lastYear = ref.y;
  // Two days of slack: the reference is UTC, the lines are local time.
  if (pre && pre.lastMonth && civilToMs(ref.y, pre.lastMonth, pre.lastDay, 0, 0, 0) > ctx.yearRef.utc_ms + 2 * 86400000) lastYear--;
  const rollovers = pre ? pre.rollovers : 0;
  const year = lastYear - rollovers;
  return {
    year,
    method:
      `year ${year} for the first line, from ${ctx.yearRef.method} (${isoUtc(ctx.yearRef.utc_ms)})` +
      (lastYear !== ref.y ? `, last line ${pre!.lastMonth}/${pre!.lastDay} falls after it so the year before` : '') +
      (rollovers ? `, ${rollovers} Dec→Jan rollover(s) in the file` : ''),
  };
}

/** rsyslog's control-character escapes (`#012`) made visible without putting a newline in the message. */
export function decodeRsyslogEscapes(s: string): string {
  if (s.indexOf('#') < 0) return s;
  return s.replace(ESCAPE, (all, oct: string) => {
    const c = parseInt(oct, 8);
    if (c === 10) return '\\n';
    if (c === 9) return '\t';
    if (c === 13) return '\\r';
    if (c < 32 || c === 127) return `\\x${c.toString(16).padStart(2, '0')}`;
    return all;
  });
}

export function parseRfc3339Token(tok: string): { ms: number; off: number } | null {
  const m = RFC3339_TOKEN.exec(tok);
  if (!m) return null;
  return rfc3339Parts(m, 1);
}

/** Two ASCII digits at `i` as a number, else -1. */
function two(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * The RFC3339 regex's match, read by character codes (the stamp of every line of a busy rsyslog
 * file): `{ ms, off, rest }` exactly as `rfc3339Parts(RFC3339.exec(text))` and `m[9]` give, or
 * undefined when the line is not in the common form (then the regex decides).
 */
export function fastRfc3339(text: string): { ms: number; off: number; rest: string } | null | undefined {
  if (text.length < 21 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return undefined;
  const sep = text.charCodeAt(10);
  if (sep !== 84 /* T */ && sep !== 32) return undefined;
  const y1 = two(text, 0);
  const y2 = two(text, 2);
  const mo = two(text, 5);
  const d = two(text, 8);
  const h = two(text, 11);
  const mi = two(text, 14);
  const s = two(text, 17);
  if (y1 < 0 || y2 < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0) return undefined;
  let i = 19;
  let frac = 0;
  let c = text.charCodeAt(i);
  if (c === 46 /* . */ || c === 44 /* , */) {
    let n = 0;
    i++;
    while (n < 10 && (c = text.charCodeAt(i) - 48) >= 0 && c <= 9) {
      if (n < 3) frac = frac * 10 + c;
      n++;
      i++;
    }
    if (n === 0 || n > 9) return undefined;
    if (n < 3) frac *= n === 1 ? 100 : 10;
  }
  let off = 0;
  c = text.charCodeAt(i);
  if (c === 90 /* Z */) i++;
  else if (c === 43 || c === 45) {
    const oh = two(text, i + 1);
    const colon = text.charCodeAt(i + 3) === 58 ? 1 : 0;
    const om = two(text, i + 3 + colon);
    if (oh < 0 || om < 0) return undefined;
    off = (c === 45 ? -1 : 1) * (oh * 60 + om);
    i += 5 + colon;
  } else return undefined;
  c = text.charCodeAt(i);
  if (c !== 32 && c !== 9) return undefined;
  while ((c = text.charCodeAt(i)) === 32 || c === 9) i++;
  // The regex's `(.*)$` takes no line terminator; such lines, and other spaces, are left to it.
  if (c === 11 || c === 12 || c === 160 || c > 0x1000 || i >= text.length) return undefined;
  const rest = text.slice(i);
  if (rest.includes('\r') || rest.includes('\u2028') || rest.includes('\u2029')) return undefined;
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return null;
  return { ms: civilToMs(y1 * 100 + y2, mo, d, h, mi, s, frac) - off * 60000, off, rest };
}

/** A line's RFC 3339 stamp by the regex: the instant, the offset the host wrote, and the rest of the line. */
export function parseRfc3339Line(text: string): { ms: number; off: number; rest: string } | null {
  const m = RFC3339.exec(text);
  if (!m) return null;
  const t = rfc3339Parts(m, 1);
  return t ? { ms: t.ms, off: t.off, rest: m[9]! } : null;
}

function rfc3339Parts(m: RegExpExecArray, i: number): { ms: number; off: number } | null {
  const mo = +m[i + 1];
  const d = +m[i + 2];
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return null;
  let ms = civilToMs(+m[i], mo, d, +m[i + 3], +m[i + 4], +m[i + 5], m[i + 6] ? Number(m[i + 6].padEnd(3, '0').slice(0, 3)) : 0);
  let off = 0;
  const z = m[i + 7];
  if (z !== 'Z') {
    const sign = z.charCodeAt(0) === 45 ? -1 : 1;
    const digits = z.length === 6 ? z.slice(1, 3) + z.slice(4, 6) : z.slice(1);
    off = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
    ms -= off * 60000;
  }
  return { ms, off };
}

export class SyslogParser implements UnitParser {
  protected year: number;
  private prevMonth = 0;
  protected readonly zone: ZoneConverter | null;
  private readonly yearMethod: string;
  private sawYearless = false;
  private readonly offsets = new Map<string, { host: string | null; off: number; first: number; last: number; n: number }>();
  private bootIndex = 0;
  private lastUptime = -1;
  private linesInBoot = 0;
  private last: SyslogHead | null = null;
  private markers = 0;

  constructor(protected readonly ctx: ParseContext) {
    const fy = firstYear(ctx);
    this.year = fy ? fy.year : 1970;
    this.yearMethod = fy ? fy.method : 'no reference time: year unknown, 1970 used';
    this.zone = ctx.tz ? new ZoneConverter(ctx.tz) : null;
  }

  parse(unit: Unit, out: ParseOutput): void {
    const text = unit.text;
    const c0 = text.charCodeAt(0);
    if (c0 === 45 /* - */ && text.charCodeAt(1) === 45 && JOURNAL_MARKER.test(text)) {
      this.markers++;
      // A boot separator: the next kernel lines belong to another boot even if uptimes look continuous.
      if (/^-- (Boot|Reboot)/.test(text)) this.newBoot();
      out.skip('journalctl marker line', true); // its header and boot separators: expected, not damage
      return;
    }
    if (!text.trim()) {
      out.skip('empty line', true);
      return;
    }
    const head = c0 === 32 || c0 === 9 ? null : this.parseHead(text);
    if (!head) {
      // Continuation of a multi-line message (or a line whose stamp is broken): keep it, with the
      // time of the line before, and say so.
      const prev = this.last;
      out.event({
        ts_utc_ms: prev ? prev.ts_utc_ms : null,
        ts_quality: prev ? prev.quality : 'unknown',
        host: prev ? prev.host : null,
        program: prev ? prev.program : null,
        pid: prev ? prev.pid : null,
        message: text,
      });
      out.warn(
        c0 === 32 || c0 === 9
          ? 'continuation line (no timestamp): stored with the time of the line before'
          : prev
            ? 'line does not start with a syslog timestamp: stored with the time of the line before'
            : 'line does not start with a syslog timestamp: stored without a time',
      );
      return;
    }
    this.last = head;
    const row: EventRow = {
      ts_utc_ms: head.ts_utc_ms,
      ts_quality: head.quality,
      host: head.host,
      program: head.program,
      pid: head.pid,
      message: head.message,
      severity: head.severity,
    };
    if (head.program === 'kernel') this.kernelStamp(row, out);
    out.event(row);
    const rep = row.message.charCodeAt(0) === 109 /* m */ ? REPEATED.exec(row.message) : null;
    extractMessageFacts(rep ? { ...row, message: rep[2] } : row, out);
  }

  private newBoot(): void {
    if (this.linesInBoot > 0) {
      this.bootIndex++;
      this.linesInBoot = 0;
      this.lastUptime = -1;
    }
  }

  /** Kernel lines: split the printk uptime off the message and record a boot anchor. */
  private kernelStamp(row: EventRow, out: ParseOutput): void {
    const m = KERNEL_UPTIME.exec(row.message);
    if (!m) return;
    const frac = m[3];
    const uptime = Number(m[2]) + Number(frac) / 10 ** frac.length;
    const msg = m[5];
    // A new boot: uptime going backwards, or the banner printed at uptime 0 after other lines.
    if (uptime + 1 < this.lastUptime || (uptime < 1 && this.lastUptime >= 1 && msg.startsWith('Linux version '))) this.newBoot();
    this.lastUptime = uptime;
    this.linesInBoot++;
    row.uptime_s = uptime;
    row.boot_key = `b${this.bootIndex}`;
    row.message = msg;
    if (m[1] !== undefined && row.severity == null) row.severity = Number(m[1]);
    if (row.ts_utc_ms !== null) {
      out.fact('boot_anchors', {
        host: row.host,
        boot_key: row.boot_key,
        uptime_s: uptime,
        ts_utc_ms: row.ts_utc_ms,
        kind: row.ts_quality === 'exact' ? 'syslog-kernel' : 'syslog-kernel-local',
        text_key: kernelTextKey(uptime, msg),
      });
    }
  }

  parseHead(text: string): SyslogHead | null {
    const c0 = text.charCodeAt(0);
    if (c0 >= 48 && c0 <= 57) {
      const fast = fastRfc3339(text);
      const t = fast === undefined ? parseRfc3339Line(text) : fast;
      if (!t) return null;
      const rest = this.splitRest(t.rest);
      this.noteOffset(rest.host, t.off, t.ms);
      return { ts_utc_ms: t.ms, quality: 'exact', ...rest };
    }
    if (c0 === 60 /* < */ && text.charCodeAt(text.indexOf('>') + 1) === 49 /* 1 */) {
      const r = this.parse5424(text);
      if (r) return r;
    }
    const m = RFC3164.exec(text);
    if (!m) return null;
    const mon = MONTHS[m[2]];
    const day = Number(m[3]);
    if (!mon || !(day >= 1 && day <= 31)) return null;
    if (this.prevMonth && mon < this.prevMonth && this.prevMonth - mon > 6) this.year++;
    this.prevMonth = mon;
    this.sawYearless = true;
    const local = civilToMs(this.year, mon, day, +m[4], +m[5], +m[6], m[7] ? Number(m[7].padEnd(3, '0').slice(0, 3)) : 0);
    const rest = this.splitRest(m[8]);
    if (m[1] !== undefined) rest.severity = Number(m[1]) & 7;
    return { ts_utc_ms: this.localToUtc(local), quality: this.zone ? 'year_inferred' : 'local_assumed', ...rest };
  }

  protected localToUtc(local: number): number {
    if (this.zone) return this.zone.toUtc(local);
    return local - (this.ctx.assumedOffset ? offsetForLocal(this.ctx.assumedOffset, local) : 0) * 60000;
  }

  private parse5424(text: string): SyslogHead | null {
    const m = RFC5424.exec(text);
    if (!m) return null;
    const pri = Number(m[1]);
    let ts: number | null = null;
    if (m[2] !== '-') {
      const t = parseRfc3339Token(m[2]);
      if (!t) return null;
      ts = t.ms;
      this.noteOffset(m[3] === '-' ? null : m[3], t.off, t.ms);
    }
    // STRUCTURED-DATA: '-' or one or more [id k="v"] elements; ']' and '"' may be escaped inside values.
    let rest = m[7];
    let i = 0;
    if (rest.charCodeAt(0) === 45) i = 1;
    else {
      while (rest.charCodeAt(i) === 91 /* [ */) {
        let q = false;
        i++;
        for (; i < rest.length; i++) {
          const c = rest.charCodeAt(i);
          if (c === 92 /* \ */) i++;
          else if (c === 34) q = !q;
          else if (c === 93 && !q) break;
        }
        i++;
      }
    }
    const sd = rest.slice(0, i);
    rest = rest.slice(i).replace(/^\s+/, '').replace(/^\uFEFF/, '');
    const msg = decodeRsyslogEscapes(rest);
    return {
      ts_utc_ms: ts,
      quality: ts === null ? 'unknown' : 'exact',
      host: m[3] === '-' ? null : m[3],
      program: m[4] === '-' ? null : m[4],
      pid: /^\d+$/.test(m[5]) ? Number(m[5]) : null,
      message: msg || (sd !== '-' ? sd : ''),
      severity: pri & 7,
    };
  }

  /** `host tag: msg`, `tag: msg` (no hostname) or `host msg` (no tag). */
  protected splitRest(rest: string): Omit<SyslogHead, 'ts_utc_ms' | 'quality'> {
    const sp = rest.indexOf(' ');
    const first = sp < 0 ? rest : rest.slice(0, sp);
    let host: string | null = null;
    let severity: number | null = null;
    let body = rest;
    // `--- last message repeated 5 times ---` (old syslogd) has neither host nor tag.
    if (first === '---') return { host: null, program: null, pid: null, message: rest, severity: null };
    if (first.charCodeAt(first.length - 1) !== 58 /* : */) {
      // The first token is the hostname (or ChromeOS's severity word).
      const sev = SEVERITY_WORDS[first];
      if (sev !== undefined) severity = sev;
      else host = first;
      body = sp < 0 ? '' : rest.slice(sp + 1);
    }
    const t = TAG.exec(body);
    if (t) return { host, program: t[1], pid: t[2] ? Number(t[2]) : null, message: decodeRsyslogEscapes(t[3]), severity };
    return { host, program: null, pid: null, message: decodeRsyslogEscapes(body), severity };
  }

  protected noteOffset(host: string | null, off: number, ms: number): void {
    const key = `${host}|${off}`;
    const o = this.offsets.get(key);
    if (o) {
      if (ms < o.first) o.first = ms;
      if (ms > o.last) o.last = ms;
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

/** Key joining the same kernel line across sources (kern.log, syslog, dmesg): uptime in µs + text. */
export function kernelTextKey(uptime_s: number, message: string): string {
  return `${Math.round(uptime_s * 1e6)}|${message.slice(0, 120)}`;
}

/** loghub Thunderbird lines: the epoch column gives the instant; the syslog part follows. */
class ThunderbirdParser extends SyslogParser {
  override parseHead(text: string): SyslogHead | null {
    const m = THUNDERBIRD.exec(text);
    if (!m) return null;
    const ms = Number(m[2]) * 1000;
    const rest = this.splitRest(m[12]);
    const host = m[6];
    // The syslog part is local time: its distance to the epoch is the host's offset.
    const mon = MONTHS[m[7]];
    if (mon) {
      let y = Number(m[3]);
      if (mon === 12 && Number(m[4]) === 1) y--;
      else if (mon === 1 && Number(m[4]) === 12) y++;
      const local = civilToMs(y, mon, Number(m[8]), +m[9], +m[10], +m[11]);
      const off = Math.round((local - ms) / 900000) * 15;
      if (Math.abs(off) <= 14 * 60) this.noteOffset(host, off, ms);
    }
    return { ...rest, host, ts_utc_ms: ms, quality: 'exact' };
  }
}

const HEAD_LINES = 20;

function probeLines(probe: Probe): string[] {
  return probe.head.toString('utf8').split('\n').slice(0, HEAD_LINES).filter((l) => l.trim());
}

function share(lines: string[], re: RegExp): number {
  if (!lines.length) return 0;
  let hits = 0;
  for (const l of lines) if (re.test(l)) hits++;
  return hits / lines.length;
}

const DETECT_3339 = /^(?:<\d{1,3}>1 )?\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d) \S/;
/** Not `Mmm dd hh:mm:ss : user : …` (sudo's own log file, another module's). */
const DETECT_3164 = /^(?:<\d{1,3}>)?[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)?:? (?!: )\S/;
const DETECT_TBIRD = /^\S+ \d{9,11} \d{4}\.\d\d\.\d\d \S+ [A-Z][a-z]{2} {1,2}\d{1,2} \d\d:\d\d:\d\d /;

export const syslog: FormatModule = {
  name: 'syslog',
  description: 'syslog text with RFC 3339 timestamps (rsyslog FileFormat, journalctl short-iso) or RFC 5424 lines',
  unit: 'line',
  order: 5,
  detect(probe) {
    return share(probeLines(probe), DETECT_3339) >= 0.5 ? 50 : 0;
  },
  prescan: () => yearPrescan(),
  // RFC 3339 lines carry their year; only a file that also holds yearless lines needs the months.
  needsPrescan: (probe) => share(probeLines(probe), DETECT_3164) > 0,
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
        boot_key: 'b0',
        message: 'cgroup: fork rejected by pids controller in /lab-pids',
      },
      facts: [{ table: 'boot_anchors', row: { boot_key: 'b0', uptime_s: 2592.661349, ts_utc_ms: Date.UTC(2026, 10, 21, 21, 49, 13, 222) } }],
    },
    {
      input: '2023-12-15T05:14:46.770311+0000 huggy systemd[1]: Started Session 3 of User root.',
      note: 'journalctl -o short-iso-precise: offset without colon',
      event: { ts_utc_ms: Date.UTC(2023, 11, 15, 5, 14, 46, 770), ts_quality: 'exact', host: 'huggy', program: 'systemd', pid: 1 },
    },
    {
      input: '<34>1 2026-10-07T16:04:22Z server app 123 ID1 - timeout',
      note: 'RFC 5424',
      event: { ts_utc_ms: Date.UTC(2026, 9, 7, 16, 4, 22), ts_quality: 'exact', host: 'server', program: 'app', pid: 123, severity: 2, message: 'timeout' },
    },
  ],
};

export const syslogTraditional: FormatModule = {
  name: 'syslog-traditional',
  description: 'syslog text with RFC 3164 timestamps (local time, no year: RHEL, Debian ≤ 11, Ubuntu ≤ 22.04)',
  unit: 'line',
  order: 7,
  detect(probe) {
    return share(probeLines(probe), DETECT_3164) >= 0.5 ? 50 : 0;
  },
  prescan: () => yearPrescan(),
  createParser: (ctx) => new SyslogParser(ctx),
  samples: [
    {
      input: 'Nov 21 16:49:12 vm sshd[16520]: Connection closed by authenticating user root 127.0.0.1 port 33962 [preauth]',
      context: { tz: 'America/New_York', yearRef: { utc_ms: Date.UTC(2026, 10, 22), method: 'test' } },
      event: { ts_utc_ms: Date.UTC(2026, 10, 21, 21, 49, 12), ts_quality: 'year_inferred', host: 'vm', program: 'sshd', pid: 16520 },
    },
    {
      input: 'Nov  1 09:31:30 prog[42]: no hostname here',
      note: 'no hostname: the token after the time ends with ":"',
      context: { yearRef: { utc_ms: Date.UTC(2026, 10, 22), method: 'test' } },
      event: { ts_utc_ms: Date.UTC(2026, 10, 1, 9, 31, 30), ts_quality: 'local_assumed', host: null, program: 'prog', pid: 42 },
    },
  ],
};

export const journalctlShort: FormatModule = {
  name: 'journalctl-short',
  description: 'journalctl -o short text export (RFC 3164-like local times, "-- Logs begin at" / "-- Boot" markers)',
  unit: 'line',
  order: 7,
  detect(probe) {
    const lines = probeLines(probe);
    if (!lines.length || !JOURNAL_MARKER.test(lines[0])) return 0;
    return share(lines.slice(1), DETECT_3164) >= 0.5 || lines.length === 1 ? 60 : 0;
  },
  prescan: () => yearPrescan(),
  createParser: (ctx) => new SyslogParser(ctx),
  samples: [
    { input: '-- Journal begins at Sat 2021-05-08 00:49:10 CEST, ends at Sun 2021-05-09 02:17:15 CEST. --', skipped: true },
    {
      input: 'May 08 00:49:10 stephen kernel: Linux version 5.11.0-16-generic (buildd@lgw01-amd64-035)',
      context: { tz: 'Europe/Berlin', yearRef: { utc_ms: Date.UTC(2021, 4, 9), method: 'test' } },
      event: { ts_utc_ms: Date.UTC(2021, 4, 7, 22, 49, 10), ts_quality: 'year_inferred', host: 'stephen', program: 'kernel' },
    },
  ],
};

export const thunderbird: FormatModule = {
  name: 'syslog-thunderbird',
  description: 'loghub Thunderbird syslog (alert tag, epoch seconds, date, node, then the syslog line)',
  unit: 'line',
  order: 0,
  detect(probe) {
    return share(probeLines(probe), DETECT_TBIRD) >= 0.5 ? 60 : 0;
  },
  createParser: (ctx) => new ThunderbirdParser(ctx),
  samples: [
    {
      input: '- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond(pam_unix)[2915]: session closed for user root',
      event: { ts_utc_ms: 1131566461000, ts_quality: 'exact', host: 'dn228', program: 'crond(pam_unix)', pid: 2915, message: 'session closed for user root' },
      facts: [{ table: 'tz_offsets', row: { host: 'dn228', offset_min: -480 } }],
    },
  ],
};
