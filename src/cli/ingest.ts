import type { Argv } from 'yargs';
import { ingestBounded, type IngestProgress } from '../index.js';
import path from 'node:path';
import { CliError, EXIT_CODES } from './exit-codes.js';
import { err, humanBytes, safeLine, safeText } from './terminal.js';

function positive(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new CliError(`${name} must be a positive number`, EXIT_CODES.usage);
  return v;
}

export function ingestCommand(y: Argv): Argv {
  return y.command(
    'ingest <paths..>',
    'read log files and directories (recursively, rotated and compressed) into the case database',
    (c) =>
      c
        .positional('paths', { type: 'string', array: true, demandOption: true, describe: 'files or directories (e.g. a copy of /var/log)' })
        .option('tz', { type: 'string', describe: "the host's IANA time zone, for timestamps that carry none (e.g. America/New_York)" })
        .option('boot-time', { type: 'string', describe: 'boot instant (ISO 8601 with offset, or epoch seconds) for uptime-only kernel lines' })
        .option('quiet', { type: 'boolean', default: false, describe: 'print nothing but errors' })
        .option('host', {
          type: 'string',
          describe: 'the host of the files given that name none (pacct, wtmp, dmesg, audit without node=); by default the host their sibling files name',
        })
        .option('max-decompressed-mib', {
          type: 'number',
          default: 65536,
          describe: 'stop reading a compressed file after this many MiB of decompressed bytes (marked damaged)',
        })
        .option('max-ratio', {
          type: 'number',
          default: 200,
          describe: 'stop reading a compressed file that expands more than this many times, past its first 16 MiB (a decompression bomb)',
        })
        .option('verify', {
          type: 'boolean',
          default: false,
          describe: 'hash every file in full again (by default a file of the same size and mtime whose first and last MiB hash alike is taken as unchanged)',
        })
        .example('$0 ingest /evidence/var/log --db case.db', 'a copied /var/log, rotated and compressed files included')
        .example('$0 ingest varlog.tar.gz home/ --db case.db', 'a tarball (read in place, never extracted) and shell histories')
        .example('$0 ingest sosreport-web1-2026-12-01.tar.xz --db case.db', "a sosreport: its logs, ps listings, zone and boot time")
        .example('$0 ingest /evidence/var/log --db case.db --tz America/New_York', 'local times read in the host\'s zone'),
    async (argv) => {
      const db = path.resolve(argv.db as string);
      if (argv.dbDefaulted) {
        // Evidence is never written to unless asked: the default database may not land inside it.
        for (const p of argv.paths as string[]) {
          const dir = path.resolve(p);
          if (db.startsWith(dir + path.sep)) {
            throw new CliError(
              `the case database would be written inside the evidence (${db}); give --db to choose where (a path inside is accepted when named explicitly)`,
              EXIT_CODES.usage,
            );
          }
        }
      }
      const showBar = !argv.quiet && process.stderr.isTTY;
      const started = Date.now();
      let lastDraw = 0;
      const draw = (p: IngestProgress) => {
        const now = Date.now();
        if (now - lastDraw < 100 && p.filesDone < p.filesTotal) return;
        lastDraw = now;
        const secs = Math.max(0.001, (now - started) / 1000);
        const pct = p.bytesTotal ? Math.floor((p.bytesDone / p.bytesTotal) * 100) : 100;
        const width = 24;
        const fill = Math.round((pct / 100) * width);
        const name = p.current ? safeLine(p.current.split('/').pop() ?? '') : '';
        process.stderr.write(
          `\r\x1b[K[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${p.filesDone}/${p.filesTotal} files ${humanBytes(p.bytesDone)}/${humanBytes(p.bytesTotal)} ${Math.round(p.unitsDone / secs)} lines/s ${name}`,
        );
      };
      const result = await ingestBounded(argv.paths as string[], {
        db: argv.db as string,
        tz: (argv.tz as string | undefined) ?? null,
        bootTime: (argv['boot-time'] as string | undefined) ?? null,
        verify: argv.verify === true,
        host: (argv.host as string | undefined) ?? null,
        maxDecompressedBytes: positive(argv['max-decompressed-mib'], '--max-decompressed-mib') * 1024 * 1024,
        maxRatio: positive(argv['max-ratio'], '--max-ratio'),
        onProgress: showBar ? draw : undefined,
      });
      if (showBar) process.stderr.write('\r\x1b[K');
      if (!argv.quiet) {
        const problems = result.sources.filter((s) => s.status === 'damaged' || s.status === 'unreadable');
        for (const s of problems) err(`warning: ${safeLine(s.path)}: ${s.status} (${s.warnings} warnings; see 'procforensics sources')`);
        err(
          `ingested ${result.files} files: ${result.newEvents} new events, ${result.units} units, ${result.skipped} skipped` +
            (result.empty ? ` (${result.empty} of them blank lines, headers or empty slots)` : '') +
            ', ' +
            `${result.warnings} warnings, ${result.unchanged} unchanged, ${result.unknown} unknown format, ${result.damaged} damaged ` +
            `in ${(result.elapsed_ms / 1000).toFixed(1)} s → ${safeText(argv.db as string)}`,
        );
      }
      if (result.damaged > 0 || result.sources.some((s) => s.status === 'unreadable')) process.exitCode = EXIT_CODES.damagedInput;
    },
  );
}
