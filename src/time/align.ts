// Local wall times without a zone or year (RHEL `secure`, `messages`) are checked against events
// of the same host whose instant is exact: an sshd login is logged by `sshd[PID]: Accepted …` in
// local time, and by the same PID in wtmp (USER_PROCESS) and in audit (USER_LOGIN) in epoch
// seconds. The difference between the two stamps of one login is the zone offset the host used
// (plus whole years, when the year was inferred from an mtime that a copy reset). When the pairs
// agree, the local source is shifted by that difference and the manifest says how it was found.
// `dmesg -T` files are aligned the same way on kernel lines of exact time with the same text.
// This runs before uptime anchoring, so kernel lines in those files anchor on corrected times.
import type { Db } from '../store/db.js';
import type { PostPassOptions } from '../ingest/postpasses.js';
import { formatOffset } from './zone-inference.js';
import { BlockEditor, L, LineStore } from '../store/lines.js';
import { LINE_TIMED_TABLES } from '../store/schema/index.js';

const QUARTER_HOUR_MS = 15 * 60 * 1000;
const DAY_MS = 86400000;
/** How far apart the two stamps of one login may be once the offset is taken out. */
const PAIR_TOLERANCE_MS = 10000;




/** Rows read per page where a pass checks each row against its line (no statement may run inside another). */
const PAGE_ROWS = 8192;

/** The line was stamped with a local (or year-inferred) wall time: what a shift corrects. */
function isLocalLine(lines: LineStore, sourceId: number, srcLine: number): boolean {
  const q = lines.at(sourceId, srcLine)?.ts_quality;
  return q === 'local_assumed' || q === 'year_inferred';
}

export interface SourceShift {
  source_id: number;
  delta_ms: number;
  pairs: number;
  how: string;
}

/**
 * Logins seen in a local-time source and again, by pid and user, in an exact source, counted per
 * source and per difference (rounded to the quarter hour) in SQL: pids are reused, so the join can
 * be large, and only its histogram is needed.
 */
function loginPairDeltas(db: Db, lines: LineStore): Array<{ source_id: number; delta: number; n: number; total: number }> {
  db.exec(`CREATE TEMP TABLE IF NOT EXISTS pf_local_logins (source_id INTEGER, ts_utc_ms INTEGER, pid INTEGER, user TEXT); DELETE FROM temp.pf_local_logins;`);
  const add = db.prepare(`INSERT INTO temp.pf_local_logins VALUES (?, ?, ?, ?)`);
  const page = db.prepare(
    `SELECT l.rowid AS rid, l.source_id AS source_id, l.src_line AS src_line, l.ts_utc_ms AS ts_utc_ms, l.pid AS pid, l.user AS user FROM logins l
     WHERE l.kind IN ('ssh_accepted', 'session_opened') AND l.pid IS NOT NULL AND l.ts_utc_ms IS NOT NULL
       AND l.source_id IN (SELECT id FROM sources WHERE local_lines > 0) AND l.rowid > ? ORDER BY l.rowid LIMIT ${PAGE_ROWS}`,
  );
  for (let after = 0; ; ) {
    const rows = page.all(after) as Array<{ rid: number; source_id: number; src_line: number; ts_utc_ms: number; pid: number; user: string | null }>;
    if (!rows.length) break;
    for (const r of rows) if (isLocalLine(lines, r.source_id, r.src_line)) add.run(r.source_id, r.ts_utc_ms, r.pid, r.user);
    after = rows[rows.length - 1]!.rid;
  }
  return db
    .prepare(
      `WITH local AS (SELECT source_id, ts_utc_ms, pid, user FROM temp.pf_local_logins),
       exact AS (
         SELECT pid, user, ts_utc_ms FROM utmp_records WHERE type_name = 'USER_PROCESS' AND pid IS NOT NULL AND ts_utc_ms > 86400000
         UNION ALL
         SELECT l.pid, l.user, l.ts_utc_ms FROM logins l JOIN sources s ON s.id = l.source_id
         WHERE s.format = 'audit' AND l.kind IN ('audit_USER_LOGIN', 'audit_USER_START') AND l.pid IS NOT NULL
       ),
       pairs AS (
         SELECT local.source_id, local.ts_utc_ms - exact.ts_utc_ms AS d,
                CAST(round((local.ts_utc_ms - exact.ts_utc_ms) / ${QUARTER_HOUR_MS}.0) AS INTEGER) * ${QUARTER_HOUR_MS} AS delta
         FROM local JOIN exact ON exact.pid = local.pid AND (exact.user IS NULL OR local.user IS NULL OR exact.user = local.user)
       )
       SELECT source_id, delta, COUNT(*) AS n, SUM(COUNT(*)) OVER (PARTITION BY source_id) AS total
       FROM pairs WHERE abs(d - delta) <= ${PAIR_TOLERANCE_MS} GROUP BY source_id, delta`,
    )
    .all() as Array<{ source_id: number; delta: number; n: number; total: number }>;
}

/**
 * sudo logs each command to syslog (local time) and, through PAM/audit, as USER_CMD (epoch): the
 * same user and command line a moment apart. Hosts without ssh logins in wtmp still have these.
 */
function sudoPairDeltas(db: Db, lines: LineStore): Array<{ source_id: number; delta: number; n: number }> {
  // The exact side (audit USER_CMD) is small and often absent: read it first, by user, and pair
  // each local sudo line with it in one pass (a join the planner may turn inside out is quadratic).
  const exactByUser = new Map<string, Array<{ command: string; ts: number }>>();
  for (const r of db
    .prepare(
      `SELECT c.user AS user, c.command AS command, c.ts_utc_ms AS ts FROM commands c JOIN sources s ON s.id = c.source_id
       WHERE s.format = 'audit' AND c.via = 'sudo' AND c.user IS NOT NULL AND c.command IS NOT NULL AND c.ts_utc_ms IS NOT NULL`,
    )
    .iterate() as Iterable<{ user: string; command: string; ts: number }>) {
    let l = exactByUser.get(r.user);
    if (!l) exactByUser.set(r.user, (l = []));
    l.push({ command: r.command, ts: r.ts });
  }
  if (!exactByUser.size) return [];
  const hist = new Map<string, { source_id: number; delta: number; n: number }>();
  const page = db.prepare(
    `SELECT c.rowid AS rid, c.source_id AS source_id, c.src_line AS src_line, c.ts_utc_ms AS ts, c.user AS user, c.command AS command FROM commands c
     WHERE c.via = 'sudo' AND c.user IS NOT NULL AND c.command IS NOT NULL AND c.ts_utc_ms IS NOT NULL
       AND c.source_id IN (SELECT id FROM sources WHERE local_lines > 0) AND c.rowid > ? ORDER BY c.rowid LIMIT ${PAGE_ROWS}`,
  );
  const pair = (l: { source_id: number; ts: number; user: string; command: string }) => {
    for (const x of exactByUser.get(l.user) ?? []) {
      if (!(x.command === l.command || l.command.endsWith('/' + x.command) || l.command.endsWith(' ' + x.command))) continue;
      const d = l.ts - x.ts;
      const delta = Math.round(d / QUARTER_HOUR_MS) * QUARTER_HOUR_MS;
      if (Math.abs(d - delta) > PAIR_TOLERANCE_MS) continue;
      const k = `${l.source_id}|${delta}`;
      const h = hist.get(k);
      if (h) h.n++;
      else hist.set(k, { source_id: l.source_id, delta, n: 1 });
    }
  };
  for (let after = 0; ; ) {
    const rows = page.all(after) as Array<{ rid: number; source_id: number; src_line: number; ts: number; user: string; command: string }>;
    if (!rows.length) break;
    for (const r of rows) if (exactByUser.has(r.user) && isLocalLine(lines, r.source_id, r.src_line)) pair(r);
    after = rows[rows.length - 1]!.rid;
  }
  return [...hist.values()];
}

/**
 * `dmesg -T` prints wall times computed by the collecting process, in its own zone: its lines are
 * found again, by their text, among kernel lines whose instant is exact (kern.log, syslog with
 * RFC 3339 stamps). Only lines whose text occurs once in the dmesg file are used.
 */
function kernelPairDeltas(db: Db, lines: LineStore): Array<{ source_id: number; delta: number; n: number }> {
  const dmesg = db.prepare(`SELECT id FROM sources WHERE format = 'dmesg' AND local_lines > 0`).pluck().all() as number[];
  if (!dmesg.length) return [];
  const dmesgIds = new Set(dmesg);
  // Local side: per dmesg source, the texts that occur once, with their time.
  const loc = new Map<string, Map<number, { n: number; ts: number }>>();
  const localQuality = (q: string) => q === 'local_assumed' || q === 'year_inferred';
  for (const id of dmesg) {
    for (const l of lines.range(id)) {
      if (l.program !== 'kernel' || !localQuality(l.ts_quality) || l.ts_utc_ms === null || l.message.length < 24) continue;
      let bySource = loc.get(l.message);
      if (!bySource) loc.set(l.message, (bySource = new Map()));
      const c = bySource.get(id);
      if (c) {
        c.n++;
        c.ts = Math.min(c.ts, l.ts_utc_ms);
      } else bySource.set(id, { n: 1, ts: l.ts_utc_ms });
    }
  }
  // Exact side: the earliest exactly timed kernel line of each of those texts.
  const exact = new Map<string, number>();
  for (const l of lines.withProgram('kernel')) {
    if (l.ts_quality !== 'exact' || l.ts_utc_ms === null || dmesgIds.has(l.source_id) || !loc.has(l.message)) continue;
    const t = exact.get(l.message);
    if (t === undefined || l.ts_utc_ms < t) exact.set(l.message, l.ts_utc_ms);
  }
  const hist = new Map<string, { source_id: number; delta: number; n: number }>();
  for (const [message, bySource] of loc) {
    const ex = exact.get(message);
    if (ex === undefined) continue;
    for (const [source_id, c] of bySource) {
      if (c.n !== 1) continue;
      const d = c.ts - ex;
      const delta = Math.round(d / QUARTER_HOUR_MS) * QUARTER_HOUR_MS;
      if (Math.abs(d - delta) > PAIR_TOLERANCE_MS) continue;
      const k = `${source_id}|${delta}`;
      const h = hist.get(k);
      if (h) h.n++;
      else hist.set(k, { source_id, delta, n: 1 });
    }
  }
  return [...hist.values()];
}

/** The delta most pairs of a source agree on (a histogram delta → pairs), when at least two agree and they are the majority. */
export function consensus(histogram: Map<number, number>): { delta: number; support: number } | null {
  let best: { delta: number; support: number } | null = null;
  let total = 0;
  for (const [delta, support] of histogram) {
    total += support;
    if (!best || support > best.support) best = { delta, support };
  }
  if (!best || best.support < 2 || best.support * 2 <= total) return null;
  return best;
}

function describe(delta: number): string {
  const days = Math.round(delta / DAY_MS);
  const offset = delta - days * DAY_MS;
  const parts: string[] = [];
  if (offset) parts.push(`zone offset UTC${formatOffset(offset / 60000)}`);
  if (days) parts.push(`${days} day(s) of year correction`);
  return parts.join(' and ');
}

export function alignLocalSources(db: Db, _opts: PostPassOptions): SourceShift[] {
  const lines = new LineStore(db);
  const shifts: SourceShift[] = [];
  /** The whole correction each paired syslog-family source agreed on. */
  const syslogDeltas: Array<{ source_id: number; delta: number }> = [];
  // Both kinds of pairs measure a zone offset (plus whole days): the residual is logging latency,
  // or for dmesg -T the error of the btime it computed wall times from, which stays (and is said).
  const evidence = [
    {
      rows: [...loginPairDeltas(db, lines), ...sudoPairDeltas(db, lines)],
      what: 'sshd logins and sudo commands found again in wtmp/audit',
      zoneOfSyslog: true,
    },
    { rows: kernelPairDeltas(db, lines), what: 'dmesg -T lines found again among exactly timed kernel lines', zoneOfSyslog: false },
  ];
  for (const { rows, what, zoneOfSyslog } of evidence) {
    const bySource = new Map<number, Map<number, number>>();
    for (const r of rows) {
      const h = bySource.get(r.source_id) ?? new Map<number, number>();
      h.set(r.delta, (h.get(r.delta) ?? 0) + r.n);
      bySource.set(r.source_id, h);
    }
    for (const [source_id, histogram] of bySource) {
      const c = consensus(histogram);
      if (!c) continue;
      if (zoneOfSyslog) {
        syslogDeltas.push({ source_id, delta: c.delta });
      }
      if (c.delta === 0) continue;
      const total = [...histogram.values()].reduce((a, b) => a + b, 0);
      shifts.push({ source_id, delta_ms: c.delta, pairs: c.support, how: `shifted by ${describe(c.delta)}: ${c.support} of ${total} ${what}` });
    }
  }
  // Syslog files of the host with local times but no login lines (messages, cron) take the zone
  // offset the paired syslog files agree on; and, when their year came from a file mtime just as
  // the paired files' did (a copy resets every mtime alike), the paired files' year correction.
  // dmesg -T is left out: its zone is the collecting shell's, not the syslog daemon's.
  const notesOf = new Map(
    (db.prepare(`SELECT id, time_notes FROM sources`).all() as Array<{ id: number; time_notes: string | null }>).map((r) => [r.id, r.time_notes ?? '']),
  );
  const fromMtime = (id: number) => (notesOf.get(id) ?? '').includes('from file mtime');
  // Per host: a shift learned from one host's files says nothing of another host's clock.
  const hostStmt = db.prepare(
    `SELECT host FROM segments WHERE source_id = ? AND host IS NOT NULL GROUP BY host ORDER BY SUM(host_lines) DESC LIMIT 1`,
  ).pluck();
  const hostOf = (id: number) => (hostStmt.get(id) as string | undefined) ?? null;
  const byHost = new Map<string | null, Array<{ source_id: number; delta: number }>>();
  for (const d of syslogDeltas) {
    const h = hostOf(d.source_id);
    const l = byHost.get(h) ?? [];
    l.push(d);
    byHost.set(h, l);
  }
  const correction = (deltas: Array<{ source_id: number; delta: number }>) => {
    const offsets = new Set(deltas.map((d) => d.delta - Math.round(d.delta / DAY_MS) * DAY_MS));
    const mtimeDays = new Set(deltas.filter((d) => fromMtime(d.source_id)).map((d) => Math.round(d.delta / DAY_MS)));
    return { offset: offsets.size === 1 ? [...offsets][0]! : 0, days: mtimeDays.size === 1 ? [...mtimeDays][0]! : 0 };
  };
  if (syslogDeltas.some((d) => d.delta !== 0)) {
    const paired = new Set(syslogDeltas.map((d) => d.source_id));
    const alreadyShifted = new Set(db.prepare(`SELECT id FROM sources WHERE shift_ms <> 0`).pluck().all() as number[]);
    const candidates = db.prepare(`SELECT id FROM sources WHERE local_lines > 0 AND format <> 'dmesg' ORDER BY id`).pluck().all() as number[];
    for (const id of candidates) {
      if (paired.has(id) || alreadyShifted.has(id)) continue;
      const h = hostOf(id);
      // A file naming no host joins the paired files only when they all belong to one host.
      const deltas = byHost.get(h) ?? (h === null && byHost.size === 1 ? [...byHost.values()][0] : undefined);
      if (!deltas) continue;
      const { offset, days } = correction(deltas);
      if (offset === 0 && days === 0) continue;
      let local = false;
      for (const l of lines.range(id)) {
        if (l.ts_quality === 'local_assumed') {
          local = true;
          break;
        }
      }
      const delta = (local ? offset : 0) + (fromMtime(id) ? days * DAY_MS : 0);
      if (delta === 0) continue;
      shifts.push({
        source_id: id,
        delta_ms: delta,
        pairs: 0,
        how: `shifted by ${describe(delta)} found by pairing sshd logins and sudo commands of other files of the host${h ? ` ${h}` : ''} with wtmp/audit`,
      });
    }
  }
  const editor = new BlockEditor(db);
  // Fact rows of the shifted lines, found a page at a time and moved by rowid.
  const shiftFacts = LINE_TIMED_TABLES.map((t) => {
    const page = db.prepare(
      `SELECT rowid AS rid, src_line FROM ${t} WHERE source_id = ? AND ts_utc_ms IS NOT NULL AND rowid > ? ORDER BY rowid LIMIT ${PAGE_ROWS}`,
    );
    const move = db.prepare(`UPDATE ${t} SET ts_utc_ms = ts_utc_ms - ? WHERE rowid = ?`);
    return (delta: number, sourceId: number) => {
      for (let after = 0; ; ) {
        const rows = page.all(sourceId, after) as Array<{ rid: number; src_line: number }>;
        if (!rows.length) return;
        for (const r of rows) if (isLocalLine(lines, sourceId, r.src_line)) move.run(delta, r.rid);
        after = rows[rows.length - 1]!.rid;
      }
    };
  });
  const note = db.prepare(`UPDATE sources SET time_notes = coalesce(time_notes || '; ', '') || ?, shift_ms = shift_ms + ? WHERE id = ?`);
  for (const s of shifts) {
    // Facts first (the shift keeps each line's quality, which selects the facts to move).
    for (const shift of shiftFacts) shift(s.delta_ms, s.source_id);
    editor.editSource(s.source_id, (t) => {
      const q = t[L.quality];
      if ((q !== 'local_assumed' && q !== 'year_inferred') || t[L.ts] === null) return false;
      t[L.ts] = t[L.ts]! - s.delta_ms;
      return true;
    });
    lines.clear();
    note.run(s.how, s.delta_ms, s.source_id);
  }
  return shifts;
}
