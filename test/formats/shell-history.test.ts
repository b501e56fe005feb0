// Shell history: bash with/without #epoch stamps, zsh extended history, owner from the path.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { shellHistory, userFromPath } from '../../src/formats/shell-history.js';
import type { Unit } from '../../src/formats/types.js';
import { splitLines } from '../../src/sources/units.js';
import { ingest, listSources } from '../../src/index.js';
import { openCaseDb } from '../../src/store/db.js';
import { runParser } from '../helpers/run-parser.js';

async function unitsOf(name: string, content: string | Buffer): Promise<{ units: Unit[]; path: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hist-'));
  const p = path.join(dir, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content);
  const units: Unit[] = [];
  for await (const u of splitLines([fs.readFileSync(p)], { onNote: () => {} })) units.push(u);
  return { units, path: p };
}

function lineCount(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) n++;
  return buf.length && buf[buf.length - 1] !== 10 ? n + 1 : n;
}

describe('shell history', () => {
  it('user from the path', () => {
    expect(userFromPath('/case/home/alice/.bash_history')).toBe('alice');
    expect(userFromPath('/evidence/root/.zsh_history')).toBe('root');
    expect(userFromPath('/tmp/.bash_history')).toBeNull();
  });

  it('bash with timestamps: exact times, multi-line entries kept together, order counted', async () => {
    const { units, path: p } = await unitsOf('home/alice/.bash_history', '#1795297650\nsudo kill -9 16416\n#1795297660\nfor i in 1 2; do\n  echo $i\ndone\n#1795297670\nexit\n');
    expect(units).toHaveLength(8);
    const got = runParser(shellHistory, units, { path: p });
    // each entry is stored by the next stamp (the last one at end of file) with its stamp's line
    expect(got.events.map((e) => e.unit)).toEqual([1, 3, 7]);
    expect(got.parts).toEqual([1, 2, 4, 5, 6, 8]);
    const cmds = got.facts.map((f) => f.row);
    expect(cmds).toEqual([
      expect.objectContaining({ via: 'history', user: 'alice', command: 'sudo kill -9 16416', ts_utc_ms: 1795297650000, ts_quality: 'exact', history_order: 1 }),
      expect.objectContaining({ command: 'for i in 1 2; do\n  echo $i\ndone', ts_utc_ms: 1795297660000, history_order: 2 }),
      expect.objectContaining({ command: 'exit', history_order: 3 }),
    ]);
    expect(got.events.map((e) => e.program)).toEqual(['bash', 'bash', 'bash']);
  });

  it('bash without timestamps: one entry per line, no time', async () => {
    const { units, path: p } = await unitsOf('root/.bash_history', 'ls\nkill 16490\n\n');
    const got = runParser(shellHistory, units, { path: p });
    expect(got.facts.map((f) => [f.row.command, f.row.ts_utc_ms, f.row.ts_quality, f.row.history_order, f.row.user])).toEqual([
      ['ls', null, 'unknown', 1, 'root'],
      ['kill 16490', null, 'unknown', 2, 'root'],
    ]);
    expect(got.skips).toHaveLength(1);
  });

  it('zsh extended history, backslash continuations and metafied bytes', async () => {
    // "é" = c3 a9, metafied: 0x83 then byte ^ 0x20
    const meta = Buffer.from([0x83, 0xc3 ^ 0x20, 0x83, 0xa9 ^ 0x20]);
    const content = Buffer.concat([
      Buffer.from(': 1795297650:0;kill -TERM 16490\n: 1795297655:2;echo a \\\n  b\n: 1795297660:0;echo '),
      meta,
      Buffer.from('\n'),
    ]);
    const { units, path: p } = await unitsOf('home/bob/.zsh_history', content);
    const got = runParser(shellHistory, units, { path: p });
    expect(got.facts.map((f) => [f.row.command, f.row.ts_utc_ms, f.row.user])).toEqual([
      ['kill -TERM 16490', 1795297650000, 'bob'],
      ['echo a \n  b', 1795297655000, 'bob'],
      ['echo é', 1795297660000, 'bob'],
    ]);
    expect(got.events[0].program).toBe('zsh');
    // the continued entry is stored by its last line, with its first line's provenance
    expect(got.events.map((e) => e.unit)).toEqual([1, 2, 4]);
    expect(got.parts).toEqual([2]);
  });

  it('plain zsh history (no EXTENDED_HISTORY) joins backslash-continued lines too', async () => {
    const { units, path: p } = await unitsOf('home/bob/.zsh_history', 'ls\nfor f in *; do \\\n  rm $f\\\ndone\nexit\n');
    const got = runParser(shellHistory, units, { path: p });
    expect(got.facts.map((f) => [f.row.command, f.row.history_order])).toEqual([
      ['ls', 1],
      ['for f in *; do \n  rm $f\ndone', 2],
      ['exit', 3],
    ]);
    expect(got.events.map((e) => e.unit)).toEqual([1, 2, 5]);
  });

  it('detects by name, and by content only when stamped', () => {
    const probe = (name: string, s: string) => ({ head: Buffer.from(s), name, path: '/x/' + name, size: s.length });
    expect(shellHistory.detect(probe('.bash_history', 'ls\n'))).toBeGreaterThan(50);
    expect(shellHistory.detect(probe('hist.txt', ': 1795297650:0;ls\n: 1795297651:0;pwd\n'))).toBeGreaterThan(0);
    expect(shellHistory.detect(probe('notes.txt', 'ls\npwd\n'))).toBe(0);
    expect(shellHistory.detect(probe('history.log', 'Start-Date: 2024-01-01  10:00:00\n'))).toBe(0);
  });

  it('through the pipeline: units equal the line count, commands on the first line of their entry', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-hist-'));
    try {
      const home = path.join(dir, 'home/alice');
      fs.mkdirSync(home, { recursive: true });
      const file = path.join(home, '.bash_history');
      const content = 'ls\n#1795297650\nsudo kill -9 16416\n#1795297660\nfor i in 1 2; do\n  echo $i\ndone\n#1795297670\nexit';
      fs.writeFileSync(file, content);
      const db = path.join(dir, 'case.db');
      await ingest([file], { db });
      const h = openCaseDb(db, { readonly: true });
      try {
        const [s] = listSources(h);
        expect(lineCount(Buffer.from(content))).toBe(9);
        expect(s).toMatchObject({ format: 'shell-history', units: 9, stored: 9, skipped: 0 });
        expect(h.prepare(`SELECT src_line, command, ts_utc_ms, history_order FROM commands ORDER BY src_line`).all()).toEqual([
          { src_line: 1, command: 'ls', ts_utc_ms: null, history_order: 1 },
          { src_line: 2, command: 'sudo kill -9 16416', ts_utc_ms: 1795297650000, history_order: 2 },
          { src_line: 4, command: 'for i in 1 2; do\n  echo $i\ndone', ts_utc_ms: 1795297660000, history_order: 3 },
          { src_line: 8, command: 'exit', ts_utc_ms: 1795297670000, history_order: 4 },
        ]);
        expect(h.prepare(`SELECT src_line FROM events ORDER BY src_line`).all()).toEqual([1, 2, 4, 8].map((n) => ({ src_line: n })));
      } finally {
        h.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
