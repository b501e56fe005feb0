// Acceptance on the lab sample (a real Debian 12 /var/log, host zone America/New_York, host clock
// UTC): every text file is read whole, and every kernel line — in RFC 3339 files, in the yearless
// New York files, and in the bare-uptime dmesg dump — lands on the right UTC instant.
import { openCaseDb } from '../../src/store/db.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest } from '../../src/index.js';
import { formatByName } from '../../src/formats/registry.js';
import { openDecoded } from '../../src/sources/decompress.js';

const SHARED = path.resolve(__dirname, '../../../shared');
const LAB = path.join(SHARED, 'lab-sample/var/log');

/** Lines as `wc -l` on the decompressed stream counts them, plus a last line without newline. */
async function lineCount(file: string): Promise<number> {
  const dec = await openDecoded(file);
  let n = 0;
  let lastByte = 10;
  for await (const chunk of dec.chunks) {
    for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) n++;
    if (chunk.length) lastByte = chunk[chunk.length - 1];
  }
  return n + (lastByte === 10 ? 0 : 1);
}

describe.skipIf(!fs.existsSync(LAB))('lab sample: units and kernel times', () => {
  let dir: string;
  let db: Database.Database;
  const truth = fs.existsSync(LAB) ? JSON.parse(fs.readFileSync(path.join(SHARED, 'lab-sample/truth.json'), 'utf8')) : null;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-lab-times-'));
    await ingest([LAB], { db: path.join(dir, 'case.db') });
    db = openCaseDb(path.join(dir, 'case.db'), { readonly: true });
    // Lines joined with lines: decoded once into a temporary table, not once per outer row.
    db.exec(`CREATE TEMP TABLE ev AS SELECT * FROM events; CREATE INDEX temp.ev_msg ON ev(message)`);
  }, 60000);
  afterAll(() => {
    db?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads every line of every text file; stored + skipped == units', async () => {
    const rows = db.prepare(`SELECT path, format, units, stored, skipped FROM sources`).all() as Array<{
      path: string;
      format: string;
      units: number;
      stored: number;
      skipped: number;
    }>;
    let textFiles = 0;
    for (const r of rows) {
      expect(r.stored + r.skipped, r.path).toBe(r.units);
      if (formatByName(r.format)?.unit !== 'line') continue;
      textFiles++;
      expect(r.units, r.path).toBe(await lineCount(r.path));
    }
    expect(textFiles).toBeGreaterThanOrEqual(27);
    const fmt = (name: string) => (rows.find((r) => r.path.endsWith('/' + name)) ?? { format: null }).format;
    expect(fmt('syslog.4.gz')).toBe('syslog');
    expect(fmt('messages')).toBe('syslog-traditional');
    expect(fmt('secure.1.bz2')).toBe('syslog-traditional');
    expect(fmt('dmesg')).toBe('dmesg');
  });

  it('gives every kernel uptime line a UTC time', () => {
    const missing = db.prepare(`SELECT COUNT(*) AS n FROM events WHERE uptime_s IS NOT NULL AND ts_utc_ms IS NULL`).get() as { n: number };
    expect(missing.n).toBe(0);
    const dmesg = db
      .prepare(`SELECT COUNT(*) AS n FROM events e JOIN sources s ON s.id = e.source_id WHERE s.format = 'dmesg' AND e.ts_quality = 'uptime_anchored'`)
      .get() as { n: number };
    expect(dmesg.n).toBe(872);
  });

  it('puts dmesg lines within 1 s of the same line in kern.log/syslog (lines stamped live)', () => {
    // boot_anchors keep the syslog daemon's own stamp; those it stamped late (burst) were re-timed.
    const pairs = db
      .prepare(
        `SELECT d.ts_utc_ms AS d_ts, b.ts_utc_ms AS s_ts, k.ts_quality AS k_quality, d.message
         FROM ev d JOIN sources ds ON ds.id = d.source_id AND ds.format = 'dmesg'
         JOIN ev k ON k.uptime_s = d.uptime_s AND k.message = d.message AND k.source_id <> d.source_id
         JOIN boot_anchors b ON b.source_id = k.source_id AND b.src_line = k.src_line`,
      )
      .all() as Array<{ d_ts: number; s_ts: number; k_quality: string; message: string }>;
    const live = pairs.filter((p) => p.k_quality !== 'uptime_anchored');
    expect(live.length).toBeGreaterThan(200);
    for (const p of live) expect(Math.abs(p.d_ts - p.s_ts), p.message).toBeLessThan(1000);
  });

  it('agrees with the audit epoch inside kernel audit lines, burst lines included', () => {
    const rows = db
      .prepare(`SELECT e.ts_utc_ms, e.message, s.path FROM events e JOIN sources s ON s.id = e.source_id WHERE e.uptime_s IS NOT NULL AND e.message LIKE 'audit: type=% audit(%'`)
      .all() as Array<{ ts_utc_ms: number; message: string; path: string }>;
    let checked = 0;
    for (const r of rows) {
      const m = /audit\((\d+)\.(\d{3}):/.exec(r.message)!;
      const epochMs = Number(m[1]) * 1000 + Number(m[2]);
      // The first records of the boot predate a wall-clock step (formats.md §2.6 hazard): skip them.
      if (epochMs < truth.boot_epoch * 1000) continue;
      expect(Math.abs(r.ts_utc_ms - epochMs), `${r.path}: ${r.message.slice(0, 60)}`).toBeLessThan(1000);
      checked++;
    }
    expect(checked).toBeGreaterThan(40);
  });

  it('anchors the boot within 1 s of the truth and says how', () => {
    const boots = db.prepare(`SELECT b.boot_utc_ms, b.method, s.format FROM boots b JOIN sources s ON s.id = b.source_id`).all() as Array<{
      boot_utc_ms: number;
      method: string;
      format: string;
    }>;
    const d = boots.find((b) => b.format === 'dmesg')!;
    expect(d).toBeTruthy();
    expect(Math.abs(d.boot_utc_ms - truth.boot_epoch * 1000)).toBeLessThan(1000);
    expect(d.method).toMatch(/same kernel lines/);
    expect(d.method).toMatch(/early-boot burst/);
  });

  it('converts the yearless New York files with the offset the host wrote (-05:00)', () => {
    const notes = db.prepare(`SELECT time_notes FROM sources WHERE path LIKE '%/messages'`).get() as { time_notes: string };
    expect(notes.time_notes).toMatch(/year 2026/);
    expect(notes.time_notes).toMatch(/-05:00 inferred/);
    // Every line of messages*/secure* has a twin (same program, pid, text) in the RFC 3339 files.
    // Lines of messages*/secure* with a twin (same program, pid, text) in the RFC 3339 files; a
    // repeated text (rsyslogd HUPed) pairs with its nearest twin.
    const pairs = db
      .prepare(
        `SELECT t.source_id, t.src_line, t.message, MIN(ABS(r.ts_utc_ms - t.ts_utc_ms - 500)) AS dist, MIN(r.ts_utc_ms - t.ts_utc_ms) AS d
         FROM ev t JOIN sources ts ON ts.id = t.source_id AND ts.format = 'syslog-traditional'
         JOIN ev r ON r.message = t.message AND r.program IS t.program AND r.pid IS t.pid
         JOIN sources rs ON rs.id = r.source_id AND rs.format = 'syslog'
         WHERE r.ts_quality = 'exact' AND t.ts_quality = 'local_assumed'
         GROUP BY t.source_id, t.src_line`,
      )
      .all() as Array<{ src_line: number; message: string; dist: number }>;
    expect(pairs.length).toBeGreaterThan(100);
    // Second resolution: the traditional stamp is the RFC 3339 one truncated, 0..999 ms before it.
    for (const p of pairs) expect(p.dist, p.message).toBeLessThanOrEqual(500);
  });
});
