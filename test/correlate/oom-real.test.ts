// Real OOM reports (../shared/samples-real/oom, MANIFEST.tsv names victim and trigger): every file,
// ingested alone, gives an oom-kill incident for the victim with the trigger the manifest names.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, afterAll } from 'vitest';
import { findIncidents, ingest, openCaseDb } from '../../src/index.js';

const SHARED = path.resolve(__dirname, '../../../shared');
const REAL = path.join(SHARED, 'samples-real');

interface Expect { file: string; pid: number; comm: string; trigger: string | null }

function manifest(): Expect[] {
  if (!fs.existsSync(path.join(REAL, 'MANIFEST.tsv'))) return [];
  const out: Expect[] = [];
  for (const line of fs.readFileSync(path.join(REAL, 'MANIFEST.tsv'), 'utf8').split('\n')) {
    const cols = line.split('\t');
    if (cols[1] !== 'oom') continue;
    const notes = cols[7] ?? '';
    const v = /victim pid (\d+) comm (\S+?)[;,]? /.exec(notes + ' ');
    if (!v) continue;
    const t = /trigger comm (\S+?)[;,]? /.exec(notes + ' ');
    out.push({ file: cols[0]!, pid: Number(v[1]), comm: v[2]!, trigger: t ? t[1]! : null });
  }
  return out;
}

describe.skipIf(!fs.existsSync(REAL))('real OOM reports', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-oom-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  for (const e of manifest()) {
    it(e.file, async (ctx) => {
      const dbFile = path.join(dir, `case${n++}.db`);
      await ingest([path.join(REAL, e.file)], { db: dbFile, tz: null, bootTime: null });
      const db = openCaseDb(dbFile);
      // A file no format claims yet is a parser gap, not a correlation result.
      const claimed = db.prepare(`SELECT 1 FROM sources WHERE status <> 'unknown-format'`).get();
      if (!claimed) {
        db.close();
        ctx.skip();
      }
      const all = findIncidents(db);
      db.close();
      const i = all.find((x) => x.pid === e.pid && x.cause === 'oom-kill');
      expect(i, `incidents: ${all.map((x) => `${x.pid}/${x.cause}`).join(' ')}`).toBeDefined();
      expect(i!.comm).toBe(e.comm);
      if (e.trigger) expect(i!.trigger?.comm).toBe(e.trigger);
    }, 20_000);
  }
});
