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
// A busy kern.log holds millions of such lines: the pass keeps per-boot state in memory (plateaus,
// one read window) and leaves the lines to SQLite, so its memory does not grow with the case.
import type { Db } from '../store/db.js';
import { LINE_TIMED_TABLES } from '../store/schema/index.js';
import type { PostPassOptions } from '../ingest/postpasses.js';
import { kernelTextKey } from '../formats/syslog.js';
import { BlockEditor, decodeBlock, isAnchorable, L, messageOf } from '../store/lines.js';

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

/**
 * Streaming form of `findLate`: feed points from the last (in uptime order) to the first; `push`
 * says whether the point just fed is late. Holds only the points of one read window.
 */
export class LateFinder {
  // Monotonic deque of later points in the window, offsets strictly decreasing front to back.
  // Stored back (index `head`) to front (end of the arrays) so every operation is O(1).
  private ts: number[] = [];
  private off: number[] = [];
  private head = 0;

  constructor(
    private readonly windowMs = 60000,
    private readonly slackMs = 1000,
  ) {}

  push(ts_utc_ms: number, off: number): boolean {
    const { ts, off: offs } = this;
    while (this.head < ts.length && ts[this.head] > ts_utc_ms + this.windowMs) this.head++;
    const late = this.head < ts.length && offs[this.head] < off - this.slackMs;
    while (this.head < ts.length && offs[offs.length - 1] >= off) {
      ts.pop();
      offs.pop();
    }
    if (this.head === ts.length) {
      ts.length = offs.length = this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > ts.length) {
      this.ts = ts.slice(this.head);
      this.off = offs.slice(this.head);
      this.head = 0;
    }
    this.ts.push(ts_utc_ms);
    this.off.push(off);
    return late;
  }
}

/** A line read later than another line read within `windowMs` after it, by more than `slackMs`. */
export function findLate(points: AnchorPoint[], windowMs = 60000, slackMs = 1000): boolean[] {
  const late = new Array<boolean>(points.length).fill(false);
  const lf = new LateFinder(windowMs, slackMs);
  for (let i = points.length - 1; i >= 0; i--) late[i] = lf.push(points[i].ts_utc_ms, points[i].off);
  return late;
}

/** Streaming form of `plateaus`: feed points in uptime order, then `finish`. */
export class PlateauBuilder {
  private readonly out: Plateau[] = [];
  private cur: { from: number; to: number; min: number; n: number } | null = null;

  constructor(
    private readonly stepMs: number,
    private readonly addMs: number,
  ) {}

  add(uptime_ms: number, off: number): void {
    const cur = this.cur;
    if (cur && Math.abs(off - cur.min) <= this.stepMs) {
      cur.to = uptime_ms;
      if (off < cur.min) cur.min = off;
      cur.n++;
      return;
    }
    this.close();
    this.cur = { from: uptime_ms, to: uptime_ms, min: off, n: 1 };
  }

  finish(): Plateau[] {
    this.close();
    return this.out;
  }

  private close(): void {
    const c = this.cur;
    if (c) this.out.push({ from_uptime_ms: c.from, to_uptime_ms: c.to, boot_utc_ms: c.min + this.addMs, n: c.n });
    this.cur = null;
  }
}

/** Groups points (ordered by uptime) into plateaus of equal offset; a jump of more than `stepMs` starts a new one. */
export function plateaus(points: AnchorPoint[], stepMs: number, addMs: number): Plateau[] {
  const b = new PlateauBuilder(stepMs, addMs);
  for (const p of points) b.add(p.uptime_ms, p.off);
  return b.finish();
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

/**
 * `bootAt` by binary search, for lists built by `plateaus` (from and to non-decreasing, each
 * plateau ending at or before the next begins): a clock that steps often gives thousands of
 * plateaus, and every re-timed line asks.
 */
export function plateauLookup(list: Plateau[]): (uptimeMs: number) => number {
  const n = list.length;
  // Same choice as bootAt: the nearest, then the most points, then the first in the list.
  const pick = (a: number, b: number, best: number): number => {
    for (let k = a; k < b; k++) if (best < 0 || list[k].n > list[best].n) best = k;
    return best;
  };
  return (u) => {
    let a = 0;
    let b = n;
    while (a < b) {
      const m = (a + b) >> 1;
      if (list[m].to_uptime_ms >= u) b = m;
      else a = m + 1;
    }
    const lo = a; // first plateau ending at or after u
    b = n;
    while (a < b) {
      const m = (a + b) >> 1;
      if (list[m].from_uptime_ms > u) b = m;
      else a = m + 1;
    }
    const hi = a; // first plateau starting after u; [lo, hi) cover u
    if (lo < hi) return list[pick(lo, hi, -1)].boot_utc_ms;
    let leftFrom = lo;
    if (lo > 0) {
      const to = list[lo - 1].to_uptime_ms;
      while (leftFrom > 0 && list[leftFrom - 1].to_uptime_ms === to) leftFrom--;
    }
    let rightTo = hi;
    if (hi < n) {
      const from = list[hi].from_uptime_ms;
      while (rightTo < n && list[rightTo].from_uptime_ms === from) rightTo++;
    }
    const dl = lo > 0 ? u - list[lo - 1].to_uptime_ms : Infinity;
    const dr = hi < n ? list[hi].from_uptime_ms - u : Infinity;
    let best = -1;
    if (dl <= dr) best = pick(leftFrom, lo, best);
    if (dr <= dl) best = pick(hi, rightTo, best);
    return list[best].boot_utc_ms;
  };
}

interface Seg {
  key: string;
  source_id: number;
  boot_key: string | null;
  host: string | null;
  n_exact: number;
  n_local: number;
}

interface BareSeg {
  key: string;
  source_id: number;
  boot_key: string | null;
  n: number;
}

/** A point as read from temp.pf_pts: rid, uptime_ms, ts_utc_ms, member index, 1 if second-resolution, source_id, src_line. */
type PtRow = [number, number, number, number, number, number, number];

/** The rows that follow a re-timed line (boot_anchors keep the daemon's own stamp: they are the evidence). */
const FACT_TABLES_WITH_TIME = LINE_TIMED_TABLES.filter((t) => t !== 'boot_anchors');
const LOCAL_KIND = 'syslog-kernel-local';
/** Rows read per page when a pass writes as it reads (a better-sqlite3 connection cannot run a statement while iterating). */
const PAGE_ROWS = 8192;

/** Page cache of the main and temporary databases during the pass (negative: KiB). */
const PASS_CACHE_KIB = -8192;

const segKey = (source_id: number, boot_key: string | null): string => `${source_id}|${boot_key}`;

/**
 * Memory stays proportional to boots and plateaus, not to lines: points are sorted by SQLite
 * (which spills to temporary files) into a temporary table and read back a page at a time;
 * segments sharing a kernel line are found from one stream sorted on the text key.
 */
export function anchorUptimeEvents(db: Db, opts: PostPassOptions): number[] {
  // SQLite sizes each sorter's memory by the main page cache: small caches here keep the pass
  // within a few tens of MiB while sorting hundreds of thousands of lines (no slower: every
  // read is sequential).
  const mainCache = db.pragma('main.cache_size', { simple: true }) as number;
  const tempCache = db.pragma('temp.cache_size', { simple: true }) as number;
  db.pragma(`main.cache_size = ${PASS_CACHE_KIB}`);
  db.pragma(`temp.cache_size = ${PASS_CACHE_KIB}`);
  try {
    return anchor(db, opts);
  } finally {
    db.pragma(`main.cache_size = ${mainCache}`);
    db.pragma(`temp.cache_size = ${tempCache}`);
  }
}

function anchor(db: Db, opts: PostPassOptions): number[] {
  // Rounding exactly as the parsers and the JS arithmetic do it.
  db.function('pf_uptime_ms', { deterministic: true }, (u: unknown) => (typeof u === 'number' ? Math.round(u * 1000) : null));
  db.exec(`
    CREATE TEMP TABLE IF NOT EXISTS pf_member (source_id INTEGER, boot_key TEXT, ord INTEGER);
    CREATE TEMP TABLE IF NOT EXISTS pf_bare (rid INTEGER PRIMARY KEY, source_id INTEGER, src_line INTEGER, boot_key TEXT, uptime_s REAL, ts_utc_ms INTEGER, tkey TEXT, new_ts INTEGER);
    CREATE TEMP TABLE IF NOT EXISTS pf_pts (rid INTEGER PRIMARY KEY, u INTEGER, ts INTEGER, ord INTEGER, local INTEGER, source_id INTEGER, src_line INTEGER, late INTEGER NOT NULL DEFAULT 0, own_late INTEGER NOT NULL DEFAULT 0);
    CREATE TEMP TABLE IF NOT EXISTS retimed (source_id INTEGER, src_line INTEGER, old_ts INTEGER, new_ts INTEGER, PRIMARY KEY (source_id, src_line));
    DELETE FROM temp.pf_member; DELETE FROM temp.pf_bare; DELETE FROM temp.pf_pts; DELETE FROM temp.retimed;
  `);
  db.prepare(`DELETE FROM boots`).run();
  const insertBoot = db.prepare(`INSERT INTO boots (host, source_id, boot_key, boot_utc_ms, method, samples) VALUES (?, ?, ?, ?, ?, ?)`);
  const noteRetimed = db.prepare(`INSERT OR REPLACE INTO temp.retimed VALUES (?, ?, ?, ?)`);

  // 1. Anchored segments, in order of their first line.
  const segs = new Map<string, Seg>();
  const segRows = db
    .prepare(
      `SELECT source_id, boot_key, host, MIN(src_line) AS first_line,
              SUM(kind IS NOT '${LOCAL_KIND}') AS n_exact, SUM(kind IS '${LOCAL_KIND}') AS n_local
       FROM boot_anchors WHERE uptime_s IS NOT NULL AND ts_utc_ms IS NOT NULL
       GROUP BY source_id, boot_key ORDER BY source_id, first_line`,
    )
    .all() as Array<{ source_id: number; boot_key: string | null; host: string | null; n_exact: number; n_local: number }>;
  for (const r of segRows) {
    const key = segKey(r.source_id, r.boot_key);
    segs.set(key, { key, source_id: r.source_id, boot_key: r.boot_key, host: r.host, n_exact: r.n_exact, n_local: r.n_local });
  }

  // 2. Lines with only an uptime, outside anchored segments (a late anchor line re-timed on an
  // earlier run belongs to its anchored segment).
  {
    const insertBare = db.prepare(`INSERT INTO temp.pf_bare (source_id, src_line, boot_key, uptime_s, ts_utc_ms, tkey) VALUES (?, ?, ?, ?, ?, ?)`);
    const blocks = db.prepare(
      `SELECT b.id AS id, b.source_id AS source_id, d.json_bytes AS json_bytes, d.data AS data
       FROM event_blocks b JOIN event_block_data d ON d.block_id = b.id
       WHERE b.anchorable > 0 AND (b.source_id, b.first_line) > (?, ?) ORDER BY b.source_id, b.first_line LIMIT 32`,
    );
    for (let s = 0, l = 0; ; ) {
      const page = blocks.all(s, l) as Array<{ id: number; source_id: number; json_bytes: number; data: Buffer }>;
      if (!page.length) break;
      for (const b of page) {
        const rows = decodeBlock(b.data, b.json_bytes);
        for (const t of rows) {
          if (!isAnchorable(t) || segs.has(segKey(b.source_id, t[L.boot]))) continue;
          const u = t[L.uptime]!;
          insertBare.run(b.source_id, t[L.line], t[L.boot], u, t[L.ts], u < 1 ? null : kernelTextKey(u, messageOf(t)));
        }
        s = b.source_id;
        l = rows[0]?.[L.line] ?? l;
      }
    }
  }
  const bareSegs = new Map<string, BareSeg>();
  const bareRows = db
    .prepare(`SELECT source_id, boot_key, MIN(rid) AS first, COUNT(*) AS n FROM temp.pf_bare GROUP BY source_id, boot_key ORDER BY first`)
    .all() as Array<{ source_id: number; boot_key: string | null; n: number }>;
  for (const r of bareRows) {
    const key = segKey(r.source_id, r.boot_key);
    bareSegs.set(key, { key, source_id: r.source_id, boot_key: r.boot_key, n: r.n });
  }

  // 3. One boot = segments joined by a shared kernel line (uptime >= 1 s: earlier lines repeat
  // across boots). Bare segments join through an anchored line only.
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
  if (segs.size + bareSegs.size > 1) {
    // `uptime_s * 1000 >= 999.5` is Math.round(uptime_s * 1000) >= 1000, without a call per row.
    const shared = db.prepare(
      `SELECT k, source_id, boot_key, bare FROM (
         SELECT text_key AS k, source_id, boot_key, 0 AS bare FROM boot_anchors
         WHERE uptime_s IS NOT NULL AND ts_utc_ms IS NOT NULL AND text_key IS NOT NULL AND text_key <> '' AND uptime_s * 1000 >= 999.5
         UNION ALL
         SELECT tkey, source_id, boot_key, 1 FROM temp.pf_bare WHERE tkey IS NOT NULL
       ) ORDER BY k, bare`,
    );
    let runKey: string | null = null;
    let runSeg: string | null = null;
    for (const r of shared.iterate() as Iterable<{ k: string; source_id: number; boot_key: string | null; bare: number }>) {
      if (r.k !== runKey) {
        runKey = r.k;
        runSeg = null;
      }
      const key = segKey(r.source_id, r.boot_key);
      if (runSeg === null) {
        if (!r.bare) runSeg = key;
      } else if (runSeg !== key) union(runSeg, key);
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
  const clusterInfo = new Map<string, { list: Plateau[]; at: (uptimeMs: number) => number; method: string }>();
  const insertMember = db.prepare(`INSERT INTO temp.pf_member VALUES (?, ?, ?)`);
  // Every point of the boot in temp.pf_pts, rid in the order the arithmetic needs: uptime, time,
  // member, exact before second-resolution, file order. Restricted to one kind (the pooled
  // points) or to one member (its own points), that order is the one each computation sorts by.
  const loadPoints = db.prepare(
    `INSERT INTO temp.pf_pts (rid, u, ts, ord, local, source_id, src_line)
     SELECT row_number() OVER (ORDER BY x.u, x.ts, x.ord, x.local, x.src_line), x.u, x.ts, x.ord, x.local, x.source_id, x.src_line FROM (
       SELECT pf_uptime_ms(a.uptime_s) AS u, a.ts_utc_ms AS ts, m.ord AS ord, (a.kind IS '${LOCAL_KIND}') AS local, a.source_id, a.src_line
       FROM temp.pf_member m JOIN boot_anchors a ON a.source_id = m.source_id AND a.boot_key IS m.boot_key
       WHERE a.uptime_s IS NOT NULL AND a.ts_utc_ms IS NOT NULL
     ) x`,
  );
  // Pages as arrays [rid, u, ts, ord, local, source_id, src_line].
  const pageDown = db
    .prepare(`SELECT rid, u, ts, ord, local, source_id, src_line FROM temp.pf_pts WHERE rid < ? ORDER BY rid DESC LIMIT ${PAGE_ROWS}`)
    .raw(true);
  const pageOwnLate = db
    .prepare(`SELECT rid, u, ts, ord, local, source_id, src_line FROM temp.pf_pts WHERE rid > ? AND own_late = 1 ORDER BY rid LIMIT ${PAGE_ROWS}`)
    .raw(true);
  const markLate = db.prepare(`UPDATE temp.pf_pts SET late = ?, own_late = ? WHERE rid = ?`);
  const keptPoints = db.prepare(`SELECT u, ts FROM temp.pf_pts WHERE local = ? AND late = 0 ORDER BY rid`).raw(true);
  for (const [root, members] of clusters) {
    const secondRes = members.every((m) => m.n_exact === 0);
    const pooledLocal = secondRes ? 1 : 0;
    db.prepare(`DELETE FROM temp.pf_member`).run();
    db.prepare(`DELETE FROM temp.pf_pts`).run();
    members.forEach((m, i) => insertMember.run(m.source_id, m.boot_key, i));
    loadPoints.run();

    // Lines read late, last point first: among the pooled points (for the plateaus) and among
    // each member's own points (the lines to re-time).
    const pooled = new LateFinder(60000, secondRes ? 2000 : 1000);
    const own = members.map((m) => new LateFinder(60000, m.n_exact ? 1000 : 2000));
    let nLate = 0;
    let before = Number.MAX_SAFE_INTEGER;
    for (;;) {
      const page = pageDown.all(before) as PtRow[];
      if (!page.length) break;
      const marks: Array<[number, number, number]> = [];
      for (const [rid, u, ts, ord, local] of page) {
        const late = local === pooledLocal && pooled.push(ts, ts - u);
        const ownLate = own[ord].push(ts, ts - u);
        if (late) nLate++;
        if (late || ownLate) marks.push([late ? 1 : 0, ownLate ? 1 : 0, rid]);
      }
      for (const m of marks) markLate.run(m);
      before = page[page.length - 1][0];
    }

    const builder = new PlateauBuilder(secondRes ? 3000 : 2000, secondRes ? 500 : 0);
    let nKept = 0;
    for (const [u, ts] of keptPoints.iterate(pooledLocal) as Iterable<[number, number]>) {
      builder.add(u, ts - u);
      nKept++;
    }
    if (!nKept) continue;
    const list = builder.finish();
    const at = plateauLookup(list);
    const method =
      `wall-clock and uptime on the same kernel lines (${nKept} ${secondRes ? 'second-resolution ' : ''}lines in ${members.length} source segment(s)` +
      (nLate ? `; ${nLate} lines read late by the syslog daemon (early-boot burst) skipped and re-timed` : '') +
      (list.length > 1 ? `; ${list.length - 1} clock step(s): nearest plateau used` : '') +
      ')';
    clusterInfo.set(root, { list, at, method });
    for (const m of members) insertBoot.run(m.host, m.source_id, m.boot_key, at(0), method, m.n_exact + m.n_local);
    // Re-time late anchor lines of every member (exact and local), from the plateau.
    let after = 0;
    for (;;) {
      const page = pageOwnLate.all(after) as PtRow[];
      if (!page.length) break;
      for (const [, u, ts, , , source_id, src_line] of page) {
        const t = at(u) + u;
        noteRetimed.run(source_id, src_line, ts, t);
      }
      after = page[page.length - 1][0];
    }
  }

  // 5. Uptime-only segments.
  const userBoot = parseBootTime(opts.bootTime);
  const wtmpBoots = bootRecords(db);
  const bySource = new Map<number, BareSeg[]>();
  for (const s of bareSegs.values()) {
    const l = bySource.get(s.source_id) ?? [];
    l.push(s);
    bySource.set(s.source_id, l);
  }
  const mtimeOf = db.prepare(`SELECT mtime_ms FROM sources WHERE id = ?`);
  const timing = new Map<string, (uptimeMs: number) => number>();
  for (const [source_id, list] of bySource) {
    // wtmp fallback: the boots of this file, last segment = latest boot record at or before the file's mtime.
    const mt = (mtimeOf.get(source_id) as { mtime_ms: number | null } | undefined)?.mtime_ms ?? null;
    const usable = wtmpBoots.filter((b) => mt === null || b <= mt + 60000);
    list.forEach((s, idx) => {
      const info = clusterInfo.get(find(s.key));
      let method = '';
      let at: (uptimeMs: number) => number;
      let boot: number;
      if (info) {
        boot = info.at(0);
        at = info.at;
        method = `same kernel lines found in an anchored source: ${info.method}`;
      } else if (userBoot !== null) {
        boot = userBoot;
        at = () => userBoot;
        method = 'boot time given with --boot-time';
      } else {
        const w = usable[usable.length - (list.length - idx)];
        const hint = opts.bootHint;
        // The evidence's own "booted about" (a sosreport's date less uptime, to the minute) times
        // only the file's last boot, and only when no wtmp BOOT_TIME record (to the second) does.
        if (w === undefined && hint && idx === list.length - 1 && (mt === null || hint.ms <= mt + 60000)) {
          boot = hint.ms;
          at = () => hint.ms;
          method = `boot time from ${hint.from}`;
          insertBoot.run(null, source_id, s.boot_key, boot, method, s.n);
          timing.set(s.key, at);
          return;
        }
        if (w === undefined) return;
        boot = w;
        at = () => w;
        method =
          `wtmp BOOT_TIME record ${new Date(w).toISOString()} (the ${list.length - idx === 1 ? 'latest' : `${list.length - idx}th latest`} at or before the file's mtime); ` +
          'written at userspace start, so times are a few seconds late';
      }
      insertBoot.run(null, source_id, s.boot_key, boot, method, s.n);
      timing.set(s.key, at);
    });
  }
  if (timing.size) {
    // Set-based: the new time of each line is computed in SQLite's loop, then applied by join.
    db.function('pf_bare_ts', { deterministic: true }, (source_id: unknown, boot_key: unknown, uptime_s: unknown) => {
      const at = timing.get(segKey(source_id as number, boot_key as string | null));
      if (!at || typeof uptime_s !== 'number') return null;
      const u = Math.round(uptime_s * 1000);
      return at(u) + u;
    });
    db.exec(`
      UPDATE temp.pf_bare SET new_ts = pf_bare_ts(source_id, boot_key, uptime_s);
      INSERT OR REPLACE INTO temp.retimed SELECT source_id, src_line, ts_utc_ms, new_ts FROM temp.pf_bare WHERE new_ts IS NOT NULL ORDER BY rid;
    `);
  }
  // Fact rows follow their line's new time.
  for (const t of FACT_TABLES_WITH_TIME) {
    if (!hasColumn(db, t, 'ts_utc_ms')) continue;
    const match = `r.source_id = ${t}.source_id AND r.src_line = ${t}.src_line AND (r.old_ts IS NULL AND ${t}.ts_utc_ms IS NULL OR r.old_ts = ${t}.ts_utc_ms)`;
    const q = hasColumn(db, t, 'ts_quality') ? `, ts_quality = 'uptime_anchored'` : '';
    db.prepare(
      `UPDATE ${t} SET ts_utc_ms = (SELECT r.new_ts FROM temp.retimed r WHERE ${match})${q}
       WHERE EXISTS (SELECT 1 FROM temp.retimed r WHERE ${match})`,
    ).run();
  }
  // The lines themselves, a block at a time.
  const retimedPage = db.prepare(
    `SELECT source_id, src_line, new_ts FROM temp.retimed WHERE (source_id, src_line) > (?, ?) ORDER BY source_id, src_line LIMIT ${PAGE_ROWS}`,
  ).raw(true);
  new BlockEditor(db).retime((s, l) => retimedPage.all(s, l) as Array<[number, number, number]>, 'uptime_anchored');
  const retimed = (db.prepare(`SELECT DISTINCT source_id FROM temp.retimed`).all() as Array<{ source_id: number }>).map((r) => r.source_id);
  db.exec(`DROP TABLE temp.retimed; DROP TABLE temp.pf_member; DROP TABLE temp.pf_bare; DROP TABLE temp.pf_pts;`);
  return retimed;
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
