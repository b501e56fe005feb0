#!/usr/bin/env node
// The only place that touches argv, stdout and exit codes. One top-level catch turns every error
// into a one-line message and an exit code; no stack trace reaches the user.
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { CaseBusyError, CaseDbError, ResourceError, UsageError, VERSION } from '../index.js';
import { CliError, DEFAULT_DB, EXIT_CODES } from './exit-codes.js';
import { ingestCommand } from './ingest.js';
import { incidentsCommand } from './incidents.js';
import { sourcesCommand } from './sources.js';
import { reportCommand } from './report.js';
import { exportCommand } from './export.js';
import { err, safeLine, safeText } from './terminal.js';

async function main(argv: string[]): Promise<void> {
  let y: Argv = yargs(argv)
    .scriptName('procforensics')
    .usage('$0 <command> [options]\n\nExplain why a process disappeared, from a copy of /var/log.')
    .option('db', { type: 'string', describe: 'case database file [default: ./procforensics.db]', global: true })
    // The default is applied here, not by yargs, so `ingest` can tell a chosen path from the default.
    .middleware((argv) => {
      if (argv.db === undefined) {
        argv.db = DEFAULT_DB;
        argv.dbDefaulted = true;
      }
    })
    .strict()
    .demandCommand(1, 'name a command: ingest, sources, incidents, report, export')
    .version(VERSION)
    .alias('version', 'V')
    .help()
    .alias('help', 'h')
    .wrap(Math.min(100, process.stdout.columns || 100))
    .fail((msg, e) => {
      if (e) throw e;
      throw new CliError(msg, EXIT_CODES.usage);
    });
  y = ingestCommand(y) as Argv;
  y = sourcesCommand(y);
  y = incidentsCommand(y);
  y = reportCommand(y);
  y = exportCommand(y);
  // yargs renders the whole help text before it runs a command, in case the command fails (a
  // quarter of the start-up of `report`); our failures print one line that points at --help, so
  // that text is never shown. Optional: an internal of yargs, left alone if it is not there.
  const usage = (y as unknown as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } })
    .getInternalMethods?.()
    .getUsageInstance?.();
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
  await y.parseAsync();
}

// `procforensics sources --json | head`: a closed pipe ends the output quietly, as for any Unix tool.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

/** What the system said of a path it refused (permission, read-only, full disk, a directory), in words; null for anything else. */
const ERRNO_WORDS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ENOENT: 'no such file or directory',
};
function environmentError(e: unknown): string | null {
  const x = e as NodeJS.ErrnoException;
  if (!x || typeof x.code !== 'string' || typeof x.path !== 'string' || !(x.code in ERRNO_WORDS)) return null;
  const verb = x.syscall === 'open' || x.syscall === 'mkdir' || x.syscall === 'write' ? 'cannot write' : 'cannot use';
  return `${verb} ${x.path}: ${ERRNO_WORDS[x.code]}`;
}

main(hideBin(process.argv)).catch((e: unknown) => {
  if (e instanceof CliError) {
    err(`procforensics: ${safeLine(e.message)}`);
    if (e.exitCode === EXIT_CODES.usage) err(`Run 'procforensics --help' for usage.`);
    process.exitCode = e.exitCode;
  } else if (e instanceof UsageError) {
    err(`procforensics: ${safeLine(e.message)}`);
    process.exitCode = EXIT_CODES.usage;
  } else if (e instanceof CaseBusyError) {
    err(`procforensics: ${safeLine(e.message)}`);
    process.exitCode = EXIT_CODES.busy;
  } else if (e instanceof CaseDbError) {
    // The environment, not a bug: no case there yet, not a case, a newer or older schema.
    err(`procforensics: ${safeLine(e.message)}`);
    process.exitCode = EXIT_CODES.usage;
  } else if (e instanceof ResourceError) {
    err(`procforensics: ${safeLine(e.message)}`);
    process.exitCode = EXIT_CODES.failure;
  } else if (environmentError(e)) {
    // A file the command was told to write or read cannot be: the environment, not a bug.
    err(`procforensics: ${safeLine(environmentError(e)!)}`);
    process.exitCode = EXIT_CODES.usage;
  } else {
    const m = e instanceof Error ? e.message : String(e);
    err(`procforensics: internal error: ${safeLine(m)}`);
    if (process.env.PROCFORENSICS_DEBUG && e instanceof Error) err(safeText(e.stack ?? ''));
    process.exitCode = EXIT_CODES.failure;
  }
});
