import fs from 'node:fs';
import path from 'node:path';
import type { Argv } from 'yargs';
import {
  REPORT_FORMATS,
  buildReportModel,
  findIncidents,
  isValidTimeZone,
  openCaseDb,
  parseWindow,
  renderReports,
  writeReportSet,
  type IncidentFilter,
  type ReportFormat,
} from '../index.js';
import { CliError, EXIT_CODES } from './exit-codes.js';
import { err, out, safeText } from './terminal.js';

/** What --brief keeps: rows of the timeline (the evidence is always kept) and of the OOM task table. */
const BRIEF_TIMELINE_ROWS = 10;
const BRIEF_TASKS = 5;

/** `--out x.html` means HTML when --format is not given. */
const FORMAT_BY_EXTENSION: Readonly<Record<string, ReportFormat>> = { '.md': 'md', '.markdown': 'md', '.html': 'html', '.htm': 'html', '.json': 'json' };

export function reportCommand(y: Argv): Argv {
  return y.command(
    'report',
    'write the report of an incident (Markdown, self-contained HTML or JSON): the answer, facts, timeline, evidence, provenance',
    (c) =>
      c
        .option('pid', { type: 'number', describe: 'the process id (every process that had it gets its own verdict)' })
        .option('comm', { type: 'string', describe: 'the command name' })
        .option('incident', { type: 'string', describe: "an incident id from 'procforensics incidents'" })
        .option('all', { type: 'boolean', default: false, describe: 'one report per incident plus an index, into a directory' })
        .option('format', { choices: REPORT_FORMATS as unknown as string[], describe: 'output format [default: from the --out extension, else md]' })
        .option('out', { type: 'string', describe: 'output file (directory with --all; default stdout, or reports/ with --all)' })
        .option('window', { type: 'string', default: '10m', describe: "timeline before the incident: '10m', '30s', '1h', or 'before,after'" })
        .option('tz', { type: 'string', describe: 'IANA zone to show local times in (default: the case zone, else inferred, else UTC)' })
        .option('brief', { type: 'boolean', default: false, describe: 'a short report for a ticket comment: the evidence rows and a few around them, the top of the task table' })
        .example('$0 report --pid 14134', 'the report of pid 14134 as Markdown on stdout')
        .example('$0 report --incident vm-14134-1795297725 --out why.html', 'one incident as a self-contained HTML file')
        .example('$0 report --all --out reports/', 'every incident and an index, in Markdown')
        .check((a) => {
          const n = [a.pid !== undefined, a.comm !== undefined, a.incident !== undefined, a.all === true].filter(Boolean).length;
          if (n === 0) throw new CliError('report: give one of --pid, --comm, --incident or --all', EXIT_CODES.usage);
          if (n > 1) throw new CliError('report: give only one of --pid, --comm, --incident or --all', EXIT_CODES.usage);
          if (a.pid !== undefined && (!Number.isInteger(a.pid) || (a.pid as number) < 0)) throw new CliError(`report: --pid must be a process id`, EXIT_CODES.usage);
          return true;
        }),
    async (argv) => {
      // A reader that stops early (`| head`) closes the pipe: that is not an error.
      process.stdout.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
        throw e;
      });
      const window = parseWindow(String(argv.window));
      if (!window) throw new CliError(`report: --window '${argv.window}' is not a duration (try 10m, 30s, 1h)`, EXIT_CODES.usage);
      const tz = (argv.tz as string | undefined) ?? null;
      if (tz && !isValidTimeZone(tz)) throw new CliError(`report: --tz: unknown IANA time zone '${tz}'`, EXIT_CODES.usage);
      const dbPath = argv.db as string;
      if (!fs.existsSync(dbPath)) throw new CliError(`report: no case database at ${dbPath} (run 'procforensics ingest' first)`, EXIT_CODES.usage);
      const outPath = argv.out as string | undefined;
      const byExtension = outPath ? FORMAT_BY_EXTENSION[path.extname(outPath).toLowerCase()] : undefined;
      if (argv.all && outPath && byExtension) {
        throw new CliError(`report: --all writes one report per incident and an index into a directory; '${outPath}' names a file`, EXIT_CODES.usage);
      }
      if (!argv.all && outPath && fs.existsSync(outPath) && fs.statSync(outPath).isDirectory()) {
        throw new CliError(`report: --out '${outPath}' is a directory; name a file (or use --all for a directory of reports)`, EXIT_CODES.usage);
      }
      const format = ((argv.format as ReportFormat | undefined) ?? byExtension ?? 'md') as ReportFormat;
      const db = openCaseDb(dbPath, { readonly: true });
      try {
        const filter: IncidentFilter = {};
        let what = 'any incident';
        if (argv.pid !== undefined) {
          filter.pid = argv.pid as number;
          what = `pid ${argv.pid}`;
        } else if (argv.comm !== undefined) {
          filter.comm = argv.comm as string;
          what = `a process named '${argv.comm}'`;
        } else if (argv.incident !== undefined) {
          filter.id = argv.incident as string;
          what = `incident '${argv.incident}'`;
        }
        const incidents = findIncidents(db, filter);
        if (!incidents.length) {
          throw new CliError(`report: nothing found for ${what} in ${dbPath} (see 'procforensics incidents')`, EXIT_CODES.notFound);
        }
        const opts = {
          dbPath: path.resolve(dbPath),
          windowBeforeMs: window.beforeMs,
          windowAfterMs: window.afterMs,
          tz,
          ...(argv.brief ? { maxTimelineRows: BRIEF_TIMELINE_ROWS, maxTasks: BRIEF_TASKS } : {}),
        };
        if (argv.all) {
          const dir = (argv.out as string | undefined) ?? 'reports';
          const res = writeReportSet(db, incidents, dir, [format], opts);
          err(`wrote ${incidents.length} report(s) and index.${format} into ${safeText(dir)}`);
          for (const m of res.models) err(`  ${safeText(m.answer_text)}`);
          return;
        }
        const models = incidents.map((i) => buildReportModel(db, i, opts));
        const text = renderReports(models, format);
        if (argv.out) {
          fs.mkdirSync(path.dirname(path.resolve(argv.out as string)), { recursive: true });
          fs.writeFileSync(argv.out as string, text);
          err(`wrote ${safeText(argv.out as string)}`);
        } else if (format === 'md' && process.stdout.isTTY) {
          // Markdown on a terminal is read, not parsed: control characters must not reach it.
          out(text.split('\n').map(safeText).join('\n'));
        } else process.stdout.write(text);
      } finally {
        db.close();
      }
    },
  );
}
