// SUSE supportconfig text files (supportutils; `scc_HOST_YYMMDD_HHMM.txz` holds a directory of
// them: messages.txt, boot.txt, basic-environment.txt, …). Each file is a run of sections, a
// banner line, a line naming what follows, then its content as collected:
//
//   #==[ Log File ]=====================================#
//   # /var/log/messages - Last 5000 Lines
//   2026-12-01T16:40:07.123456-05:00 vm kernel: [ 4675.479873] upload-handler invoked oom-killer: …
//
//   #==[ Command ]======================================#
//   # /bin/ps axwwo user,pid,ppid,%cpu,%mem,vsz,rss,stat,time,cmd
//   USER       PID  PPID %CPU %MEM    VSZ   RSS STAT     TIME CMD
//
// (bin/supportconfig.rc: log_files writes "# PATH" or "# PATH - Last N Lines" after the banner,
// log_cmd "# COMMAND"; configuration sections are "#==[ Configuration File ]".) Log File sections
// and the outputs of ps, dmesg and journalctl are read by the format that claims their first line
// (syslog, dmesg, ps listings…), as if they were files of their own; every other section is
// configuration or command output, counted as expected non-records, never warned about.
// Yearless syslog lines take their year from the file's time (no prescan over one section).
import { detectBest, type FormatModule, type ParseContext, type ParseOutput, type Probe, type Unit, type UnitParser } from './types.js';

const BANNER = /^#==\[ ([^\]]+) \]=+#\s*$/;
/** Sections read as logs: a log file, or the output of a command that prints log-like lines. */
const LOG_COMMAND = /(?:^|\/)(?:ps|dmesg|journalctl)(?:\s|$)/;

/** The formats a section may be read by (set by the registry, which lists this module too). */
let innerFormats: readonly FormatModule[] = [];
export function setSupportconfigInnerFormats(list: readonly FormatModule[]): void {
  innerFormats = list.filter((f) => f.unit === 'line' && !f.readUnits && f.name !== 'supportconfig');
}

interface Section {
  kind: string;
  /** What the section's "# …" line names (a path or a command), null until read. */
  what: string | null;
  readable: boolean;
  parser: UnitParser | null;
  /** The section's content has begun (the first line chose, or not, a parser). */
  started: boolean;
}

class SupportconfigParser implements UnitParser {
  private section: Section | null = null;
  private readonly notes = new Set<string>();

  constructor(private readonly ctx: ParseContext) {}

  private close(out: ParseOutput): void {
    const p = this.section?.parser;
    if (!p) return;
    p.end?.(out);
    const n = p.timeNotes?.();
    if (n) this.notes.add(`${this.section!.what}: ${n}`);
  }

  parse(unit: Unit, out: ParseOutput): void {
    const line = unit.text;
    const banner = BANNER.exec(line);
    if (banner) {
      this.close(out);
      this.section = { kind: banner[1]!, what: null, readable: false, parser: null, started: false };
      out.skip('supportconfig section banner', true);
      return;
    }
    const s = this.section;
    if (s && s.what === null && line.startsWith('# ')) {
      s.what = line.slice(2).replace(/ - (?:Last \d+ Lines|File not found)\s*$/, '').trim();
      s.readable = s.kind === 'Log File' ? !/ - File not found\s*$/.test(line) : s.kind === 'Command' && LOG_COMMAND.test(s.what);
      out.skip('supportconfig section title', true);
      return;
    }
    if (!s || !s.readable) {
      out.skip('supportconfig configuration or command output', true);
      return;
    }
    if (!s.started) {
      if (!line.trim()) {
        out.skip('blank line', true);
        return;
      }
      s.started = true;
      s.parser = this.parserFor(s, line);
    }
    if (!s.parser) {
      out.skip('supportconfig section no format reads', true);
      return;
    }
    if (!line.trim()) {
      out.skip('blank line', true);
      return;
    }
    s.parser.parse(unit, out);
  }

  /** The parser of the format that claims the section's first line, as if it opened a file of its own. */
  private parserFor(s: Section, first: string): UnitParser | null {
    const name = (s.what ?? '').split(/\s/)[0]!.split('/').pop() ?? '';
    const probe: Probe = { head: Buffer.from(first + '\n'), name, path: s.what ?? this.ctx.path, size: null };
    return detectBest(innerFormats, probe)?.createParser({ ...this.ctx, prescan: null }) ?? null;
  }

  end(out: ParseOutput): void {
    this.close(out);
  }

  timeNotes(): string | null {
    return this.notes.size ? [...this.notes].join('; ') : null;
  }
}

export const supportconfig: FormatModule = {
  name: 'supportconfig',
  description: 'SUSE supportconfig text file (sections; log files and ps/dmesg/journalctl outputs read by their own formats)',
  unit: 'line',
  order: 5,
  detect(probe) {
    const first = probe.head.toString('utf8', 0, Math.min(probe.head.length, 512)).split('\n').find((l) => l.trim());
    return first && BANNER.test(first) ? 70 : 0;
  },
  createParser: (ctx) => new SupportconfigParser(ctx),
  samples: [
    {
      input:
        '#==[ Log File ]=====================================#\n' +
        '# /var/log/messages - Last 5000 Lines\n' +
        '2026-12-01T16:40:07.123456-05:00 vm kernel: [ 4675.479873] upload-handler invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0',
      event: { ts_utc_ms: Date.parse('2026-12-01T21:40:07.123Z'), program: 'kernel', host: 'vm' },
    },
    {
      input:
        '#==[ Command ]======================================#\n' +
        '# /bin/ps axwwo user,pid,ppid,%cpu,%mem,vsz,rss,stat,time,cmd\n' +
        'USER       PID  PPID %CPU %MEM    VSZ   RSS STAT     TIME CMD\n' +
        'root         1     0  0.0  0.3 167736 12996 Ss   00:00:01 /usr/lib/systemd/systemd --switched-root --system --deserialize 31',
      event: { pid: 1 },
      facts: [{ table: 'ps_snapshot', row: { pid: 1, ppid: 0, user: 'root', stat: 'Ss', rss_kb: 12996 } }],
    },
    {
      input: '#==[ Configuration File ]===========================#\n# /etc/fstab\nUUID=0d5c7a3e / btrfs defaults 0 0',
      note: 'configuration is counted, not stored',
      skipped: true,
    },
  ],
};
