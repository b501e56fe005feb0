import type { Argv } from 'yargs';
import { listSources, listWarnings, openCaseDb } from '../index.js';
import { out, safeLine } from './terminal.js';

export function sourcesCommand(y: Argv): Argv {
  return y.command(
    'sources',
    'list every input file: format, compression, sha256, units, stored, skipped, warnings, status',
    (c) =>
      c
        .option('json', { type: 'boolean', default: false, describe: 'print a JSON array' })
        .option('warnings', { type: 'boolean', default: false, describe: 'also list the warnings (file, line, offset, message)' })
        .example('$0 sources --db case.db', 'one line per file: status, format, counts, path')
        .example('$0 sources --db case.db --warnings', 'and where each file was damaged, by line and offset')
        .example('$0 sources --db case.db --json', 'the manifest as JSON, for a ticket or a script'),
    (argv) => {
      const db = openCaseDb(argv.db as string, { readonly: true });
      try {
        const rows = listSources(db);
        if (argv.json) {
          out(JSON.stringify(rows, null, 2));
          return;
        }
        out(['status', 'format', 'compression', 'units', 'stored', 'skipped', 'warnings', 'path'].join('\t'));
        for (const r of rows) {
          out([r.status, r.format, r.compression, r.units, r.stored, r.skipped, r.warnings, safeLine(r.path)].join('\t'));
        }
        if (argv.warnings) {
          out('');
          for (const w of listWarnings(db)) {
            out(`${safeLine(w.path)}:${w.src_line ?? '-'} (offset ${w.src_offset ?? '-'}): ${safeLine(w.message)}`);
          }
        }
      } finally {
        db.close();
      }
    },
  );
}
