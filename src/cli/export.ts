import fs from 'node:fs';
import type { Argv } from 'yargs';
import { exportDocuments, openCaseDb, type ExportWhat } from '../index.js';
import { CliError, EXIT_CODES } from './exit-codes.js';
import { err, safeText } from './terminal.js';

export function exportCommand(y: Argv): Argv {
  return y.command(
    'export',
    'write the case as NDJSON with Elastic Common Schema field names (for Elasticsearch, OpenSearch, Timesketch)',
    (c) =>
      c
        .option('format', { choices: ['ndjson'], default: 'ndjson', describe: 'output format' })
        .option('what', { choices: ['all', 'events', 'incidents'], default: 'all', describe: 'the stored lines, the incidents, or both' })
        .option('out', { type: 'string', describe: 'output file (default stdout)' })
        .example('$0 export --db case.db --what incidents', 'one incident per line')
        .example('$0 export --db case.db --out case.ndjson', 'every line and every incident, for a bulk load'),
    async (argv) => {
      const out = argv.out as string | undefined;
      if (out && fs.existsSync(out) && fs.statSync(out).isDirectory()) {
        throw new CliError(`export: --out '${out}' is a directory; name a file`, EXIT_CODES.usage);
      }
      const db = openCaseDb(argv.db as string, { readonly: true });
      let sink: NodeJS.WritableStream;
      try {
        // Opened here, so a file that cannot be written is a message (main.ts), not a stream's unhandled error.
        sink = out ? fs.createWriteStream(out, { fd: fs.openSync(out, 'w') }) : process.stdout;
      } catch (e) {
        db.close();
        throw e;
      }
      let failed: Error | null = null;
      sink.on('error', (e: Error) => (failed ??= e));
      try {
        let n = 0;
        for (const doc of exportDocuments(db, argv.what as ExportWhat)) {
          // Written as produced, waiting for a slow reader: a case never sits in memory whole.
          if (failed) throw failed;
          if (!sink.write(JSON.stringify(doc) + '\n')) await new Promise<void>((r) => sink.once('drain', () => r()));
          n++;
        }
        if (out) {
          await new Promise<void>((resolve, reject) => (sink as fs.WriteStream).end((e?: Error | null) => (e ? reject(e) : resolve())));
          err(`wrote ${n} document(s) to ${safeText(out)}`);
        }
      } finally {
        db.close();
      }
    },
  );
}
