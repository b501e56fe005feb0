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
// byte XOR 0x20). Units are lines. A one-line entry is stored by its line; a multi-line entry by
// the line that completes it (a zsh line without the trailing backslash) or, for bash, the next
// timestamp line (or `end()`: a bash entry is complete only when the next one starts), with the
// provenance of its first line (`event(row, from)`); its other lines are `part()`s. Each entry
// also gives a `commands` row via 'history'
// with the user named by the path (`/home/<user>/…` or `/root/…`), its time when stamped
// (exact: an epoch) and its order in the file (`history_order`: the only ordering unstamped
// history has). The history is written when the shell exits, so an entry's absence proves nothing.
import type { EventRow, FormatModule, ParseContext, ParseOutput, RecordStart, Unit, UnitParser } from './types.js';

const BASH_STAMP = /^#(\d{9,11})\s*$/;
const ZSH_EXT = /^: {0,2}(\d{9,11}):(\d+);([\s\S]*)$/;
const NEWLINE = Buffer.from('\n');
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

  /** The multi-line entry being read; `stamped`: a bash entry opened by its `#epoch` line. */
  private open: { index: number; offset: number; texts: string[]; bytes: Buffer[]; stamped: boolean } | null = null;

  parse(unit: Unit, out: ParseOutput): void {
    const stamp = BASH_STAMP.test(unit.text);
    const open = this.open;
    if (open) {
      if (open.stamped && stamp) {
        // The next bash entry starts: this line stores the one before and opens its own.
        this.flush(out);
        this.begin(unit, true);
        return;
      }
      open.texts.push(unit.text);
      open.bytes.push(unit.bytes);
      if (!open.stamped && !unit.text.endsWith('\\')) this.flush(out);
      else out.part();
      return;
    }
    if (stamp) {
      this.begin(unit, true);
      out.part();
      return;
    }
    // zsh writes a newline inside an entry as a backslash at the end of the line.
    if (unit.text.endsWith('\\') && (this.zsh || ZSH_EXT.test(unit.text))) {
      this.begin(unit, false);
      out.part();
      return;
    }
    this.parseEntry(unit.text, unit.bytes, out, null);
  }

  end(out: ParseOutput): void {
    if (this.open) this.flush(out);
  }

  private begin(unit: Unit, stamped: boolean): void {
    this.open = { index: unit.index, offset: unit.offset, texts: [unit.text], bytes: [unit.bytes], stamped };
  }

  private flush(out: ParseOutput): void {
    const e = this.open!;
    this.open = null;
    const text = e.texts.join('\n');
    const parts: Buffer[] = [];
    e.bytes.forEach((b, i) => {
      if (i) parts.push(NEWLINE);
      parts.push(b);
    });
    this.parseEntry(text, Buffer.concat(parts), out, { index: e.index, offset: e.offset, raw: text });
  }

  /** One entry (its lines joined by '\n'); `from` when it spans lines or is stored by a later one. */
  private parseEntry(entryText: string, entryBytes: Buffer, out: ParseOutput, from: RecordStart | null): void {
    const unit = { text: entryText, bytes: entryBytes };
    const emit = (row: EventRow) => (from ? out.event(row, from) : out.event(row));
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
        emit({ ts_utc_ms: ts, ts_quality: 'exact', host: null, program: shell, pid: null, message: '' });
        out.warn(from ? `line ${from.index}: history timestamp without a command` : 'history timestamp without a command');
      } else if (from) emit({ ts_utc_ms: ts, ts_quality: 'unknown', host: null, program: shell, pid: null, message: '' });
      else out.skip('empty line', true);
      return;
    }
    this.order++;
    emit({ ts_utc_ms: ts, ts_quality: ts === null ? 'unknown' : 'exact', host: null, program: shell, pid: null, message: text });
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
