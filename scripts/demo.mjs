#!/usr/bin/env node
// npm run demo: ingest the lab sample (a real Debian 12 /var/log with six known incidents) into a
// fresh case database under the system temp directory, print the incidents found, and write every
// report (Markdown, HTML, JSON) plus an index into ./reports/. The samples directory is only read.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const dist = path.join(repo, 'dist');
if (!fs.existsSync(path.join(dist, 'index.js'))) {
  console.error('demo: dist/ is missing; run `npm run build` first');
  process.exit(1);
}
const api = await import(path.join(dist, 'index.js'));

let findIncidents = api.findIncidents;
if (typeof findIncidents !== 'function') {
  try {
    ({ findIncidents } = await import(path.join(dist, 'correlate', 'index.js')));
  } catch (e) {
    console.error(`demo: the correlation module is not built yet (${e.message})`);
    process.exit(1);
  }
}

// Log text printed to a terminal must not carry control characters (escape sequences).
// eslint-disable-next-line no-control-regex
const clean = (s) => String(s).replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

const sample = path.join(repo, 'samples', 'lab-debian12');
// The evidence of the sample: its /var/log, the users' shell histories and a `dmesg -T` dump
// (README.md, truth.json and verify.txt describe it and are not read).
const evidence = [path.join(sample, 'var', 'log'), path.join(sample, 'home'), path.join(sample, 'dmesg-T.txt')];
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'procforensics-demo-'));
const dbPath = path.join(work, 'case.db');
const outDir = path.join(repo, 'reports');

console.log(`ingesting ${evidence.map((p) => path.relative(repo, p)).join(', ')} → ${dbPath}`);
const res = await api.ingest(evidence, { db: dbPath, tz: null, bootTime: null });
console.log(`  ${res.files} files, ${res.newEvents} events, ${res.warnings} warnings, ${(res.elapsed_ms / 1000).toFixed(1)} s`);

const db = api.openCaseDb(dbPath, { readonly: true });
try {
  const incidents = findIncidents(db, {});
  console.log(`\n${incidents.length} incident(s):`);
  for (const i of incidents) {
    console.log(`  ${i.time ?? '?'}  pid ${String(i.pid).padEnd(6)} ${clean(i.comm ?? '?').padEnd(16)} ${i.cause.padEnd(12)} ${i.confidence}`);
  }
  // Pinned, so that a rerun rewrites the committed reports byte for byte: the case is named by
  // what it was built from (its file is temporary), and "generated" is the newest incident's time.
  const newest = incidents.map((i) => i.time).filter(Boolean).sort().pop() ?? '1970-01-01T00:00:00.000Z';
  const written = api.writeReportSet(db, incidents, outDir, api.REPORT_FORMATS, {
    dbPath: 'procforensics.db (npm run demo: samples/lab-debian12)',
    generatedAt: newest,
  });
  console.log('');
  for (const m of written.models) console.log(`- ${clean(m.answer_text)}`);
  console.log(`\nwrote ${written.files.length} files into ${path.relative(repo, outDir) || '.'}/ (open reports/index.html)`);
} finally {
  db.close();
}
