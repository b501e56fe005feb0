// The ingest contract end to end through the public API: every compression, idempotence, growth,
// rotated copies, crash and rerun, and damaged input.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { spawn, spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { ingest, listSources } from '../../src/index.js';
import { openCaseDb } from '../../src/store/db.js';
import { storeLines } from '../../src/store/lines.js';

const FIX = path.resolve(__dirname, '../fixtures/compression');
const SYSLOG_LINES = fs.readFileSync(path.join(FIX, 'syslog.txt'), 'utf8').trimEnd().split('\n');

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-ingest-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function count(dbFile: string, sql: string, ...args: unknown[]): number {
  const db = openCaseDb(dbFile, { readonly: true });
  try {
    return (db.prepare(sql).get(...args) as { n: number }).n;
  } finally {
    db.close();
  }
}

function manifest(dbFile: string) {
  const db = openCaseDb(dbFile, { readonly: true });
  try {
    return listSources(db);
  } finally {
    db.close();
  }
}

describe('decompression by magic bytes', () => {
  for (const [file, compression] of [
    ['syslog.txt', 'none'],
    ['syslog.txt.gz', 'gzip'],
    ['syslog.txt.bz2', 'bzip2'],
    ['syslog.txt.xz', 'xz'],
    ['syslog.txt.zst', 'zstd'],
  ] as const) {
    it(`reads ${compression} (${file}), even renamed without its suffix`, async () => {
      const evidence = path.join(dir, 'evidence');
      fs.mkdirSync(evidence);
      fs.copyFileSync(path.join(FIX, file), path.join(evidence, 'syslog')); // suffix removed on purpose
      const db = path.join(dir, 'case.db');
      const r = await ingest([evidence], { db });
      expect(r.newEvents).toBe(4);
      const [s] = manifest(db);
      expect(s).toMatchObject({ format: 'syslog', compression, units: 4, stored: 4, skipped: 0, status: 'ok' });
      expect(count(db, `SELECT COUNT(*) n FROM events WHERE program='CRON' AND pid=16600 AND src_line=4`)).toBe(1);
      const t = count(db, `SELECT ts_utc_ms n FROM events WHERE src_line=3`);
      expect(t).toBe(Date.UTC(2026, 10, 21, 21, 49, 13, 222));
    });
  }
});

describe('idempotence', () => {
  it('stores nothing when the same tree is ingested again', async () => {
    const db = path.join(dir, 'case.db');
    fs.copyFileSync(path.join(FIX, 'syslog.txt'), path.join(dir, 'syslog'));
    const first = await ingest([path.join(dir, 'syslog')], { db });
    const second = await ingest([path.join(dir, 'syslog')], { db });
    expect(first.newEvents).toBe(4);
    expect(second.newEvents).toBe(0);
    expect(second.unchanged).toBe(1);
    expect(count(db, `SELECT COUNT(*) n FROM events`)).toBe(4);
  });

  it('stores only the new lines of a file that grew', async () => {
    const db = path.join(dir, 'case.db');
    const live = path.join(dir, 'syslog');
    fs.writeFileSync(live, SYSLOG_LINES.slice(0, 2).join('\n') + '\n');
    await ingest([live], { db });
    fs.appendFileSync(live, SYSLOG_LINES.slice(2).join('\n') + '\n');
    const r = await ingest([live], { db });
    expect(r.newEvents).toBe(2);
    expect(count(db, `SELECT COUNT(*) n FROM events`)).toBe(4);
    expect(count(db, `SELECT MAX(src_line) n FROM events`)).toBe(4);
    expect(manifest(db)[0]).toMatchObject({ units: 4, stored: 4, skipped: 0 });
  });

  it('keeps a torn last line and completes it when the file grows', async () => {
    const db = path.join(dir, 'case.db');
    const live = path.join(dir, 'syslog');
    fs.writeFileSync(live, SYSLOG_LINES[0] + '\n' + SYSLOG_LINES[1].slice(0, 40));
    await ingest([live], { db });
    expect(count(db, `SELECT COUNT(*) n FROM events`)).toBe(2);
    fs.appendFileSync(live, SYSLOG_LINES[1].slice(40) + '\n');
    await ingest([live], { db });
    expect(count(db, `SELECT COUNT(*) n FROM events`)).toBe(2);
    expect(count(db, `SELECT COUNT(*) n FROM events WHERE src_line=2 AND pid=16520`)).toBe(1);
  });

  it('recognises a rotated copy compressed later and does not store it twice', async () => {
    const db = path.join(dir, 'case.db');
    const evidence = path.join(dir, 'log');
    fs.mkdirSync(evidence);
    fs.copyFileSync(path.join(FIX, 'syslog.txt'), path.join(evidence, 'syslog.1'));
    await ingest([evidence], { db });
    // logrotate later: syslog.1 → syslog.2.gz, and a new syslog.1 holding more lines.
    fs.renameSync(path.join(evidence, 'syslog.1'), path.join(dir, 'old'));
    fs.writeFileSync(path.join(evidence, 'syslog.2.gz'), zlib.gzipSync(fs.readFileSync(path.join(dir, 'old'))));
    const r = await ingest([evidence], { db });
    expect(r.newEvents).toBe(0);
    const gz = manifest(db).find((s) => s.path.endsWith('syslog.2.gz'))!;
    expect(gz).toMatchObject({ status: 'duplicate', units: 4, stored: 4, skipped: 0 });
    expect(count(db, `SELECT COUNT(*) n FROM events`)).toBe(4);
  });
});

describe('crash safety', () => {
  it('a killed ingest, run again, equals a clean run', async () => {
    const big = path.join(dir, 'messages');
    const lines: string[] = [];
    for (let i = 0; i < 300000; i++) lines.push(`2026-11-21T16:${String(10 + (i % 50)).padStart(2, '0')}:00.${String(i % 1000000).padStart(6, '0')}-05:00 vm app[${1000 + (i % 5000)}]: line ${i} of a long file`);
    fs.writeFileSync(big, lines.join('\n') + '\n');
    const cli = path.resolve(__dirname, '../../dist/cli/main.js');
    const hasDist = fs.existsSync(cli);
    const clean = path.join(dir, 'clean.db');
    await ingest([big], { db: clean });
    const killed = path.join(dir, 'killed.db');
    if (hasDist) {
      const child = spawn(process.execPath, [cli, 'ingest', big, '--db', killed, '--quiet']);
      // Kill it while it is writing batches.
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          if (fs.existsSync(killed) && fs.statSync(killed + '-wal', { throwIfNoEntry: false })?.size) {
            clearInterval(timer);
            child.kill('SIGKILL');
            resolve();
          }
        }, 5);
        child.on('exit', () => {
          clearInterval(timer);
          resolve();
        });
      });
      await new Promise((r) => setTimeout(r, 50));
    } else {
      // Without a build, simulate the interrupted state: a source still marked 'ingesting'.
      const db = openCaseDb(killed);
      db.prepare(`INSERT INTO sources (path, format, compression, status, attempt_from) VALUES (?, 'syslog', 'none', 'ingesting', 0)`).run(big);
      storeLines(db, 1, [{ src_line: 1, src_offset: 0, ts_utc_ms: null, ts_quality: 'exact', raw: 'x' }]);
      db.close();
    }
    await ingest([big], { db: killed });
    const q = `SELECT COUNT(*) n FROM events`;
    expect(count(killed, q)).toBe(300000);
    expect(count(killed, q)).toBe(count(clean, q));
    expect(count(killed, `SELECT SUM(src_line) n FROM events`)).toBe(count(clean, `SELECT SUM(src_line) n FROM events`));
    expect(manifest(killed)[0]).toMatchObject({ units: 300000, stored: 300000, status: 'ok' });
  });
});

describe('damaged and hostile input', () => {
  it('keeps every line before the damage of a truncated gzip and names file and offset', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 50000; i++) lines.push(`2026-11-21T16:49:11.${String(i).padStart(6, '0')}-05:00 vm app[1]: ${i} ${Math.random()}`);
    const gz = zlib.gzipSync(Buffer.from(lines.join('\n') + '\n'));
    const file = path.join(dir, 'syslog.3.gz');
    fs.writeFileSync(file, gz.subarray(0, Math.floor(gz.length / 2)));
    const expected = spawnSync('sh', ['-c', `zcat '${file}' 2>/dev/null | wc -l`], { encoding: 'utf8' });
    const db = path.join(dir, 'case.db');
    const r = await ingest([file], { db });
    expect(r.damaged).toBe(1);
    const [s] = manifest(db);
    expect(s.status).toBe('damaged');
    // zcat's count of whole lines; the torn last line is kept too.
    expect(s.units).toBe(Number(expected.stdout.trim()) + 1);
    expect(s.stored + s.skipped).toBe(s.units);
    const conn = openCaseDb(db, { readonly: true });
    const w = conn.prepare(`SELECT message FROM warnings WHERE message LIKE '%gzip stream damaged%'`).get() as { message: string };
    conn.close();
    expect(w.message).toContain(file);
    expect(w.message).toMatch(/compressed byte \d+/);
  });

  it('stores lines with invalid UTF-8, NUL bytes and a multi-megabyte line, each with a warning', async () => {
    const file = path.join(dir, 'syslog');
    const parts = [
      Buffer.from(SYSLOG_LINES[0] + '\n'),
      Buffer.concat([Buffer.from('2026-11-21T16:49:12.000000-05:00 vm app[2]: bad '), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('\n')]),
      Buffer.concat([Buffer.alloc(4096, 0), Buffer.from('2026-11-21T16:49:13.000000-05:00 vm app[3]: after zeros\n')]),
      Buffer.from('2026-11-21T16:49:14.000000-05:00 vm app[4]: ' + 'x'.repeat(3 * 1024 * 1024) + '\n'),
      Buffer.from(SYSLOG_LINES[3] + '\n'),
    ];
    fs.writeFileSync(file, Buffer.concat(parts));
    const db = path.join(dir, 'case.db');
    await ingest([file], { db });
    const [s] = manifest(db);
    expect(s).toMatchObject({ units: 5, stored: 5, skipped: 0 });
    expect(s.warnings).toBeGreaterThanOrEqual(3);
    expect(count(db, `SELECT COUNT(*) n FROM events WHERE pid=3 AND message='after zeros'`)).toBe(1);
    expect(count(db, `SELECT COUNT(*) n FROM warnings WHERE message LIKE '%invalid UTF-8%' AND src_line=2`)).toBe(1);
    expect(count(db, `SELECT COUNT(*) n FROM warnings WHERE message LIKE '%4096 NUL bytes%' AND src_line=3`)).toBe(1);
    expect(count(db, `SELECT COUNT(*) n FROM warnings WHERE message LIKE '%cut to%' AND src_line=4`)).toBe(1);
    expect(count(db, `SELECT COUNT(*) n FROM events WHERE src_line=5 AND pid=16600`)).toBe(1);
  });

  it('lists FIFOs, unknown files and symlink loops instead of failing', async () => {
    const evidence = path.join(dir, 'log');
    fs.mkdirSync(evidence);
    fs.copyFileSync(path.join(FIX, 'syslog.txt'), path.join(evidence, 'syslog'));
    fs.writeFileSync(path.join(evidence, 'random.bin'), Buffer.from([0, 1, 2, 3, 200, 201, 202]));
    spawnSync('mkfifo', [path.join(evidence, 'initctl')]);
    fs.symlinkSync(evidence, path.join(evidence, 'loop'));
    const db = path.join(dir, 'case.db');
    const r = await ingest([evidence], { db });
    const m = manifest(db);
    expect(r.newEvents).toBe(4);
    expect(m.find((s) => s.path.endsWith('random.bin'))).toMatchObject({ format: 'unknown', status: 'unknown-format' });
    if (fs.existsSync(path.join(evidence, 'initctl'))) {
      expect(m.find((s) => s.path.endsWith('initctl'))).toMatchObject({ status: 'not-regular' });
    }
    expect(m.filter((s) => s.path.includes('/loop/')).length).toBe(0);
  });

  it('never writes into the evidence', async () => {
    const evidence = path.join(dir, 'log');
    fs.mkdirSync(evidence);
    fs.copyFileSync(path.join(FIX, 'syslog.txt.gz'), path.join(evidence, 'syslog.2.gz'));
    const before = fs.readdirSync(evidence).map((f) => [f, fs.statSync(path.join(evidence, f)).mtimeMs]);
    await ingest([evidence], { db: path.join(dir, 'case.db') });
    const after = fs.readdirSync(evidence).map((f) => [f, fs.statSync(path.join(evidence, f)).mtimeMs]);
    expect(after).toEqual(before);
  });
});
