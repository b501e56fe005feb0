// The ingest acceptance on every real public sample and the lab tree: each log file gets a format,
// each text file's units equal its line count as the system's own tools read it, nothing is lost
// (stored + skipped == units), and a second ingest stores nothing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, listSources, openCaseDb } from '../../src/index.js';
import type { SourceManifestEntry } from '../../src/index.js';

const SHARED = path.resolve(__dirname, '../../../shared');
const INPUTS = [path.join(SHARED, 'samples-real'), path.join(SHARED, 'lab-sample')];
const NOT_LOGS = /(MANIFEST\.tsv|README\.md|SHA256SUMS|truth\.json)$/;
const BINARY = /(wtmp|btmp|utmp|lastlog|pacct)[^/]*$|\.journal$/;
const CAT: Record<string, string> = { none: 'cat', gzip: 'zcat', bzip2: 'bzcat', xz: 'xzcat', zstd: 'zstdcat' };
const haveTools = (() => {
  try {
    execSync('command -v zcat bzcat xzcat wc', { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!fs.existsSync(INPUTS[0]) || !haveTools)('every real sample', () => {
  let dir: string;
  let db: string;
  let rows: SourceManifestEntry[];
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-real-'));
    db = path.join(dir, 'case.db');
    await ingest(INPUTS, { db });
    const c = openCaseDb(db, { readonly: true });
    rows = listSources(c);
    c.close();
  }, 120_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('gives every log file a format and loses no unit', () => {
    expect(rows.length).toBeGreaterThan(150);
    for (const r of rows) {
      if (NOT_LOGS.test(r.path)) continue;
      expect(r.format, r.path).not.toBe('unknown');
      expect(r.stored + r.skipped, r.path).toBe(r.units);
    }
  });

  it('counts the lines of every text file as wc -l does (plus a last line without newline)', () => {
    for (const r of rows) {
      if (NOT_LOGS.test(r.path) || BINARY.test(r.path) || r.units === 0) continue;
      const cat = CAT[r.compression];
      const lines = Number(execSync(`${cat} '${r.path}' | wc -l`).toString().trim());
      const last = execSync(`${cat} '${r.path}' | tail -c1 | od -An -tx1`).toString().trim();
      expect(r.units, r.path).toBe(lines + (last && last !== '0a' ? 1 : 0));
    }
  });

  it('stores nothing on a second ingest', async () => {
    const again = await ingest(INPUTS, { db });
    expect(again.newEvents).toBe(0);
  }, 120_000);
});
