// Kernel ring buffer dumps: dmesg(1) output and /dev/kmsg records.
//
//   [  353.660623] parser-daemon[16480]: segfault at 0 ip 0000564ddc58336e sp 00007ffc29ee3220 error 6
//   <6>[    4.591020][    T1] systemd[1]: Detected virtualization kvm.          (dmesg -r, CONFIG_PRINTK_CALLER)
//   [Mon Jun 20 09:18:02 2016] systemd-network[19241]: segfault at 89 ip …       (dmesg -T)
//   2026-11-21T21:06:00,000000+00:00 Linux version 6.18.44 …                    (dmesg --time-format iso)
//   5,0,0,-;Linux version 6.18.44-fc-v657 (builder@build-host) …                (/dev/kmsg, one record)
//    SUBSYSTEM=pci                                                               (kmsg dictionary line)
//       [76578.062335] Mem-Info:                                                   (pasted into a mail:
//       ...                                                                          indent, elision marker)
//
// Fields: printk time `[%5lu.%06lu]` = seconds since boot (local_clock(), stops during suspend);
// optional caller `[%6s]` (T = task id, C = CPU in interrupt context); `<prio>` from dmesg -r
// (facility<<3 | level). dmesg -T prints strftime("%a %b %e %H:%M:%S %Y") of boot time + uptime
// computed when dmesg ran, in the collecting machine's zone: right only if the clock was never
// stepped and the host never suspended since boot. /dev/kmsg: `prio,seq,usec,flag[,caller=T1];text`
// with bytes < 0x20, >= 0x7f and '\' written as \xNN. Sources: kernel/printk/printk.c (print_time,
// info_print_ext_header, msg_add_ext_text), util-linux sys-utils/dmesg.c; ../shared/formats.md §2.6.
//
// Reports pasted into mails keep their stamps but gain an indent and `...` where the writer cut
// lines: the stamp is read after any leading whitespace (the raw line keeps it), unstamped lines
// indented deeper than the stamps are continuation lines, and elision markers are kept as events
// with the stamps of the line before and a warning (never read for facts, never joined to a line).
//
// Time: uptime-only lines are stored with ts_utc_ms null and get UTC in the uptime-anchor post
// pass (src/time/anchor.ts). dmesg -T lines are local wall times: with --tz they are converted in
// that zone ('year_inferred': the zone is the user's word); without, the host's own RFC 3339
// offsets or UTC ('local_assumed'), said in time_notes.
import type { EventRow, FormatModule, ParseContext, ParseOutput, Probe, Unit, UnitParser } from './types.js';
import { MONTHS, ZoneConverter, civilToMs } from '../time/civil.js';
import { formatOffset, offsetForLocal } from '../time/zone-inference.js';
import { extractMessageFacts } from './messages/index.js';
import { kernelTextKey } from './syslog.js';
import { ELISION } from './kernel-text.js';

const UPTIME_LINE = /^(?:<(\d{1,3})>)?\[\s*(\d+)\.(\d{1,9})\](?:\[\s*([TC]\d+)\])? ?(.*)$/;
const CTIME_LINE = /^(?:<(\d{1,3})>)?\[(?:[A-Z][a-z]{2}) ([A-Z][a-z]{2}) ([ \d]\d) (\d\d):(\d\d):(\d\d) (\d{4})\](?:\[\s*([TC]\d+)\])? ?(.*)$/;
const ISO_LINE = /^(?:<(\d{1,3})>)?(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d),(\d{6})([+-]\d\d):?(\d\d)(?:\[\s*([TC]\d+)\])? ?(.*)$/;
/** Cheap check that a line opens with a dmesg stamp (full parsing follows). */
const STAMP_START = /^(?:<\d{1,3}>)?\[(?:\s*\d+\.\d|[A-Z][a-z]{2} )|^\d{4}-\d\d-\d\dT/;
const KMSG_LINE = /^(\d{1,4}),(\d+),(\d+),([^,;]*)((?:,[^;]*)?);(.*)$/;
const TAG = /^([^\s:\[]+)\[(\d+)\]: /;
const HEX_ESCAPE = /\\x([0-9a-fA-F]{2})/g;

class BootTracker {
  index = 0;
  private lastUptime = -1;
  private lines = 0;
  /** Boot key for a line at `uptime` with `message`; a new boot when uptime goes back or the banner reappears. */
  /** A boot separator the caller saw itself (kmsg sequence restarting). */
  newBoot(): void {
    if (this.lines > 0) {
      this.index++;
      this.lines = 0;
      this.lastUptime = -1;
    }
  }

  keyFor(uptime: number, message: string): string {
    if (this.lines > 0 && (uptime + 1 < this.lastUptime || (uptime < 1 && this.lastUptime >= 1 && message.startsWith('Linux version ')))) {
      this.index++;
      this.lines = 0;
    }
    this.lastUptime = uptime;
    this.lines++;
    return `b${this.index}`;
  }
}

function uptimeOf(secs: string, frac: string): number {
  return Number(secs) + Number(frac) / 10 ** frac.length;
}

/**
 * Who wrote a ring-buffer message. Facility 0 is the kernel, even when the text starts with the
 * task it talks about (`parser-daemon[16480]: segfault …`). Other facilities are user space writing
 * to /dev/kmsg (`systemd[1]: …`); without a `<prio>` the writer cannot be told, so: the kernel.
 */
function programOf(message: string, prio: number | null): { program: string; pid: number | null } {
  if (prio === null || prio >> 3 === 0) return { program: 'kernel', pid: null };
  const t = TAG.exec(message);
  if (t) return { program: t[1], pid: Number(t[2]) };
  return { program: 'kernel', pid: null };
}

class DmesgParser implements UnitParser {
  private readonly boots = new BootTracker();
  private readonly zone: ZoneConverter | null;
  private sawCtime = false;
  private sawUptime = false;
  private last: EventRow | null = null;

  constructor(private readonly ctx: ParseContext) {
    this.zone = ctx.tz ? new ZoneConverter(ctx.tz) : null;
  }

  parse(unit: Unit, out: ParseOutput): void {
    const full = unit.text;
    if (!full.trim()) {
      out.skip('empty line', true);
      return;
    }
    // Reports pasted into mails are indented as a whole: the stamp decides, not column 0.
    const f0 = full.charCodeAt(0);
    const text = f0 === 32 || f0 === 9 ? full.trimStart() : full;
    const c0 = text.charCodeAt(0);
    const stamped = (c0 === 91 || c0 === 60 || (c0 >= 48 && c0 <= 57)) && STAMP_START.test(text);
    if (!stamped && ELISION.test(text.trimEnd())) {
      // The writer cut lines here: kept in place, with the stamps of the line before (the cut
      // lines lie after it), not read for facts and never joined to a neighbour.
      const p = this.last;
      out.event(p ? { ...p, message: text.trimEnd() } : { ts_utc_ms: null, ts_quality: 'unknown', host: null, program: 'kernel', pid: null, message: text.trimEnd() });
      out.warn('elision marker: the writer cut lines out of the log here');
      return;
    }
    if (text !== full && this.last && !stamped) {
      // dmesg indents the further lines of a message that held a newline: same record.
      const p = this.last;
      out.event({ ...p, message: text.trimEnd() });
      return;
    }
    let m: RegExpExecArray | null;
    if ((c0 === 91 || c0 === 60) && (m = UPTIME_LINE.exec(text))) {
      const uptime = uptimeOf(m[2], m[3]);
      const message = m[5];
      this.sawUptime = true;
      this.emit(out, { ts_utc_ms: null, ts_quality: 'unknown', uptime_s: uptime, boot_key: this.boots.keyFor(uptime, message), message }, m[1]);
      return;
    }
    if ((c0 === 91 || c0 === 60) && (m = CTIME_LINE.exec(text))) {
      const mon = MONTHS[m[2]];
      const day = Number(m[3]);
      if (mon && day >= 1 && day <= 31) {
        const local = civilToMs(+m[7], mon, day, +m[4], +m[5], +m[6]);
        this.sawCtime = true;
        this.emit(out, { ts_utc_ms: this.localToUtc(local), ts_quality: this.zone ? 'year_inferred' : 'local_assumed', message: m[9] }, m[1]);
        return;
      }
    }
    if (c0 >= 48 && c0 <= 57 && (m = ISO_LINE.exec(text))) {
      const off = (m[9].charCodeAt(0) === 45 ? -1 : 1) * (Math.abs(Number(m[9])) * 60 + Number(m[10]));
      const ms = civilToMs(+m[2], +m[3], +m[4], +m[5], +m[6], +m[7], Math.floor(Number(m[8]) / 1000)) - off * 60000;
      // The offset is the collecting machine's, and the instant is btime-derived (see header): not 'exact'.
      this.emit(out, { ts_utc_ms: ms, ts_quality: 'local_assumed', message: m[12] }, m[1]);
      return;
    }
    if (this.last) {
      // A line without a stamp after a stamped one: a message cut by a mail client or terminal.
      // Stored with the previous line's stamps; its facts are read from the two lines joined.
      const row: EventRow = { ...this.last, message: text };
      out.event(row);
      out.warn('line without a dmesg stamp (wrapped?): stored with the stamps of the line before');
      extractMessageFacts({ ...row, message: `${this.last.message} ${text.trim()}` }, out);
      return;
    }
    out.event({ ts_utc_ms: null, ts_quality: 'unknown', host: null, program: null, pid: null, message: text });
    out.warn('line is not a dmesg line (no [uptime] or [ctime] stamp): stored without a time');
  }

  private localToUtc(local: number): number {
    if (this.zone) return this.zone.toUtc(local);
    return local - (this.ctx.assumedOffset ? offsetForLocal(this.ctx.assumedOffset, local) : 0) * 60000;
  }

  private emit(out: ParseOutput, r: Pick<EventRow, 'ts_utc_ms' | 'ts_quality' | 'message'> & Partial<EventRow>, prio: string | undefined): void {
    const p = prio !== undefined ? Number(prio) : null;
    const who = programOf(r.message, p);
    const row: EventRow = {
      host: null,
      program: who.program,
      pid: who.pid,
      severity: p !== null ? p & 7 : null,
      ...r,
    };
    this.last = row;
    out.event(row);
    extractMessageFacts(row, out);
  }

  timeNotes(): string | null {
    const notes: string[] = [];
    if (this.sawUptime) notes.push('uptime-only lines: UTC from the uptime-anchor pass (see boots), null until anchored');
    if (this.sawCtime) {
      notes.push(
        (this.zone
          ? `dmesg -T local times read in ${this.zone.name} (--tz)`
          : this.ctx.assumedOffset
            ? `dmesg -T local times: ${this.ctx.assumedOffset.why}`
            : `dmesg -T local times assumed UTC${formatOffset(0)}: no --tz and no offset in the evidence`) +
          '; dmesg -T derives them from btime, wrong by any clock step or suspend since boot',
      );
    }
    return notes.length ? notes.join('; ') : null;
  }
}

/** Decodes kmsg's \xNN escapes (bytes, so multi-byte UTF-8 comes back whole). */
export function decodeKmsgText(s: string): string {
  if (s.indexOf('\\x') < 0) return s;
  let last = 0;
  const parts: Buffer[] = [];
  s.replace(HEX_ESCAPE, (all, hex: string, at: number) => {
    parts.push(Buffer.from(s.slice(last, at), 'utf8'));
    parts.push(Buffer.from([parseInt(hex, 16)]));
    last = at + all.length;
    return all;
  });
  parts.push(Buffer.from(s.slice(last), 'utf8'));
  // Control characters stay visible as escapes; the rest (UTF-8 bytes, '\') is decoded.
  return Buffer.concat(parts)
    .toString('utf8')
    .replace(/[\x00-\x08\x0a-\x1f\x7f]/g, (c) => (c === '\n' ? '\\n' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

class KmsgParser implements UnitParser {
  private readonly boots = new BootTracker();
  private lastSeq = -1;
  private last: EventRow | null = null;

  parse(unit: Unit, out: ParseOutput): void {
    const text = unit.text;
    if (!text.trim()) {
      out.skip('empty line', true);
      return;
    }
    if (text.charCodeAt(0) === 32) {
      // Dictionary line (` SUBSYSTEM=pci`, ` DEVICE=+pci:0000:00:01.0`) of the record above.
      const p = this.last;
      out.event({
        ts_utc_ms: null,
        ts_quality: 'unknown',
        host: null,
        program: p ? p.program : 'kernel',
        pid: p ? p.pid : null,
        uptime_s: p ? p.uptime_s : null,
        boot_key: p ? p.boot_key : null,
        message: decodeKmsgText(text.slice(1)),
      });
      return;
    }
    const m = KMSG_LINE.exec(text);
    if (!m) {
      out.event({ ts_utc_ms: null, ts_quality: 'unknown', host: null, program: null, pid: null, message: text });
      out.warn('line is not a /dev/kmsg record (prio,seq,usec,flag;text): stored without a time');
      return;
    }
    const prio = Number(m[1]);
    const seq = Number(m[2]);
    const uptime = Number(m[3]) / 1e6;
    const message = decodeKmsgText(m[6]);
    // Sequence numbers restart at 0 with each boot.
    if (this.lastSeq >= 0 && seq < this.lastSeq) this.boots.newBoot();
    this.lastSeq = seq;
    const boot_key = this.boots.keyFor(uptime, message);
    const who = programOf(message, prio);
    const row: EventRow = {
      ts_utc_ms: null,
      ts_quality: 'unknown',
      host: null,
      program: who.program,
      pid: who.pid,
      uptime_s: uptime,
      boot_key,
      severity: prio & 7,
      message,
    };
    this.last = row;
    out.event(row);
    extractMessageFacts(row, out);
  }

  timeNotes(): string {
    return 'uptime-only records: UTC from the uptime-anchor pass (see boots), null until anchored';
  }
}

const DETECT_DMESG = /^(?:<\d{1,3}>)?(?:\[\s*\d+\.\d+\]|\[[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}\]|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d,\d{6}[+-]\d\d:?\d\d )/;
const DETECT_KMSG = /^\d{1,4},\d+,\d+,[^,;]*(?:,[^;]*)?;/;

function probeLines(probe: Probe): string[] {
  return probe.head.toString('utf8').split('\n').slice(0, 20).filter((l) => l.trim());
}

function indentOf(line: string): number {
  let i = 0;
  while (i < line.length && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9)) i++;
  return i;
}

/**
 * Share of dmesg lines among the first lines, read through a paste's indent: elision markers and
 * lines indented deeper than the stamped ones (continuations of a multi-line message) do not count.
 */
function dmesgShare(probe: Probe): number {
  const lines = probeLines(probe);
  let stampIndent = Infinity;
  for (const l of lines) {
    const n = indentOf(l);
    if (DETECT_DMESG.test(n ? l.slice(n) : l)) stampIndent = Math.min(stampIndent, n);
  }
  if (stampIndent === Infinity) return 0;
  let counted = 0;
  let stamped = 0;
  for (const l of lines) {
    const n = indentOf(l);
    const t = l.slice(n).trimEnd();
    if (DETECT_DMESG.test(t)) stamped++;
    else if (n > stampIndent || ELISION.test(t)) continue;
    counted++;
  }
  return stamped / counted;
}

function share(lines: string[], re: RegExp): number {
  if (!lines.length) return 0;
  let n = 0;
  for (const l of lines) if (re.test(l)) n++;
  return n / lines.length;
}

export const dmesg: FormatModule = {
  name: 'dmesg',
  description: 'dmesg output: [uptime] lines (also dmesg -r <prio>, caller ids), dmesg -T [ctime] lines, --time-format iso',
  unit: 'line',
  order: 10,
  detect(probe) {
    return dmesgShare(probe) >= 0.5 ? 50 : 0;
  },
  createParser: (ctx) => new DmesgParser(ctx),
  samples: [
    {
      input: '[ 2585.590367] parser-daemon[16480]: segfault at 0 ip 0000564ddc58336e sp 00007ffc29ee3220 error 6 in parser-daemon[136e,564ddc582000+1000]',
      event: { ts_utc_ms: null, uptime_s: 2585.590367, boot_key: 'b0', program: 'kernel', pid: null },
    },
    {
      input: '<30>[    4.591020][    T1] systemd[1]: Detected virtualization kvm.',
      note: 'dmesg -r with caller id; facility 3 = user space writing to /dev/kmsg',
      event: { uptime_s: 4.59102, severity: 6, program: 'systemd', pid: 1, message: 'systemd[1]: Detected virtualization kvm.' },
    },
    {
      input: '[Thu Apr  1 16:45:10 2021] Out of memory: Killed process 123 (java)',
      note: 'dmesg -T, space-padded day',
      event: { ts_utc_ms: Date.UTC(2021, 3, 1, 16, 45, 10), ts_quality: 'local_assumed', program: 'kernel' },
    },
    {
      input: '    [76578.062539] Out of memory: Killed process 446171 (ioctl_sg01) total-vm:195955840kB, anon-rss:195941256kB, file-rss:1416kB, shmem-rss:0kB, UID:0 pgtables:383184kB oom_score_adj:0',
      note: 'LTP report pasted into a mail with a 4-space indent (lore.kernel.org/ltp)',
      event: { uptime_s: 76578.062539, boot_key: 'b0', program: 'kernel', message: 'Out of memory: Killed process 446171 (ioctl_sg01) total-vm:195955840kB, anon-rss:195941256kB, file-rss:1416kB, shmem-rss:0kB, UID:0 pgtables:383184kB oom_score_adj:0' },
    },
  ],
};

export const kmsg: FormatModule = {
  name: 'kmsg',
  description: '/dev/kmsg records (prio,seq,usec,flag;text with \\xNN escapes and KEY=value dictionary lines)',
  unit: 'line',
  order: 10,
  detect(probe) {
    return share(probeLines(probe).filter((l) => l.charCodeAt(0) !== 32), DETECT_KMSG) >= 0.5 ? 55 : 0;
  },
  createParser: () => new KmsgParser(),
  samples: [
    {
      input: '5,0,0,-;Linux version 6.18.44-fc-v657 (builder@build-host) (gcc (GCC) 15.3.0, GNU ld (GNU Binutils) 2.46) #1 SMP PREEMPT_DYNAMIC @0',
      event: { uptime_s: 0, boot_key: 'b0', severity: 5, program: 'kernel', ts_utc_ms: null },
    },
    {
      input: '3,1042,2585590367,-,caller=T16480;parser-daemon[16480]: segfault at 0 ip 0000564ddc58336e\\x0a',
      event: { uptime_s: 2585.590367, severity: 3, message: 'parser-daemon[16480]: segfault at 0 ip 0000564ddc58336e\\n' },
    },
  ],
};
