// The anchor pass in bounded memory: the streaming pieces agree with the plain array arithmetic,
// and a boot with more anchor lines than one read page is timed exactly as the arithmetic says.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootAt, findLate, plateauLookup, plateaus, type AnchorPoint } from '../../src/time/anchor.js';
import { ingest, openCaseDb } from '../../src/index.js';

/** The deque arithmetic as first written (array shift/unshift), kept as the reference. */
function referenceFindLate(points: AnchorPoint[], windowMs = 60000, slackMs = 1000): boolean[] {
  const late = new Array<boolean>(points.length).fill(false);
  const dq: number[] = [];
  for (let i = points.length - 1; i >= 0; i--) {
    const p = points[i];
    while (dq.length && points[dq[dq.length - 1]].ts_utc_ms > p.ts_utc_ms + windowMs) dq.pop();
    if (dq.length && points[dq[dq.length - 1]].off < p.off - slackMs) late[i] = true;
    while (dq.length && points[dq[0]].off >= p.off) dq.shift();
    dq.unshift(i);
  }
  return late;
}

/** Deterministic pseudo-random numbers (no dependence on the run). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const BOOT = Date.UTC(2026, 10, 21, 21, 6, 0, 560);

function point(uptime_ms: number, ts: number): AnchorPoint {
  return { source_id: 1, src_line: 0, uptime_ms, ts_utc_ms: ts, off: ts - uptime_ms, text_key: null };
}

/** Sorted points from several files of one boot: bursts, clock steps, repeated uptimes. */
function messyPoints(seed: number, n: number): AnchorPoint[] {
  const r = rng(seed);
  const pts: AnchorPoint[] = [];
  let u = 0;
  let step = 0;
  for (let i = 0; i < n; i++) {
    if (r() > 0.3) u += Math.floor(r() * 5000);
    if (r() < 0.02) step += Math.floor((r() - 0.3) * 7_200_000);
    const burst = r() < 0.1 ? Math.floor(r() * 120_000) : 0;
    pts.push(point(u, BOOT + step + u + burst + Math.floor(r() * 900)));
  }
  return pts.sort((a, b) => a.uptime_ms - b.uptime_ms || a.ts_utc_ms - b.ts_utc_ms);
}

describe('streaming anchor arithmetic', () => {
  it('flags the same late lines as the array deque, windows of any shape', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const pts = messyPoints(seed, 600);
      for (const [w, slack] of [
        [60000, 1000],
        [60000, 2000],
        [5000, 0],
      ])
        expect(findLate(pts, w, slack), `seed ${seed}`).toEqual(referenceFindLate(pts, w, slack));
    }
  });

  it('finds by binary search the plateau bootAt finds by scanning', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const pts = messyPoints(seed, 400);
      const kept = pts.filter((_, i) => !findLate(pts)[i]);
      const list = plateaus(kept, 2000, seed % 2 ? 500 : 0);
      const at = plateauLookup(list);
      const last = pts[pts.length - 1].uptime_ms;
      const probes = [0, -5, last + 1, last + 10_000_000, ...pts.map((p) => p.uptime_ms), ...pts.map((p) => p.uptime_ms + 1)];
      for (let k = 0; k < 200; k++) probes.push(Math.floor(rng(seed * 1000 + k)() * (last + 2000)));
      for (const u of probes) expect(at(u), `seed ${seed} uptime ${u}`).toBe(bootAt(list, u));
    }
    // Plateaus that touch or share one uptime, and ties broken by the number of points.
    const tied = [
      { from_uptime_ms: 0, to_uptime_ms: 100, boot_utc_ms: 1, n: 2 },
      { from_uptime_ms: 100, to_uptime_ms: 100, boot_utc_ms: 2, n: 5 },
      { from_uptime_ms: 100, to_uptime_ms: 300, boot_utc_ms: 3, n: 5 },
      { from_uptime_ms: 500, to_uptime_ms: 500, boot_utc_ms: 4, n: 1 },
      { from_uptime_ms: 500, to_uptime_ms: 600, boot_utc_ms: 5, n: 3 },
    ];
    const at = plateauLookup(tied);
    for (const u of [0, 50, 100, 200, 300, 399, 400, 401, 500, 550, 700]) expect(at(u), `uptime ${u}`).toBe(bootAt(tied, u));
    expect(at(100)).toBe(2);
    expect(at(400)).toBe(3); // 100 ms from the plateaus 3, 4 and 5: the one with most points
  });
});

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '000+00:00');
}

function stamp(us: number): string {
  return `[${String(Math.floor(us / 1e6)).padStart(5)}.${String(us % 1e6).padStart(6, '0')}]`;
}

describe('anchoring a boot larger than a read page', () => {
  it('times 20000 kern.log lines and their dmesg twins as the arithmetic says', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-anchor-bounded-'));
    try {
      const STEP = 3_600_000;
      const readAt = BOOT + 30_000; // rsyslog started at uptime 30 s and read the ring buffer
      const kern: string[] = [];
      const dmesg: string[] = ['[    0.000000] Linux version 6.1.0'];
      const pts: AnchorPoint[] = [];
      const uptimes: number[] = [0];
      for (let i = 0; i < 20000; i++) {
        const us = 500_000 + i * 997_331; // 0.5 s to about 5.5 h
        const u = Math.round(Number(stamp(us).slice(1, -1)) * 1000);
        const live = BOOT + u + 2 + (i % 7) + (u > 10_000_000 ? STEP : 0);
        const ts = u < 30_000 ? readAt : live;
        const msg = `IN=eth0 OUT= SRC=10.0.${i % 256}.${(i * 7) % 256} DST=10.0.0.1 LEN=60 ID=${i}`;
        kern.push(`${iso(ts)} vm kernel: ${stamp(us)} ${msg}`);
        dmesg.push(`${stamp(us)} ${msg}`);
        pts.push(point(u, ts));
        uptimes.push(u);
        if (i % 1000 === 0) {
          dmesg.push(`${stamp(us + 1)} only in dmesg ${i}`);
          uptimes.push(u);
        }
      }
      fs.mkdirSync(path.join(dir, 'log'));
      fs.writeFileSync(path.join(dir, 'log/kern.log'), kern.join('\n') + '\n');
      fs.writeFileSync(path.join(dir, 'log/dmesg'), dmesg.join('\n') + '\n');
      await ingest([path.join(dir, 'log')], { db: path.join(dir, 'case.db') });

      const late = referenceFindLate(pts);
      const list = plateaus(
        pts.filter((_, i) => !late[i]),
        2000,
        0,
      );
      expect(late.filter(Boolean).length).toBe(29); // the 30th burst line was read within 1 s of its time
      expect(list).toHaveLength(2);
      const db = openCaseDb(path.join(dir, 'case.db'));
      const rows = (format: string) =>
        db
          .prepare(`SELECT e.ts_utc_ms, e.ts_quality FROM events e JOIN sources s ON s.id = e.source_id WHERE s.format = ? ORDER BY e.src_line`)
          .all(format) as Array<{ ts_utc_ms: number; ts_quality: string }>;
      const d = rows('dmesg');
      expect(d.map((r) => r.ts_utc_ms)).toEqual(uptimes.map((u) => bootAt(list, u) + u));
      expect(d.every((r) => r.ts_quality === 'uptime_anchored')).toBe(true);
      const k = rows('syslog');
      expect(k.map((r) => r.ts_utc_ms)).toEqual(pts.map((p, i) => (late[i] ? bootAt(list, p.uptime_ms) + p.uptime_ms : p.ts_utc_ms)));
      expect(k.filter((r) => r.ts_quality === 'uptime_anchored')).toHaveLength(29);
      const boots = db.prepare(`SELECT boot_utc_ms, method FROM boots`).all() as Array<{ boot_utc_ms: number; method: string }>;
      expect(boots).toHaveLength(2);
      for (const b of boots) {
        expect(b.boot_utc_ms).toBe(bootAt(list, 0));
        expect(b.method).toMatch(/19971 lines in 1 source segment\(s\); 29 lines read late.*; 1 clock step/);
      }
      db.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 30000);
});
