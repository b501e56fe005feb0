// Every cause module is registered once and carries examples; each example, ingested as a user
// would (real line formats, binary records as hex), gives its verdict (remark-lint's examples:
// one loop for all).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findIncidents, ingest, openCaseDb } from '../../src/index.js';
import { CAUSES } from '../../src/correlate/registry.js';

const DIR = path.resolve(__dirname, '../../src/correlate');
// Modules that are not causes: shared code, the merge, the timelines they read.
const NOT_CAUSES = new Set(['common.ts', 'index.ts', 'registry.ts', 'types.ts', 'boots.ts', 'sessions.ts', 'exit.ts']);

describe('cause registry', () => {
  it('registers every cause module of src/correlate, once, each with examples', () => {
    const registry = fs.readFileSync(path.join(DIR, 'registry.ts'), 'utf8');
    for (const f of fs.readdirSync(DIR).filter((x) => x.endsWith('.ts') && !NOT_CAUSES.has(x))) {
      expect(registry, f).toContain(`from './${f.replace(/\.ts$/, '.js')}'`);
    }
    expect(new Set(CAUSES.map((c) => c.name)).size).toBe(CAUSES.length);
    for (const c of CAUSES) expect(c.examples.length, c.name).toBeGreaterThan(0);
  });
});

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-causes-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

CAUSES.forEach((cause, ci) => {
  describe(`cause ${cause.name}`, () => {
    cause.examples.forEach((ex, ei) => {
      it(ex.name, async () => {
        const evidence = path.join(dir, `c${ci}-${ei}`);
        fs.mkdirSync(evidence);
        for (const [name, body] of Object.entries(ex.files)) {
          fs.writeFileSync(path.join(evidence, name), typeof body === 'string' ? body + '\n' : Buffer.from(body.hex, 'hex'));
        }
        const dbFile = `${evidence}.db`;
        await ingest([evidence], { db: dbFile });
        const db = openCaseDb(dbFile, { readonly: true });
        try {
          const all = findIncidents(db, { pid: ex.pid });
          const mine = all.filter((i) => i.cause === ex.verdict.cause);
          expect(mine, JSON.stringify(all.map((i) => [i.cause, i.summary]))).toHaveLength(1);
          const i = mine[0]!;
          if (ex.verdict.signal !== undefined) expect(i.signal).toBe(ex.verdict.signal);
          if (ex.verdict.comm) expect(i.comm).toBe(ex.verdict.comm);
          if (ex.verdict.actor) expect(i.actor).toMatchObject(ex.verdict.actor);
          if (ex.summary) expect(i.summary).toMatch(ex.summary);
        } finally {
          db.close();
        }
      });
    });
  });
});
