// Kernel messages without any timestamp: console captures, `dmesg -t`, and reports pasted into
// mails and bug trackers (often indented by the mail client or the writer).
//
//    leaker invoked oom-killer: gfp_mask=0x6200ca(GFP_HIGHUSER_MOVABLE), nodemask=(null), order=0, oom_score_adj=0
//    CPU: 0 PID: 2746 Comm: leaker Not tainted 4.18.0+ #19
//    Call Trace:
//     dump_stack+0x63/0x88
//    Killed process 2746 (leaker) total-vm:536704kB, anon-rss:521176kB, file-rss:1208kB, shmem-rss:0kB
//   (lore.kernel.org/cgroups, cbe54ed1-b6ba-a056-8899-2dc42526371d@i-love.sakura.ne.jp; 1-space mail indent)
//
// Fields: none beyond the printk text itself (formats.md §1, §2): no printk time, no syslog header,
// so nothing can be said about when. The text is what printk wrote; the kernel starts its own
// lines at column 0 and indents only inside a message (stack frames, Mem-Info continuations), so
// the indent shared by the file's recognisable kernel lines is the paste's, and is removed (the raw
// line is kept by the pipeline).
//
// Detection is deliberately weak (score 5): most lines of the probe must be kernel-shaped and carry
// several known kernel phrases (prose before the paste is fine), and any stamped format (dmesg,
// syslog) claims such files first.
import type { FormatModule, ParseContext, ParseOutput, Prescan, Probe, Unit, UnitParser } from './types.js';
import { extractMessageFacts } from './messages/index.js';

interface KernelPhrase {
  name: string;
  re: RegExp;
}

/** Phrases only the kernel prints (formats.md §1, §2), matched on the line without its indent. */
export const KERNEL_PHRASES: readonly KernelPhrase[] = [
  { name: 'oom header', re: /^\S.{0,40} invoked oom-killer: / },
  { name: 'killed process', re: /^(?:[A-Za-z ()_]+: )?Killed process \d+ / },
  { name: 'victim selection', re: /^(?:[A-Za-z ()_]+: )?Kill process \d+ \(.*\) score \d+/ },
  { name: 'oom summary', re: /^oom-kill:constraint=/ },
  { name: 'oom reaper', re: /^oom_reaper: reaped process \d+ / },
  { name: 'cpu line', re: /^CPU: \d+ (?:UID: \d+ )?PID: \d+ Comm: / },
  { name: 'old cpu line', re: /^Pid: \d+, comm: / },
  { name: 'hardware name', re: /^Hardware name: / },
  { name: 'call trace', re: /^Call Trace:/ },
  { name: 'mem info', re: /^Mem-Info:/ },
  { name: 'task table title', re: /^Tasks state \(memory values in pages\):/ },
  { name: 'task table head', re: /^\[\s*pid\s*\]\s+uid\s+tgid / },
  { name: 'cpuset line', re: /^\S.{0,40} cpuset=\S* mems_allowed=/ },
  { name: 'memcg limit', re: /^Task in \S+ killed as a result of limit of / },
  { name: 'memcg usage', re: /^(?:memory|memory\+swap|swap|kmem): usage \d+kB, limit \d+kB/ },
  { name: 'memcg stats', re: /^Memory cgroup stats for / },
  { name: 'segfault', re: / segfault at [0-9a-f]+ ip [0-9a-f]+ sp / },
  { name: 'trap', re: /^traps: \S+\[\d+\] / },
  { name: 'panic', re: /^Kernel panic - not syncing/ },
  { name: 'bug or warning', re: /^(?:BUG|WARNING|INFO): / },
  { name: 'modules', re: /^Modules linked in:/ },
  { name: 'hung task', re: /^INFO: task \S+:\d+ blocked for more than / },
  { name: 'banner', re: /^Linux version \d+\.\d+/ },
];

/** Lines that are not phrases but only appear inside kernel reports (stack, registers, memory dumps). */
const KERNEL_SHAPES: readonly RegExp[] = [
  /^(?:\[<[0-9a-f]+>\] )?(?:\? )?[\w.$]+\+0x[0-9a-f]+\/0x[0-9a-f]+/, // stack frame, 3.x `[<addr>]` form too
  /^<\/?(?:TASK|IRQ|NMI|EOI)>$/,
  /^(?:R[A-Z0-9]{1,3}|[CDEFGS]S|CR\d|EFLAGS): [0-9a-f]/, // register dump
  /^(?:RIP|Code): /,
  /^\[\s*\d+\]\s+-?\d+\s+\d+\s+\d+/, // task table row
  /^(?:Node \d+ )?(?:[A-Za-z_]+(?:\([a-z]+\))?:\d+(?:[kK]B)? ?){2,}/, // Mem-Info `key:value` runs
  /^Node \d+ /,
  /^lowmem_reserve\[\]:/,
  /^\d+ (?:total pagecache pages|pages )/,
  /^(?:Free|Total) swap /,
];

/** Marks where the writer cut lines out of the report. */
export const ELISION = /^(?:\.{3,}|…|\[\s*\.{3}\s*\]|\[\s*…\s*\]|<(?:snip|trim|cut)[^>]*>|\[(?:snip|trim|cut)[^\]]*\]|-+ ?(?:snip|cut) ?-+)$/i;

/** A leading stamp means another format (dmesg, syslog, journal) owns the line. */
const STAMPED = /^(?:<\d{1,3}>)?\[\s*\d+\.\d+\]|^\[[A-Z][a-z]{2} [A-Z][a-z]{2} |^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d |^\d{4}-\d\d-\d\d[T ]\d\d:\d\d/;

export function phraseOf(line: string): string | null {
  for (const p of KERNEL_PHRASES) if (p.re.test(line)) return p.name;
  return null;
}

function kernelShaped(line: string): boolean {
  return phraseOf(line) !== null || ELISION.test(line) || KERNEL_SHAPES.some((re) => re.test(line));
}

function indentOf(text: string): number {
  let i = 0;
  while (i < text.length && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
  return i;
}

/**
 * The whole probe is looked at, and most of its lines must look like kernel text: a bug report or
 * a mail often opens with a few lines of prose before the paste.
 */
const PROBE_LINES = 400;
const MIN_SHAPED_SHARE = 0.5;
const MIN_PHRASES = 2;
/** With more distinct kernel phrases, a larger share of prose around the paste is accepted. */
const MANY_PHRASES = 3;
const MIN_SHAPED_SHARE_MANY = 0.35;

export function kernelTextScore(probe: Probe): number {
  // A NUL or other control bytes: a binary file.
  if (probe.head.subarray(0, 4096).some((b) => b === 0)) return 0;
  const lines = probe.head
    .toString('utf8')
    .split('\n')
    .map((l) => l.replace(/\r$/, '').trim())
    .filter((l) => l)
    .slice(0, PROBE_LINES);
  if (lines.length < 2) return 0;
  let shaped = 0;
  let stamped = 0;
  const phrases = new Set<string>();
  for (const l of lines) {
    if (STAMPED.test(l)) stamped++;
    const p = phraseOf(l);
    if (p) phrases.add(p);
    if (p || kernelShaped(l)) shaped++;
  }
  if (stamped > 0) return 0;
  const share = shaped / lines.length;
  const ok = (phrases.size >= MIN_PHRASES && share >= MIN_SHAPED_SHARE) || (phrases.size >= MANY_PHRASES && share >= MIN_SHAPED_SHARE_MANY);
  return ok ? 5 : 0;
}

/** The paste's indent: the most common indent of the phrase lines (the kernel prints them at column 0). */
class IndentPrescan implements Prescan {
  private readonly counts = new Map<number, number>();
  observe(unit: Unit): void {
    const text = unit.text;
    const n = indentOf(text);
    if (n === text.length) return;
    if (phraseOf(n ? text.slice(n) : text)) this.counts.set(n, (this.counts.get(n) ?? 0) + 1);
  }
  result(): number {
    let best = 0;
    let bestCount = 0;
    for (const [n, c] of this.counts) if (c > bestCount || (c === bestCount && n < best)) [best, bestCount] = [n, c];
    return best;
  }
}

class KernelTextParser implements UnitParser {
  private readonly pasteIndent: number;
  private lines = 0;
  private elisions = 0;

  constructor(ctx: ParseContext) {
    this.pasteIndent = typeof ctx.prescan === 'number' ? ctx.prescan : 0;
  }

  parse(unit: Unit, out: ParseOutput): void {
    const raw = unit.text.replace(/\r$/, '');
    const indent = indentOf(raw);
    if (indent === raw.length) {
      out.skip('empty line', true);
      return;
    }
    // Lines less indented than the paste lose all of it; deeper ones keep the kernel's own indent.
    const message = raw.slice(Math.min(indent, this.pasteIndent)).replace(/\s+$/, '');
    const row = { ts_utc_ms: null, ts_quality: 'unknown' as const, host: null, program: 'kernel', pid: null, message };
    out.event(row);
    this.lines++;
    if (ELISION.test(message.trim())) {
      this.elisions++;
      out.warn('elision marker: the writer cut kernel lines out of the report here');
      return;
    }
    extractMessageFacts(row, out);
  }

  timeNotes(): string {
    return (
      `kernel messages without timestamps (console capture or pasted report${this.pasteIndent ? `, ${this.pasteIndent}-character paste indent removed` : ''}): ` +
      `no time known for ${this.lines} line(s)${this.elisions ? `; ${this.elisions} elision marker(s): lines were cut out` : ''}`
    );
  }
}

export const kernelText: FormatModule = {
  name: 'kernel-text',
  description: 'kernel messages without timestamps (console captures, dmesg -t, reports pasted into mails)',
  unit: 'line',
  order: 10,
  detect: kernelTextScore,
  prescan: () => new IndentPrescan(),
  createParser: (ctx) => new KernelTextParser(ctx),
  samples: [
    {
      input: ' leaker invoked oom-killer: gfp_mask=0x6200ca(GFP_HIGHUSER_MOVABLE), nodemask=(null), order=0, oom_score_adj=0',
      note: 'lore.kernel.org/cgroups report with a 1-space mail indent',
      event: {
        ts_utc_ms: null,
        ts_quality: 'unknown',
        program: 'kernel',
        pid: null,
        message: 'leaker invoked oom-killer: gfp_mask=0x6200ca(GFP_HIGHUSER_MOVABLE), nodemask=(null), order=0, oom_score_adj=0',
      },
    },
    {
      input: 'Call Trace:\n dump_stack+0x46/0x60',
      note: 'the kernel indents stack frames itself: that indent is kept',
      event: { program: 'kernel', message: ' dump_stack+0x46/0x60' },
    },
  ],
};
