// Shell history: bash with/without #epoch stamps, zsh extended history, owner from the path.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { shellHistory, userFromPath } from '../../src/formats/shell-history.js';
import type { Unit } from '../../src/formats/types.js';
import { runParser } from '../helpers/run-parser.js';

async function unitsOf(name: string, content: string | Buffer): Promise<{ units: Unit[]; path: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hist-'));
  const p = path.join(dir, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content);
  const units: Unit[] = [];
  for await (const u of shellHistory.readUnits!(p)) units.push(u);
  return { units, path: p };
}

describe('shell history', () => {
  it('user from the path', () => {
    expect(userFromPath('/case/home/alice/.bash_history')).toBe('alice');
    expect(userFromPath('/evidence/root/.zsh_history')).toBe('root');
    expect(userFromPath('/tmp/.bash_history')).toBeNull();
  });

  it('bash with timestamps: exact times, multi-line entries kept together, order counted', async () => {
    const { units, path: p } = await unitsOf('home/alice/.bash_history', '#1795297650\nsudo kill -9 16416\n#1795297660\nfor i in 1 2; do\n  echo $i\ndone\n#1795297670\nexit\n');
    expect(units.map((u) => u.index)).toEqual([1, 3, 7]);
    const got = runParser(shellHistory, units, { path: p });
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
  });

  it('detects by name, and by content only when stamped', () => {
    const probe = (name: string, s: string) => ({ head: Buffer.from(s), name, path: '/x/' + name, size: s.length });
    expect(shellHistory.detect(probe('.bash_history', 'ls\n'))).toBeGreaterThan(50);
    expect(shellHistory.detect(probe('hist.txt', ': 1795297650:0;ls\n: 1795297651:0;pwd\n'))).toBeGreaterThan(0);
    expect(shellHistory.detect(probe('notes.txt', 'ls\npwd\n'))).toBe(0);
    expect(shellHistory.detect(probe('history.log', 'Start-Date: 2024-01-01  10:00:00\n'))).toBe(0);
  });
});
