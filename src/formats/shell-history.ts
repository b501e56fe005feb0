// Shell history files: bash `.bash_history` and zsh `.zsh_history`.
//
//   #1795297650                      bash with HISTTIMEFORMAT set: epoch seconds before each entry
//   sudo kill -9 16416
//   : 1795297650:0;kill -TERM 16490  zsh EXTENDED_HISTORY: `: <start epoch>:<elapsed s>;<command>`
//
// bash (bash/lib/readline/histfile.c): with timestamps, a `#<digits>` line precedes each entry
// and a multi-line entry (cmdhist/lithist) is written as consecutive lines up to the next
// timestamp line; without timestamps every line is an entry. zsh (Src/hist.c): a multi-line
// entry ends its lines with a backslash, and bytes ≥ 0x80 are "metafied" (0x83 followed by the
// byte XOR 0x20). One entry = one unit (the module groups lines itself with `readUnits`; index =
// line number of the entry's first line). Each entry also gives a `commands` row via 'history'
// with the user named by the path (`/home/<user>/…` or `/root/…`), its time when stamped
// (exact: an epoch) and its order in the file (`history_order`: the only ordering unstamped
// history has). The history is written when the shell exits, so an entry's absence proves nothing.
import type { FormatModule, ParseContext, ParseOutput, Unit, UnitParser } from './types.js';
import { readGroupedLines } from './sudo-log.js';

const BASH_STAMP = /^#(\d{9,11})\s*$/;
const ZSH_EXT = /^: {0,2}(\d{9,11}):(\d+);([\s\S]*)$/;
const HISTORY_NAMES = /(?:bash_history|zsh_history|zhistory|sh_history|(?:^|\/)\.history)$/;

/** The account a history file belongs to, from its path. */
export function userFromPath(path: string): string | null {
  const m = /\/home\/([^/]+)\//.exec(path) ?? /\/(root)\//.exec(path);
  return m ? m[1] : null;
}

/** zsh stores bytes ≥ 0x80 (and a few others) as 0x83, byte ^ 0x20. */
function unmetafy(b: Buffer): Buffer {
  if (!b.includes(0x83)) return b;
  const out = Buffer.alloc(b.length);
  let n = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0x83 && i + 1 < b.length) out[n++] = b[++i] ^ 0x20;
    else out[n++] = b[i];
  }
  return out.subarray(0, n);
}

function isZshName(path: string): boolean {
  return /zsh_history|zhistory/.test(path);
}

class HistoryParser implements UnitParser {
  private readonly user: string | null;
  private readonly zsh: boolean;
  private order = 0;

  constructor(private readonly ctx: ParseContext) {
    this.user = userFromPath(ctx.path);
    this.zsh = isZshName(ctx.path);
  }

  parse(unit: Unit, out: ParseOutput): void {
    let text = unit.text;
    let ts: number | null = null;
    let shell = this.zsh ? 'zsh' : 'bash';
    const firstNl = text.indexOf('\n');
    const firstLine = firstNl < 0 ? text : text.slice(0, firstNl);
    const stamp = BASH_STAMP.exec(firstLine);
    if (stamp) {
      ts = Number(stamp[1]) * 1000;
      text = firstNl < 0 ? '' : text.slice(firstNl + 1);
      shell = 'bash';
    } else if (text.startsWith(':')) {
      const bytes = unmetafy(unit.bytes);
      const z = ZSH_EXT.exec(bytes.toString('utf8'));
      if (z) {
        ts = Number(z[1]) * 1000;
        text = z[3].replace(/\\\n/g, '\n');
        shell = 'zsh';
      }
    } else if (this.zsh) {
      text = unmetafy(unit.bytes).toString('utf8').replace(/\\\n/g, '\n');
    }
    if (!text.trim()) {
      if (stamp) {
        // A timestamp with no command after it (file cut after the stamp).
        out.event({ ts_utc_ms: ts, ts_quality: 'exact', host: null, program: shell, pid: null, message: '' });
        out.warn('history timestamp without a command');
      } else out.skip('empty line');
      return;
    }
    this.order++;
    out.event({ ts_utc_ms: ts, ts_quality: ts === null ? 'unknown' : 'exact', host: null, program: shell, pid: null, message: text });
    out.fact('commands', {
      ts_utc_ms: ts,
      ts_quality: ts === null ? 'unknown' : 'exact',
      host: null,
      via: 'history',
      user: this.user,
      command: text,
      history_order: this.order,
    });
  }

  timeNotes(): string | null {
    return this.user ? `history of ${this.user} (from the path)` : 'history owner unknown (path names no /home/<user>/ or /root/)';
  }
}

/** Record boundaries: see the header comment. */
function startsEntry(text: string, group: readonly Unit[]): boolean {
  const prev = group[group.length - 1].text;
  if (BASH_STAMP.test(text)) return true;
  if (BASH_STAMP.test(group[0].text)) {
    // bash with timestamps: the stamp's first command line joins; later lines are part of the
    // same multi-line entry until the next stamp.
    return false;
  }
  // zsh: a line ending in a backslash continues on the next line.
  if (prev.endsWith('\\') && ZSH_EXT.test(group[0].text)) return false;
  return true;
}

export const shellHistory: FormatModule = {
  name: 'shell-history',
  description: 'bash/zsh history files (.bash_history with optional #epoch lines, .zsh_history extended format)',
  unit: 'line',
  order: 10,
  detect(probe) {
    const byName = HISTORY_NAMES.test(probe.name) || HISTORY_NAMES.test(probe.path);
    const lines = probe.head.toString('utf8').split('\n').slice(0, 40).filter((l) => l.length);
    const zshLines = lines.filter((l) => ZSH_EXT.test(l)).length;
    const stamps = lines.filter((l) => BASH_STAMP.test(l)).length;
    if (byName) return 60;
    // Without the name, only timestamped history is recognisable: zsh extended lines, or bash
    // stamps alternating with commands.
    if (lines.length && zshLines / lines.length >= 0.6) return 40;
    if (lines.length >= 4 && stamps / lines.length >= 0.35 && BASH_STAMP.test(lines[0])) return 30;
    return 0;
  },
  readUnits: (path) => readGroupedLines(path, startsEntry),
  createParser: (ctx) => new HistoryParser(ctx),
  samples: [
    {
      input: ': 1795297650:0;kill -TERM 16490',
      context: { path: '/case/home/bob/.zsh_history' },
      event: { ts_utc_ms: 1795297650000, ts_quality: 'exact', program: 'zsh', message: 'kill -TERM 16490' },
      facts: [{ table: 'commands', row: { via: 'history', user: 'bob', command: 'kill -TERM 16490', history_order: 1, ts_utc_ms: 1795297650000 } }],
    },
    {
      input: 'sudo kill -9 16416',
      context: { path: '/case/home/alice/.bash_history' },
      event: { ts_utc_ms: null, ts_quality: 'unknown', program: 'bash' },
      facts: [{ table: 'commands', row: { via: 'history', user: 'alice', command: 'sudo kill -9 16416', history_order: 1, ts_utc_ms: null } }],
    },
  ],
};
