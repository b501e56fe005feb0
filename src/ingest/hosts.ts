// The host of a file that names none. pacct, wtmp, lastlog, a dmesg dump and audit logs without
// `node=` carry no host name; in a case that holds several hosts' trees, each such file belongs to
// the host its neighbours name (`hostA/var/log/account/pacct` beside `hostA/var/log/syslog`), not
// to the host with the most lines. `--host` names it outright for the files of one ingest.
import path from 'node:path';
import type { Db } from '../store/db.js';

interface SourceHosts {
  id: number;
  dir: string;
  host: string | null;
  lines: number;
  hint: string | null;
  how: string | null;
}

const GIVEN = 'given with --host';

/** Sets `sources.host_hint` of every file without host names from its nearest siblings that have one. */
export function refreshHostHints(db: Db): void {
  const rows = db
    .prepare(
      `SELECT s.id AS id, s.path AS path, s.host_hint AS hint, s.host_hint_how AS how,
              (SELECT g.host FROM segments g WHERE g.source_id = s.id AND g.host IS NOT NULL GROUP BY g.host ORDER BY SUM(g.host_lines) DESC LIMIT 1) AS host,
              (SELECT COALESCE(SUM(g.host_lines), 0) FROM segments g WHERE g.source_id = s.id) AS lines
       FROM sources s WHERE s.status IN ('ok', 'damaged', 'duplicate')`,
    )
    .all() as Array<{ id: number; path: string; hint: string | null; how: string | null; host: string | null; lines: number }>;
  const all: SourceHosts[] = rows.map((r) => ({ id: r.id, dir: path.dirname(r.path), host: r.lines > 0 ? r.host : null, lines: r.lines, hint: r.hint, how: r.how }));
  const named = all.filter((s) => s.host !== null);
  const set = db.prepare(`UPDATE sources SET host_hint = ?, host_hint_how = ? WHERE id = ?`);
  for (const s of all) {
    if (s.host !== null || s.how === GIVEN) continue;
    // The named files that share the longest directory prefix with this one, and their host.
    let best = -1;
    let votes = new Map<string, number>();
    let from = '';
    for (const n of named) {
      const depth = commonDepth(s.dir, n.dir);
      if (depth < best) continue;
      if (depth > best) {
        best = depth;
        votes = new Map();
        from = commonDir(s.dir, n.dir);
      }
      votes.set(n.host!, (votes.get(n.host!) ?? 0) + n.lines);
    }
    let host: string | null = null;
    if (votes.size === 1) host = [...votes.keys()][0]!;
    else if (votes.size > 1) {
      const sorted = [...votes.entries()].sort((a, b) => b[1] - a[1]);
      // A clear majority only: two hosts side by side leave the file unassigned.
      if (sorted[0]![1] >= 4 * sorted[1]![1]) host = sorted[0]![0];
    }
    const how = host ? `the host its sibling files under ${from || '/'} name` : null;
    if (host !== s.hint || how !== s.how) set.run(host, how, s.id);
  }
}

/** Marks the files of one ingest as the host the user named. */
export function setGivenHost(db: Db, sourceIds: Iterable<number>, host: string): void {
  const set = db.prepare(`UPDATE sources SET host_hint = ?, host_hint_how = '${GIVEN}' WHERE id = ?`);
  for (const id of sourceIds) set.run(host, id);
}

function parts(dir: string): string[] {
  return dir.split(path.sep).filter(Boolean);
}

function commonDepth(a: string, b: string): number {
  const x = parts(a);
  const y = parts(b);
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  return i;
}

function commonDir(a: string, b: string): string {
  return path.sep + parts(a).slice(0, commonDepth(a, b)).join(path.sep);
}
