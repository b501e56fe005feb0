// Process listings saved in support bundles (sosreport `ps_auxwww`, `ps -eo …` output, `ps auxf`):
//
//   USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND
//   root       16376  0.0  0.1  15428  9096 ?        Ss   16:47   0:00 sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups
//   root       16483  0.0  0.1  17752 10888 ?        Ss   16:48   0:00  \_ sshd: bob [priv]
//   lab        16512  0.0  0.0      0     0 ?        Z    16:49   0:00 [zombie-leaker] <defunct>
//
//       PID    PPID USER     STAT   RSS                  STARTED CMD
//     16480       1 root     Ssl   1420 Sat Nov 21 16:48:33 2026 /usr/local/bin/parser-daemon
//
// procps ps prints a header line naming its columns (right-aligned numbers, left-aligned text),
// one space between columns, and the command last (it may hold spaces; `f`/`--forest` prefix it
// with ` \_ ` tree art whose indentation gives the parent). Columns are found from the header, so
// any `-o` list works as long as the command (COMMAND/CMD/ARGS/COMM) is last; STARTED (lstart)
// spans five words. RSS/RSZ are KiB. Z in STAT, or `<defunct>` after the command, marks a zombie:
// a process that has exited but whose parent has not reaped it (the "fork storm" signature).
// The output carries no time of its own: snapshot_utc_ms is the bundle's collection time when a
// sosreport gives it (src/sources/sosreport.ts), else null.
import type { FormatModule, ParseOutput, Unit, UnitParser } from './types.js';

type Field = 'user' | 'pid' | 'ppid' | 'stat' | 'start' | 'rss_kb' | 'command' | null;

/** Header names → ps_snapshot columns (procps-ng ps/output.c header strings). */
const COLUMN_FIELDS: Readonly<Record<string, Field>> = {
  USER: 'user',
  UID: 'user', // `ps -ef` prints the name under UID
  RUSER: 'user',
  EUSER: 'user',
  PID: 'pid',
  PPID: 'ppid',
  STAT: 'stat',
  S: 'stat',
  START: 'start',
  STIME: 'start',
  STARTED: 'start',
  RSS: 'rss_kb',
  RSZ: 'rss_kb',
  COMMAND: 'command',
  CMD: 'command',
  ARGS: 'command',
  COMM: 'command',
};

/** Columns whose values span several words. */
const WORDS_PER_COLUMN: Readonly<Record<string, number>> = { STARTED: 5 };

const COMMAND_COLUMNS = new Set(['COMMAND', 'CMD', 'ARGS', 'COMM']);
const TREE_ART = /^([ |]*\\_ )/;
const WORD = /\S+/g;
/** ps header words: upper-case names such as PID, %CPU, RSS, STARTED. */
const HEADER_WORD = /^[A-Z%][A-Z0-9%_+-]*$/;

export function parseHeader(line: string): string[] | null {
  const cols = line.trim().split(/\s+/);
  if (cols.length < 2 || !cols.includes('PID') || !COMMAND_COLUMNS.has(cols[cols.length - 1])) return null;
  if (!cols.every((c) => HEADER_WORD.test(c))) return null;
  return cols;
}

interface PsRow {
  user: string | null;
  pid: number | null;
  ppid: number | null;
  stat: string | null;
  start: string | null;
  rss_kb: number | null;
  command: string;
  /** Characters of tree art before the command (0 = top level or no forest). */
  depth: number;
}

/** Splits one process line by the header's columns; null if it has too few words. */
export function splitPsLine(line: string, cols: readonly string[]): PsRow | null {
  const row: PsRow = { user: null, pid: null, ppid: null, stat: null, start: null, rss_kb: null, command: '', depth: 0 };
  WORD.lastIndex = 0;
  let end = 0;
  for (let i = 0; i < cols.length - 1; i++) {
    const words: string[] = [];
    for (let w = 0; w < (WORDS_PER_COLUMN[cols[i]] ?? 1); w++) {
      const m = WORD.exec(line);
      if (!m) return null;
      words.push(m[0]);
      end = m.index + m[0].length;
    }
    const v = words.join(' ');
    const field = COLUMN_FIELDS[cols[i]];
    if (field === 'pid' || field === 'ppid' || field === 'rss_kb') {
      if (!/^\d+$/.test(v)) return null;
      row[field] = Number(v);
    } else if (field === 'user' || field === 'stat' || field === 'start') row[field] = v;
  }
  let rest = line.slice(end);
  rest = rest.startsWith(' ') ? rest.slice(1) : rest;
  const art = TREE_ART.exec(rest);
  if (art) {
    row.depth = art[1].length;
    rest = rest.slice(art[1].length);
  } else rest = rest.trimStart();
  row.command = rest.trimEnd();
  if (!row.stat && row.command.endsWith('<defunct>')) row.stat = 'Z';
  return row;
}

class PsParser implements UnitParser {
  /** When the listing was taken, if the bundle says (a sosreport's collection time). */
  constructor(private readonly snapshotMs: number | null = null) {}
  private cols: string[] | null = null;
  private hasPpid = false;
  /** Ancestors by tree depth, for `f`/`--forest` output without a PPID column. */
  private stack: Array<{ depth: number; pid: number | null }> = [];

  parse(unit: Unit, out: ParseOutput): void {
    const line = unit.text;
    if (!line.trim()) {
      out.skip('empty line', true);
      return;
    }
    const header = parseHeader(line);
    if (header) {
      this.cols = header;
      this.hasPpid = header.includes('PPID');
      this.stack = [];
      out.skip('ps header line', true);
      return;
    }
    if (!this.cols) {
      out.event({ ts_utc_ms: null, ts_quality: 'unknown', host: null, program: null, pid: null, message: line });
      out.warn('line before any ps header; stored as is');
      return;
    }
    const row = splitPsLine(line, this.cols);
    if (!row) {
      out.event({ ts_utc_ms: null, ts_quality: 'unknown', host: null, program: null, pid: null, message: line });
      out.warn('ps line does not fit the header columns; stored as is');
      return;
    }
    let ppid = row.ppid;
    if (!this.hasPpid) {
      while (this.stack.length && this.stack[this.stack.length - 1].depth >= row.depth) this.stack.pop();
      if (row.depth > 0 && this.stack.length) ppid = this.stack[this.stack.length - 1].pid;
      this.stack.push({ depth: row.depth, pid: row.pid });
    }
    out.event({ ts_utc_ms: null, ts_quality: 'unknown', host: null, program: null, pid: row.pid, message: line });
    out.fact('ps_snapshot', {
      snapshot_utc_ms: this.snapshotMs,
      user: row.user,
      pid: row.pid,
      ppid,
      stat: row.stat,
      start: row.start,
      rss_kb: row.rss_kb,
      command: row.command,
    });
  }
}

export const psSnapshot: FormatModule = {
  name: 'ps-snapshot',
  description: 'ps output with a header line (ps auxwww, ps auxf, ps -ef, ps -eo …)',
  unit: 'line',
  order: 10,
  detect(probe) {
    const first = probe.head.toString('utf8', 0, Math.min(probe.head.length, 4096)).split('\n').find((l) => l.trim());
    return first && parseHeader(first) ? 45 : 0;
  },
  createParser: (ctx) => new PsParser(ctx.collectedMs ?? null),
  samples: [
    {
      input:
        'USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\nlab        16512  0.0  0.0      0     0 ?        Z    16:49   0:00 [zombie-leaker] <defunct>',
      event: { pid: 16512, ts_quality: 'unknown' },
      facts: [{ table: 'ps_snapshot', row: { user: 'lab', pid: 16512, stat: 'Z', start: '16:49', rss_kb: 0, command: '[zombie-leaker] <defunct>' } }],
    },
    {
      input:
        '    PID    PPID USER     STAT   RSS                  STARTED CMD\n  16480       1 root     Ssl   1420 Sat Nov 21 16:48:33 2026 /usr/local/bin/parser-daemon --config /etc/p.conf',
      event: { pid: 16480 },
      facts: [
        {
          table: 'ps_snapshot',
          row: { pid: 16480, ppid: 1, user: 'root', stat: 'Ssl', rss_kb: 1420, start: 'Sat Nov 21 16:48:33 2026', command: '/usr/local/bin/parser-daemon --config /etc/p.conf' },
        },
      ],
    },
  ],
};
