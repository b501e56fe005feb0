// The line blocks (src/store/lines.ts): every way the correlation reads stored lines must give what
// the plain `events` view gives, row for row, on a case whose files interleave in time and span
// many blocks; blocks are cut, merged and rewritten without losing or reordering a line.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, openCaseDb } from '../../src/index.js';
import { BlockEditor, BLOCK_LINES, LineStore, storeLines, type StoredLine } from '../../src/store/lines.js';
import type { Db } from '../../src/store/db.js';

const T0 = Date.UTC(2026, 10, 21, 10, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString().replace('Z', '000+00:00');

/** A busy syslog and an auth.log whose lines interleave with it, many blocks each. */
function writeTree(dir: string): void {
  const syslog: string[] = [];
  for (let i = 0; i < 2600; i++) {
    const pid = 1000 + (i % 37);
    const prog = i % 5 === 0 ? 'CRON' : i % 7 === 0 ? 'kernel' : 'app';
    // Every 400th line steps back 3 s (a daemon's late write): time order is not file order.
    const ms = T0 + i * 1000 - (i % 400 === 399 ? 3000 : 0);
    syslog.push(prog === 'kernel' ? `${iso(ms)} web-01 kernel: [ ${(100 + i).toFixed(6)}] line ${i}` : `${iso(ms)} web-01 ${prog}[${pid}]: line ${i}`);
  }
  const auth: string[] = [];
  for (let i = 0; i < 1300; i++) auth.push(`${iso(T0 + i * 2000 + 500)} web-01 sshd[${2000 + (i % 11)}]: auth line ${i}`);
  fs.writeFileSync(path.join(dir, 'syslog'), syslog.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'auth.log'), auth.join('\n') + '\n');
}

const key = (l: Pick<StoredLine, 'source_id' | 'src_line'>) => `${l.source_id}:${l.src_line}`;

describe('line blocks', () => {
  let dir: string;
  let dbFile: string;
  let db: Db;
  let all: StoredLine[];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-lines-'));
    const log = path.join(dir, 'log');
    fs.mkdirSync(log);
    writeTree(log);
    dbFile = path.join(dir, 'case.db');
    await ingest([log], { db: dbFile });
    db = openCaseDb(dbFile, { readonly: true });
    // The view's columns but its derived ISO time: what a StoredLine holds.
    all = (db.prepare(`SELECT * FROM events ORDER BY source_id, src_line`).all() as Array<StoredLine & { time_utc?: string }>).map(({ time_utc: _t, ...l }) => l);
  });
  afterAll(() => {
    db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stores every line once, in blocks of at most BLOCK_LINES that never overlap within a file', () => {
    expect(all).toHaveLength(3900);
    const blocks = db.prepare(`SELECT source_id, first_line, last_line, lines FROM event_blocks ORDER BY source_id, first_line`).all() as Array<{
      source_id: number;
      first_line: number;
      last_line: number;
      lines: number;
    }>;
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    for (const b of blocks) expect(b.lines).toBeLessThanOrEqual(BLOCK_LINES);
    for (let i = 1; i < blocks.length; i++) {
      if (blocks[i]!.source_id === blocks[i - 1]!.source_id) expect(blocks[i]!.first_line).toBeGreaterThan(blocks[i - 1]!.last_line);
    }
    const syslogLine = all.find((l) => l.raw.endsWith('app[1001]: line 1'))!;
    expect(syslogLine).toMatchObject({ src_line: 2, ts_quality: 'exact', host: 'web-01', program: 'app', pid: 1001, message: 'line 1' });
  });

  it('reads a line by provenance and a range of a file as the view does', () => {
    const lines = new LineStore(db);
    for (const want of [all[0]!, all[999]!, all[1000]!, all[2599]!, all[3899]!]) expect(lines.at(want.source_id, want.src_line)).toEqual(want);
    expect(lines.at(all[0]!.source_id, 99999)).toBeUndefined();
    const sid = all[0]!.source_id;
    const got = [...lines.range(sid, 995, 1010)].map((l) => l.src_line);
    expect(got).toEqual(Array.from({ length: 16 }, (_, i) => 995 + i));
  });

  it('walks lines by time, both ways, in the order of (time, file, line), and counts a window', () => {
    const lines = new LineStore(db);
    const lo = T0 + 900_000;
    const hi = T0 + 1_500_000;
    const inWindow = all.filter((l) => l.ts_utc_ms! >= lo && l.ts_utc_ms! <= hi);
    const asc = [...inWindow].sort((a, b) => a.ts_utc_ms! - b.ts_utc_ms! || a.source_id - b.source_id || a.src_line - b.src_line);
    expect([...lines.byTime(lo, hi, 'asc')].map(key)).toEqual(asc.map(key));
    expect([...lines.byTime(lo, hi, 'desc')].map(key)).toEqual([...asc].reverse().map(key));
    expect(lines.countByTime(lo, hi)).toBe(inWindow.length);
    const cron = [...lines.byTime(lo, hi, 'desc', (l) => l.program === 'CRON', { program: 'CRON' })];
    expect(cron.map(key)).toEqual([...asc].reverse().filter((l) => l.program === 'CRON').map(key));
  });

  it('finds the lines of a pid and the latest time before an instant', () => {
    const lines = new LineStore(db);
    expect([...lines.ofPid(1003)].map(key).sort()).toEqual(all.filter((l) => l.pid === 1003).map(key).sort());
    expect([...lines.ofPid(424242)]).toEqual([]);
    const t = T0 + 1_234_567;
    expect(lines.maxTsBefore(t)).toBe(Math.max(...all.filter((l) => l.ts_utc_ms! < t).map((l) => l.ts_utc_ms!)));
    expect(lines.maxTs()).toBe(Math.max(...all.map((l) => l.ts_utc_ms!)));
    expect([...lines.withProgram('kernel')].length).toBe(all.filter((l) => l.program === 'kernel').length);
  });

  it('reads the same rows through the sqlite3 shell, which decodes the blocks itself', () => {
    let out: string;
    try {
      out = execFileSync('sqlite3', [dbFile, `SELECT src_line, pid, message FROM events WHERE source_id = ${all[0]!.source_id} AND src_line IN (1, 1500)`], {
        encoding: 'utf8',
      });
    } catch {
      return; // no sqlite3 shell on this machine
    }
    const want = all.filter((l) => l.source_id === all[0]!.source_id && (l.src_line === 1 || l.src_line === 1500));
    expect(out.trim().split('\n')).toEqual(want.map((l) => `${l.src_line}|${l.pid ?? ''}|${l.message}`));
  });

  it('cuts a file after a line inside a block, and merges a few new lines into existing blocks', () => {
    const copy = path.join(dir, 'edit.db');
    fs.copyFileSync(dbFile, copy);
    const w = openCaseDb(copy);
    try {
      const sid = all.find((l) => l.program === 'app')!.source_id; // the syslog, 2600 lines

      new BlockEditor(w).truncate(sid, 1500);
      const left = w.prepare(`SELECT src_line FROM events WHERE source_id = ? ORDER BY src_line`).pluck().all(sid) as number[];
      expect(left).toHaveLength(1500);
      expect(left[left.length - 1]).toBe(1500);
      // A line put back in the middle of a block, one past the end: one block sequence again.
      storeLines(w, sid, [
        { src_line: 700, src_offset: 1, ts_utc_ms: T0, ts_quality: 'exact', program: 'x', raw: 'replaced' },
        { src_line: 1501, src_offset: 2, ts_utc_ms: T0 + 1, ts_quality: 'exact', program: 'x', raw: 'appended' },
      ]);
      const lines = new LineStore(w);
      expect(lines.at(sid, 700)?.raw).toBe('replaced');
      expect(lines.at(sid, 1501)?.raw).toBe('appended');
      expect(lines.at(sid, 701)?.message).toBe(all.find((l) => l.source_id === sid && l.src_line === 701)!.message);
      expect([...lines.range(sid)].length).toBe(1501);
      expect(w.prepare(`SELECT COUNT(*) FROM events WHERE source_id = ?`).pluck().get(sid)).toBe(1501);
      // Retiming rewrites only the listed lines, and the block's time range follows.
      new BlockEditor(w).retime((s, l) => (s === 0 && l === 0 ? [[sid, 5, T0 - 86_400_000]] : []), 'uptime_anchored');
      const moved = new LineStore(w).at(sid, 5)!;
      expect(moved).toMatchObject({ ts_utc_ms: T0 - 86_400_000, ts_quality: 'uptime_anchored' });
      expect(w.prepare(`SELECT MIN(ts_min) FROM event_blocks WHERE source_id = ?`).pluck().get(sid)).toBe(T0 - 86_400_000);
      const row = w.prepare(`SELECT data, json_bytes FROM event_block_data LIMIT 1`).get() as { data: Buffer; json_bytes: number };
      expect(row.data.length).toBeLessThan(row.json_bytes);
    } finally {
      w.close();
    }
  });
});
