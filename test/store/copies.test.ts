// A kernel line copied into kern.log, syslog, messages and the dmesg dump is one line for an
// analyst: notable_copies maps each copy to the one a verdict cites (the best time quality).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, openCaseDb } from '../../src/index.js';

const LOG = path.resolve(__dirname, '../../samples/lab-debian12/var/log');

describe('notable_copies', () => {
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-copies-'));
    await ingest([LOG], { db: path.join(dir, 'case.db') });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('maps the four copies of an OOM line to the exact one, and two OOMs to two lines', () => {
    const h = openCaseDb(path.join(dir, 'case.db'), { readonly: true });
    try {
      const rows = h
        .prepare(
          `SELECT s.path AS copy, n.ts_quality AS quality, cs.path AS canonical, c.is_canonical
           FROM notable_copies c JOIN notable_lines n ON n.source_id = c.source_id AND n.src_line = c.src_line
           JOIN sources s ON s.id = c.source_id JOIN sources cs ON cs.id = c.canonical_source_id
           WHERE n.message LIKE 'upload-handler invoked oom-killer:%' ORDER BY s.path`,
        )
        .all() as Array<{ copy: string; quality: string; canonical: string; is_canonical: number }>;
      expect(rows.map((r) => [path.basename(r.copy), r.quality, path.basename(r.canonical), r.is_canonical])).toEqual([
        ['dmesg', 'uptime_anchored', 'kern.log', 0],
        ['kern.log', 'exact', 'kern.log', 1],
        ['messages', 'local_assumed', 'kern.log', 0],
        ['syslog', 'exact', 'kern.log', 0],
      ]);
      // The report-builder OOM a minute and a half earlier is another line, with its own canonical copy.
      const canon = h
        .prepare(
          `SELECT DISTINCT c.canonical_source_id, c.canonical_src_line FROM notable_copies c JOIN notable_lines n ON n.source_id = c.source_id AND n.src_line = c.src_line
           WHERE n.message LIKE '% invoked oom-killer:%'`,
        )
        .all();
      expect(canon.length).toBe(h.prepare(`SELECT COUNT(DISTINCT uptime_s) FROM notable_lines WHERE message LIKE '% invoked oom-killer:%'`).pluck().get());
    } finally {
      h.close();
    }
  });
});
