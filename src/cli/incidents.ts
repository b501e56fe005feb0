import type { Argv } from 'yargs';
import { eachIncident, newestLineMs, openCaseDb } from '../index.js';
import type { Cause, Incident } from '../index.js';
import { CliError, EXIT_CODES } from './exit-codes.js';
import { out, safeLine } from './terminal.js';

const CAUSES: readonly Cause[] = ['oom-kill', 'signal', 'crash', 'systemd', 'fork-failure', 'host-down', 'exit', 'unknown'];

/** ISO 8601; a time without a zone is UTC (never the analyst machine's zone). */
const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * ISO 8601, or a duration (`2h`, `30m`, `7d`) counted back from the newest line of the case (the
 * host's time, never the analyst machine's clock): `newestMs` gives it.
 */
export function parseTimeArg(v: string | undefined, name: string, newestMs: () => number | null = () => null): number | null {
  if (v === undefined || v === '') return null;
  const s = v.trim();
  const rel = /^(\d+(?:\.\d+)?)\s*([smhd])$/i.exec(s);
  if (rel) {
    const newest = newestMs();
    if (newest === null) throw new CliError(`--${name}: '${v}' counts back from the newest line of the case, and the case has no timed line`, EXIT_CODES.usage);
    return Math.round(newest - Number(rel[1]) * UNIT_MS[rel[2]!.toLowerCase()]!);
  }
  const m = /^(\d{4}-\d\d-\d\d)(?:[T ](\d\d:\d\d(?::\d\d(?:\.\d+)?)?))?(Z|[+-]\d\d:?\d\d)?$/i.exec(s);
  if (!m) throw new CliError(`--${name}: '${v}' is not an ISO 8601 time (e.g. 2026-11-21T21:48:00Z)`, EXIT_CODES.usage);
  const zone = m[3] ? (m[3].toUpperCase() === 'Z' ? 'Z' : m[3].length === 5 ? `${m[3].slice(0, 3)}:${m[3].slice(3)}` : m[3]) : 'Z';
  const ms = Date.parse(`${m[1]}T${m[2] ?? '00:00:00'}${zone}`);
  if (!Number.isFinite(ms)) throw new CliError(`--${name}: '${v}' is not a valid time`, EXIT_CODES.usage);
  return ms;
}

function actorText(i: Incident): string {
  const a = i.actor;
  if (a.kind === 'kernel') return 'kernel';
  const who = a.user ?? (a.sender_comm ? `${a.sender_comm}[${a.sender_pid ?? '?'}]` : a.kind);
  return `${who}${a.via && a.via !== 'kernel' ? ` via ${a.via}` : ''}${a.from_host ? ` from ${a.from_host}` : ''}`;
}

/** The listing's columns (fixed widths, so rows align as they stream; longer values are cut with …). */
const COLUMNS: ReadonlyArray<{ title: string; width: number }> = [
  { title: 'TIME (UTC)', width: 26 },
  { title: 'HOST', width: 14 },
  { title: 'PID', width: 8 },
  { title: 'COMM', width: 16 },
  { title: 'CAUSE', width: 20 },
  { title: 'BY', width: 28 },
  { title: 'CONF', width: 6 },
  { title: 'ID', width: 0 },
];
const HEADER = COLUMNS.map((c) => c.title);

function fit(v: string, width: number): string {
  if (!width) return v;
  const t = v.length > width - 1 ? `${v.slice(0, width - 2)}…` : v;
  return t.padEnd(width);
}

function tableRow(cells: readonly string[]): string {
  return cells.map((c, k) => fit(safeLine(c), COLUMNS[k]!.width)).join('').trimEnd() + '\n';
}

function rowOf(i: Incident): string[] {
  return [i.time ?? '?', i.host ?? '?', String(i.pid), i.comm ?? '?', i.cause + (i.signal_name ? `/${i.signal_name}` : ''), actorText(i), i.confidence, i.id];
}

export function incidentsCommand(y: Argv): Argv {
  return y.command(
    'incidents',
    'list the processes that disappeared and why (newest first)',
    (c) =>
      c
        .option('json', { type: 'boolean', default: false, describe: 'print {"incidents":[…]} as JSON' })
        .option('ndjson', { type: 'boolean', default: false, describe: 'print one incident per line as JSON (for jq, Elasticsearch, Timesketch)' })
        .check((a) => {
          if (a.json && a.ndjson) throw new CliError('incidents: give --json or --ndjson, not both', EXIT_CODES.usage);
          return true;
        })
        .example('$0 incidents', 'the table, newest first; the id is what report --incident takes')
        .example('$0 incidents --since 2026-11-21T00:00Z --cause oom-kill', 'only the OOM kills since that instant')
        .example('$0 incidents --pid 14134 --json', 'every process that had pid 14134, as JSON')
        .example('$0 incidents --since 2h', "the last two hours of the case (counted from its newest line, not this machine's clock)")
        .option('since', { type: 'string', describe: "only incidents at or after this ISO 8601 time (UTC when no zone is given), or '2h', '30m', '7d' before the case's newest line" })
        .option('until', { type: 'string', describe: "only incidents at or before this time (as --since)" })
        .option('cause', { type: 'string', choices: CAUSES as unknown as string[], describe: 'only this cause' })
        .option('pid', { type: 'number', describe: 'every distinct process that had this pid, each with its verdict' }),
    async (argv) => {
      const db = openCaseDb(argv.db as string, { readonly: true });
      const newest = () => newestLineMs(db);
      try {
        const list = eachIncident(db, {
          since: parseTimeArg(argv.since as string | undefined, 'since', newest),
          until: parseTimeArg(argv.until as string | undefined, 'until', newest),
          cause: (argv.cause as Cause | undefined) ?? null,
          pid: (argv.pid as number | undefined) ?? null,
        });
        // Written as read, waiting when the reader is slower: the listing never sits in memory.
        let n = 0;
        for (const i of list) {
          let text: string;
          if (argv.json) text = (n === 0 ? '{\n  "incidents": [\n' : ',\n') + JSON.stringify(i, null, 2).replace(/^/gm, '    ');
          else if (argv.ndjson) text = JSON.stringify(i) + '\n';
          else text = (n === 0 ? tableRow(HEADER) : '') + tableRow(rowOf(i)) + `    ${safeLine(i.summary)}\n`;
          n++;
          if (!process.stdout.write(text)) await new Promise((r) => process.stdout.once('drain', r));
        }
        // The same bytes as JSON.stringify({ incidents }, null, 2).
        if (argv.json) out(n === 0 ? '{\n  "incidents": []\n}' : '\n  ]\n}');
        else if (n === 0 && !argv.ndjson) out('no incidents found');
      } finally {
        db.close();
      }
    },
  );
}
