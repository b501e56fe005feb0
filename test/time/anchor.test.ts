// Uptime anchoring: burst lines, clock steps, twins across sources, and the wtmp fallback.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootAt, findLate, plateaus, parseBootTime, anchorUptimeEvents, type AnchorPoint } from '../../src/time/anchor.js';
import { ingest, openCaseDb } from '../../src/index.js';

const BOOT = Date.UTC(2026, 10, 21, 21, 6, 0, 560);
const pt = (uptime_s: number, ts: number, line = 0): AnchorPoint => {
  const uptime_ms = Math.round(uptime_s * 1000);
  return { source_id: 1, src_line: line, uptime_ms, ts_utc_ms: ts, off: ts - uptime_ms, text_key: null };
};

describe('anchor arithmetic', () => {
  it('flags lines read late in a burst, not the live ones', () => {
    const readAt = BOOT + 2547_100;
    const pts = [pt(2537.018, readAt), pt(2539.082, readAt), pt(2539.097, readAt), pt(2547.094, readAt + 6), pt(2557.8, BOOT + 2557_810)];
    expect(findLate(pts)).toEqual([true, true, true, false, false]);
    const list = plateaus(pts.filter((_, i) => !findLate(pts)[i]), 2000, 0);
    expect(list).toHaveLength(1);
    expect(Math.abs(list[0].boot_utc_ms - BOOT)).toBeLessThan(20);
  });

  it('splits plateaus at a clock step and uses the nearest one', () => {
    const STEP = 146_921_000;
    const pts = [pt(10, BOOT + 10_000), pt(20, BOOT + 20_000), pt(100, BOOT + STEP + 100_000), pt(200, BOOT + STEP + 200_000)];
    expect(findLate(pts).some(Boolean)).toBe(false);
    const list = plateaus(pts, 2000, 0);
    expect(list.map((p) => p.boot_utc_ms)).toEqual([BOOT, BOOT + STEP]);
    expect(bootAt(list, 0)).toBe(BOOT);
    expect(bootAt(list, 150_000)).toBe(BOOT + STEP);
    expect(bootAt(list, 90_000)).toBe(BOOT + STEP);
  });

  it('parses --boot-time only with an explicit zone or as epoch seconds', () => {
    expect(parseBootTime('1795295160.5')).toBe(1795295160500);
    expect(parseBootTime('2026-11-21T21:06:00Z')).toBe(Date.UTC(2026, 10, 21, 21, 6));
    expect(parseBootTime('2026-11-21 21:06:00')).toBeNull();
  });
});

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '000+00:00');
}

describe('anchoring through the pipeline', () => {
  it('times dmesg lines from the kern.log twin, skipping the burst, across a clock step', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-anchor-'));
    try {
      const STEP = 3600_000;
      const read = BOOT + 30_000; // rsyslog started at uptime 30 s and read the ring buffer
      const kern = [
        `${iso(read)} vm kernel: [    1.500000] early line one`,
        `${iso(read)} vm kernel: [   12.250000] early line two`,
        `${iso(BOOT + 40_000 + 3)} vm kernel: [   40.000000] live line`,
        `${iso(BOOT + STEP + 500_000 + 2)} vm kernel: [  500.000000] after the clock step`,
      ];
      const dm = ['[    0.000000] Linux version 6.1.0', '[    1.500000] early line one', '[   12.250000] early line two', '[   40.000000] live line', '[  500.000000] after the clock step', '[  600.000000] only in dmesg'];
      fs.mkdirSync(path.join(dir, 'log'));
      fs.writeFileSync(path.join(dir, 'log/kern.log'), kern.join('\n') + '\n');
      fs.writeFileSync(path.join(dir, 'log/dmesg'), dm.join('\n') + '\n');
      await ingest([path.join(dir, 'log')], { db: path.join(dir, 'case.db') });
      const db = openCaseDb(path.join(dir, 'case.db'));
      const rows = db.prepare(`SELECT e.message, e.ts_utc_ms, e.ts_quality, s.format FROM events e JOIN sources s ON s.id = e.source_id ORDER BY s.format, e.src_line`).all() as Array<{
        message: string;
        ts_utc_ms: number;
        ts_quality: string;
        format: string;
      }>;
      const d = rows.filter((r) => r.format === 'dmesg');
      expect(d.map((r) => r.ts_utc_ms - BOOT)).toEqual([3, 1503, 12253, 40003, STEP + 500_002, STEP + 600_002]);
      expect(d.every((r) => r.ts_quality === 'uptime_anchored')).toBe(true);
      // The burst lines of kern.log itself are re-timed; the live ones keep the daemon's stamp.
      const k = rows.filter((r) => r.format === 'syslog');
      expect(k.map((r) => r.ts_quality)).toEqual(['uptime_anchored', 'uptime_anchored', 'exact', 'exact']);
      expect(k[0].ts_utc_ms).toBe(BOOT + 1500 + 3);
      const boot = db.prepare(`SELECT method FROM boots b JOIN sources s ON s.id = b.source_id WHERE s.format = 'dmesg'`).get() as { method: string };
      expect(boot.method).toMatch(/2 lines read late.*1 clock step/);
      db.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('falls back to --boot-time, then to a wtmp BOOT_TIME record', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-anchor-'));
    try {
      fs.writeFileSync(path.join(dir, 'dmesg'), '[    0.000000] Linux version 6.1.0\n[   10.000000] x\n');
      const dbPath = path.join(dir, 'case.db');
      await ingest([path.join(dir, 'dmesg')], { db: dbPath, bootTime: String(BOOT / 1000) });
      const db = openCaseDb(dbPath);
      const t = () => (db.prepare(`SELECT ts_utc_ms FROM events ORDER BY src_line`).all() as Array<{ ts_utc_ms: number | null }>).map((r) => r.ts_utc_ms);
      expect(t()).toEqual([BOOT, BOOT + 10_000]);
      db.prepare(`INSERT INTO utmp_records (source_id, src_line, src_offset, file_kind, ts_utc_ms, ut_type, type_name, user) VALUES (99, 1, 0, 'wtmp', ?, 2, 'BOOT_TIME', 'reboot')`).run(BOOT - 86400_000);
      db.prepare(`INSERT INTO utmp_records (source_id, src_line, src_offset, file_kind, ts_utc_ms, ut_type, type_name, user) VALUES (99, 2, 0, 'wtmp', ?, 2, 'BOOT_TIME', 'reboot')`).run(BOOT + 4000);
      db.transaction(() => anchorUptimeEvents(db, { tz: null, bootTime: null }))();
      expect(t()).toEqual([BOOT + 4000, BOOT + 14_000]);
      const m = db.prepare(`SELECT method FROM boots`).get() as { method: string };
      expect(m.method).toMatch(/wtmp BOOT_TIME/);
      db.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
