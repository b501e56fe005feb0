// Maps kernel uptime stamps to UTC (formats.md §2.6).
//
// An anchor is the offset (wall − uptime) seen on lines that carry both (kern.log/syslog kernel
// lines with printk times). Three hazards shape the method:
//  * the early-boot burst: lines the syslog daemon reads from the ring buffer when it starts all
//    carry the read time, so their offset is too large (and any line read late looks the same);
//    a line is "late" when a line read within the next minute shows a smaller offset;
//  * clock steps (NTP, VM restore): the offset changes for good; the remaining lines form
//    plateaus of equal offset, and a line uses the plateau nearest in uptime;
//  * second-resolution stamps (traditional syslog) floor the wall time: their offsets sit up to
//    1 s below the truth, so half a second is added.
// Segments (source, boot_key) that share a kernel line (same µs uptime and text) are one boot;
// their anchor points are pooled. Lines that carry only an uptime (dmesg, kmsg) take the pooled
// anchor of their boot; else the user's --boot-time; else a wtmp/wtmpdb BOOT_TIME record (written
// at userspace start, a few seconds after uptime 0). Anchor lines found late are re-timed from the
// plateau (quality 'uptime_anchored'); their raw line keeps the daemon's stamp.
import type { Db } from '../store/db.js';
import type { PostPassOptions } from '../ingest/postpasses.js';
import { kernelTextKey } from '../formats/syslog.js';

export interface AnchorPoint {
  source_id: number;
  src_line: number;
  uptime_ms: number;
  ts_utc_ms: number;
  /** ts − uptime: the boot instant this line implies. */
  off: number;
  text_key: string | null;
}

export interface Plateau {
  from_uptime_ms: number;
  to_uptime_ms: number;
  /** Boot instant (UTC ms of uptime 0) on this plateau. */
  boot_utc_ms: number;
  n: number;
}

/** A line read later than another line read within `windowMs` after it, by more than `slackMs`. */
export function findLate(points: AnchorPoint[], windowMs = 60000, slackMs = 1000): boolean[] {
  const late = new Array<boolean>(points.length).fill(false);
  // Monotonic deque of later points in the window: offsets strictly decreasing front to back.
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

/** Groups points (ordered by uptime) into plateaus of equal offset; a jump of more than `stepMs` starts a new one. */
export function plateaus(points: AnchorPoint[], stepMs: number, addMs: number): Plateau[] {
  const out: Plateau[] = [];
  let cur: { from: number; to: number; min: number; n: number } | null = null;
  for (const p of points) {
    if (cur && Math.abs(p.off - cur.min) <= stepMs) {
      cur.to = p.uptime_ms;
      if (p.off < cur.min) cur.min = p.off;
      cur.n++;
      continue;
    }
    if (cur) out.push({ from_uptime_ms: cur.from, to_uptime_ms: cur.to, boot_utc_ms: cur.min + addMs, n: cur.n });
    cur = { from: p.uptime_ms, to: p.uptime_ms, min: p.off, n: 1 };
  }
  if (cur) out.push({ from_uptime_ms: cur.from, to_uptime_ms: cur.to, boot_utc_ms: cur.min + addMs, n: cur.n });
  return out;
}

/** The plateau that covers `uptimeMs`, else the nearest in uptime. */
export function bootAt(list: Plateau[], uptimeMs: number): number {
  let best = list[0];
  let bestDist = Infinity;
  for (const p of list) {
    const d = uptimeMs < p.from_uptime_ms ? p.from_uptime_ms - uptimeMs : uptimeMs > p.to_uptime_ms ? uptimeMs - p.to_uptime_ms : 0;
    if (d < bestDist || (d === bestDist && p.n > best.n)) {
      best = p;
      bestDist = d;
    }
  }
  return best.boot_utc_ms;
}

interface Seg {
  key: string;
  source_id: number;
  boot_key: string | null;
  host: string | null;
  exact: AnchorPoint[];
  local: AnchorPoint[];
}

const FACT_TABLES_WITH_TIME = ['signals', 'logins', 'commands', 'process_ends', 'services', 'audit_loss', 'audit_records'] as const;

export function anchorUptimeEvents(db: Db, opts: PostPassOptions): void {
  db.prepare(`DELETE FROM boots`).run();
  const insertBoot = db.prepare(`INSERT INTO boots (host, source_id, boot_key, boot_utc_ms, method, samples) VALUES (?, ?, ?, ?, ?, ?)`);

  // 1. Anchored segments and their points, in file order.
  const segs = new Map<string, Seg>();
  const rows = db
    .prepare(
      `SELECT source_id, src_line, host, boot_key, uptime_s, ts_utc_ms, kind, text_key FROM boot_anchors
       WHERE uptime_s IS NOT NULL AND ts_utc_ms IS NOT NULL ORDER BY source_id, src_line`,
    )
    .all() as Array<{ source_id: number; src_line: number; host: string | null; boot_key: string | null; uptime_s: number; ts_utc_ms: number; kind: string | null; text_key: string | null }>;
  for (const r of rows) {
    const key = `${r.source_id}|${r.boot_key}`;
    let s = segs.get(key);
    if (!s) segs.set(key, (s = { key, source_id: r.source_id, boot_key: r.boot_key, host: r.host, exact: [], local: [] }));
    const uptime_ms = Math.round(r.uptime_s * 1000);
    const p: AnchorPoint = { source_id: r.source_id, src_line: r.src_line, uptime_ms, ts_utc_ms: r.ts_utc_ms, off: r.ts_utc_ms - uptime_ms, text_key: r.text_key };
    (r.kind === 'syslog-kernel-local' ? s.local : s.exact).push(p);
  }

  // 2. Segments with uptime-only lines.
  const bare = db
    .prepare(
      `SELECT id, source_id, src_line, boot_key, uptime_s, message, ts_utc_ms FROM events
       WHERE uptime_s IS NOT NULL AND (ts_utc_ms IS NULL OR ts_quality = 'uptime_anchored') ORDER BY source_id, src_line`,
    )
    .all() as Array<{ id: number; source_id: number; src_line: number; boot_key: string | null; uptime_s: number; message: string; ts_utc_ms: number | null }>;
  const bareSegs = new Map<string, { source_id: number; boot_key: string | null; events: typeof bare }>();
  for (const e of bare) {
    const key = `${e.source_id}|${e.boot_key}`;
    if (segs.has(key)) continue; // a late anchor line re-timed on an earlier run
    let s = bareSegs.get(key);
    if (!s) bareSegs.set(key, (s = { source_id: e.source_id, boot_key: e.boot_key, events: [] }));
    s.events.push(e);
  }

  // 3. One boot = segments joined by a shared kernel line (uptime >= 1 s: earlier lines repeat across boots).
  const parent = new Map<string, string>();
  const find = (k: string): string => {
    let r = k;
    while (parent.get(r) !== r && parent.has(r)) r = parent.get(r)!;
    parent.set(k, r);
    return r;
  };
  const union = (a: string, b: string) => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(rb, ra);
  };
  for (const k of [...segs.keys(), ...bareSegs.keys()]) parent.set(k, k);
  const byText = new Map<string, string>();
  for (const s of segs.values()) {
    for (const p of [...s.exact, ...s.local]) {
      if (p.uptime_ms < 1000 || !p.text_key) continue;
      const other = byText.get(p.text_key);
      if (other === undefined) byText.set(p.text_key, s.key);
      else if (other !== s.key) union(other, s.key);
    }
  }
  for (const [k, s] of bareSegs) {
    for (const e of s.events) {
      if (e.uptime_s < 1) continue;
      const other = byText.get(kernelTextKey(e.uptime_s, e.message));
      if (other !== undefined) union(other, k);
    }
  }

  // 4. Pooled plateaus per boot.
  const clusters = new Map<string, Seg[]>();
  for (const s of segs.values()) {
    const r = find(s.key);
    let c = clusters.get(r);
    if (!c) clusters.set(r, (c = []));
    c.push(s);
  }
  const clusterInfo = new Map<string, { list: Plateau[]; method: string; samples: number }>();
  const retime = db.prepare(`UPDATE events SET ts_utc_ms = ?, ts_quality = 'uptime_anchored' WHERE source_id = ? AND src_line = ?`);
  // Fact rows follow their line's new time; collected here and applied with one pass per table.
  db.prepare(`CREATE TEMP TABLE IF NOT EXISTS retimed (source_id INTEGER, src_line INTEGER, old_ts INTEGER, new_ts INTEGER, PRIMARY KEY (source_id, src_line))`).run();
  db.prepare(`DELETE FROM temp.retimed`).run();
  const noteRetimed = db.prepare(`INSERT OR REPLACE INTO temp.retimed VALUES (?, ?, ?, ?)`);
  for (const [root, members] of clusters) {
    const exact = members.flatMap((m) => m.exact);
    const secondRes = exact.length === 0;
    const points = (secondRes ? members.flatMap((m) => m.local) : exact).sort((a, b) => a.uptime_ms - b.uptime_ms || a.ts_utc_ms - b.ts_utc_ms);
    if (!points.length) continue;
    const late = findLate(points, 60000, secondRes ? 2000 : 1000);
    const kept = points.filter((_, i) => !late[i]);
    const list = plateaus(kept, secondRes ? 3000 : 2000, secondRes ? 500 : 0);
    const nLate = late.filter(Boolean).length;
    const method =
      `wall-clock and uptime on the same kernel lines (${kept.length} ${secondRes ? 'second-resolution ' : ''}lines in ${members.length} source segment(s)` +
      (nLate ? `; ${nLate} lines read late by the syslog daemon (early-boot burst) skipped and re-timed` : '') +
      (list.length > 1 ? `; ${list.length - 1} clock step(s): nearest plateau used` : '') +
      ')';
    clusterInfo.set(root, { list, method, samples: kept.length });
    for (const m of members) insertBoot.run(m.host, m.source_id, m.boot_key, bootAt(list, 0), method, m.exact.length + m.local.length);
    // Re-time late anchor lines of every member (exact and local), from the plateau.
    for (const m of members) {
      const own = [...m.exact, ...m.local].sort((a, b) => a.uptime_ms - b.uptime_ms || a.ts_utc_ms - b.ts_utc_ms);
      const ownLate = findLate(own, 60000, m.exact.length ? 1000 : 2000);
      own.forEach((p, i) => {
        if (!ownLate[i]) return;
        const t = bootAt(list, p.uptime_ms) + p.uptime_ms;
        retime.run(t, p.source_id, p.src_line);
        noteRetimed.run(p.source_id, p.src_line, p.ts_utc_ms, t);
      });
    }
  }

  // 5. Uptime-only segments.
  const userBoot = parseBootTime(opts.bootTime);
  const wtmpBoots = bootRecords(db);
  const setTs = db.prepare(`UPDATE events SET ts_utc_ms = ?, ts_quality = 'uptime_anchored' WHERE id = ?`);
  const bySource = new Map<number, Array<[string, { source_id: number; boot_key: string | null; events: typeof bare }]>>();
  for (const e of bareSegs) {
    const l = bySource.get(e[1].source_id) ?? [];
    l.push(e);
    bySource.set(e[1].source_id, l);
  }
  const mtimeOf = db.prepare(`SELECT mtime_ms FROM sources WHERE id = ?`);
  for (const [source_id, list] of bySource) {
    // wtmp fallback: the boots of this file, last segment = latest boot record at or before the file's mtime.
    const mt = (mtimeOf.get(source_id) as { mtime_ms: number | null } | undefined)?.mtime_ms ?? null;
    const usable = wtmpBoots.filter((b) => mt === null || b <= mt + 60000);
    list.forEach(([key, s], idx) => {
      const info = clusterInfo.get(find(key));
      let method = '';
      let at: (uptimeMs: number) => number;
      let boot: number;
      if (info) {
        boot = bootAt(info.list, 0);
        at = (u) => bootAt(info.list, u);
        method = `same kernel lines found in an anchored source: ${info.method}`;
      } else if (userBoot !== null) {
        boot = userBoot;
        at = () => userBoot;
        method = 'boot time given with --boot-time';
      } else {
        const w = usable[usable.length - (list.length - idx)];
        if (w === undefined) return;
        boot = w;
        at = () => w;
        method =
          `wtmp BOOT_TIME record ${new Date(w).toISOString()} (the ${list.length - idx === 1 ? 'latest' : `${list.length - idx}th latest`} at or before the file's mtime); ` +
          'written at userspace start, so times are a few seconds late';
      }
      insertBoot.run(null, source_id, s.boot_key, boot, method, s.events.length);
      for (const e of s.events) {
        const u = Math.round(e.uptime_s * 1000);
        const t = at(u) + u;
        setTs.run(t, e.id);
        noteRetimed.run(source_id, e.src_line, e.ts_utc_ms, t);
      }
    });
  }
  for (const t of FACT_TABLES_WITH_TIME) {
    if (!hasColumn(db, t, 'ts_utc_ms')) continue;
    const match = `r.source_id = ${t}.source_id AND r.src_line = ${t}.src_line AND (r.old_ts IS NULL AND ${t}.ts_utc_ms IS NULL OR r.old_ts = ${t}.ts_utc_ms)`;
    const q = hasColumn(db, t, 'ts_quality') ? `, ts_quality = 'uptime_anchored'` : '';
    db.prepare(
      `UPDATE ${t} SET ts_utc_ms = (SELECT r.new_ts FROM temp.retimed r WHERE ${match})${q}
       WHERE EXISTS (SELECT 1 FROM temp.retimed r WHERE ${match})`,
    ).run();
  }
  db.prepare(`DELETE FROM temp.retimed`).run();
}

/** BOOT_TIME instants from wtmp/wtmpdb rows (another module writes utmp_records), oldest first. */
function bootRecords(db: Db): number[] {
  if (!hasColumn(db, 'utmp_records', 'type_name')) return [];
  const rows = db
    .prepare(`SELECT DISTINCT ts_utc_ms FROM utmp_records WHERE type_name = 'BOOT_TIME' AND ts_utc_ms IS NOT NULL ORDER BY ts_utc_ms`)
    .all() as Array<{ ts_utc_ms: number }>;
  return rows.map((r) => r.ts_utc_ms);
}

const columnCache = new WeakMap<Db, Map<string, Set<string>>>();
function hasColumn(db: Db, table: string, column: string): boolean {
  let m = columnCache.get(db);
  if (!m) columnCache.set(db, (m = new Map()));
  let cols = m.get(table);
  if (!cols) {
    cols = new Set((db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((r) => r.name));
    m.set(table, cols);
  }
  return cols.has(column);
}

export function parseBootTime(v: string | null): number | null {
  if (!v) return null;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isFinite(t) && /([zZ]|[+-]\d\d:?\d\d)$/.test(v) ? t : null;
}
