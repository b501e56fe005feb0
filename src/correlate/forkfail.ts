// Fork failures: a process could not create children and gave up (formats.md §2.5, §7).
//
//   2026-11-21T16:49:13.222619-05:00 vm kernel: [ 2592.661349] cgroup: fork rejected by pids controller in /lab-pids
//
// The kernel line names the cgroup, never the process, and is logged once per cgroup. The process
// is found in pacct: a parent with a burst of children of its own name that were never exec'd
// (AFORK: forked copies, the zombies it did not reap), and whose own record ends shortly after the
// rejection. Without pacct the kernel line alone cannot name a pid.
import type { Db } from '../store/db.js';
import { type Candidate, EvidenceResolver, emptyActor, iso, sameHost, unitFromCgroup } from './common.js';
import { type PacctRow, pacctText } from './exit.js';

const FORK_REJECTED = /cgroup: fork rejected by pids controller in (\S+)/;
/** Children counted around the rejection, and how long after it the parent may end. */
const CHILD_WINDOW_MS = 30_000;
const PARENT_END_WINDOW_MS = 120_000;
const MIN_CHILDREN = 8;
const AFORK = 0x01;

interface Rejection {
  source_id: number;
  src_line: number;
  ts_utc_ms: number | null;
  host: string | null;
  cgroup: string | null;
  pid: number | null;
  comm: string | null;
}

export function forkCandidates(db: Db, ev: EvidenceResolver): Candidate[] {
  const rejections: Rejection[] = [];
  for (const r of db
    .prepare(
      `SELECT e.source_id AS source_id, e.src_line AS src_line, e.ts_utc_ms AS ts_utc_ms, e.host AS host, e.message AS message
       FROM notable_lines e WHERE e.kind = 'fork' AND e.program = 'kernel' AND e.message LIKE '%fork rejected by pids controller%'`,
    )
    .all() as Array<{ source_id: number; src_line: number; ts_utc_ms: number | null; host: string | null; message: string }>) {
    const m = FORK_REJECTED.exec(r.message);
    rejections.push({ ...r, cgroup: m?.[1] ?? null, pid: null, comm: null });
  }
  for (const r of db
    .prepare(`SELECT source_id, src_line, ts_utc_ms, host, pid, comm, cgroup FROM process_ends WHERE kind IN ('fork_rejected', 'fork_failed')`)
    .all() as Rejection[]) {
    // The same kernel line may be both an event and a fact: keep one.
    if (rejections.some((x) => x.source_id === r.source_id && x.src_line === r.src_line)) {
      const x = rejections.find((y) => y.source_id === r.source_id && y.src_line === r.src_line)!;
      x.pid ??= r.pid;
      x.comm ??= r.comm;
      continue;
    }
    rejections.push(r);
  }
  // Copies of one kernel line in several files: one rejection per (host, cgroup, 2 s).
  const uniq: Rejection[] = [];
  for (const r of rejections) {
    const dup = uniq.find(
      (u) => sameHost(u.host, r.host) && u.cgroup === r.cgroup && u.pid === r.pid &&
        u.ts_utc_ms !== null && r.ts_utc_ms !== null && Math.abs(u.ts_utc_ms - r.ts_utc_ms) <= 2000,
    );
    if (!dup) uniq.push(r);
  }
  const out: Candidate[] = [];
  const parentStmt = db.prepare(`SELECT * FROM pacct_records WHERE pid = ? ORDER BY ABS(end_utc_ms - ?) LIMIT 1`);
  const childrenStmt = db.prepare(
    `SELECT ppid, COUNT(*) AS n, SUM(flags & ${AFORK} != 0) AS forked FROM pacct_records
     WHERE end_utc_ms BETWEEN ? AND ? AND ppid IS NOT NULL AND ppid > 1 GROUP BY ppid HAVING COUNT(*) >= ? ORDER BY forked DESC, n DESC`,
  );
  const childComm = db.prepare(`SELECT comm, COUNT(*) AS n FROM pacct_records WHERE ppid = ? AND end_utc_ms BETWEEN ? AND ? GROUP BY comm ORDER BY n DESC LIMIT 1`);
  for (const r of uniq) {
    const t = r.ts_utc_ms;
    const evidence = [ev.line(r.source_id, r.src_line, { role: 'the kernel refused a fork', decisive: true })];
    let pid = r.pid;
    let comm = r.comm;
    let parent: PacctRow | undefined;
    let children = 0;
    if (t !== null) {
      const bursts = childrenStmt.all(t - CHILD_WINDOW_MS, t + CHILD_WINDOW_MS, MIN_CHILDREN) as Array<{ ppid: number; n: number; forked: number }>;
      for (const b of bursts) {
        if (pid !== null && b.ppid !== pid) continue;
        const p = parentStmt.get(b.ppid, t) as PacctRow | undefined;
        // The parent disappeared: its own record ends soon after the rejection.
        if (!p || p.end_utc_ms === null || p.end_utc_ms < t - 5000 || p.end_utc_ms > t + PARENT_END_WINDOW_MS) continue;
        const cc = childComm.get(b.ppid, t - CHILD_WINDOW_MS, t + CHILD_WINDOW_MS) as { comm: string; n: number } | undefined;
        if (b.forked < MIN_CHILDREN / 2 && cc?.comm !== p.comm) continue;
        parent = p;
        children = b.n;
        pid = p.pid;
        comm = p.comm;
        break;
      }
    }
    if (pid === null) continue;
    if (parent) {
      evidence.push(
        ev.line(parent.source_id, parent.src_line, { role: 'the parent that could not fork ended', decisive: true, text: pacctText(parent), ts_utc_ms: parent.end_utc_ms }),
      );
    }
    const unit = unitFromCgroup(r.cgroup);
    out.push({
      cause: 'fork-failure',
      strength: 70,
      host: r.host,
      pid,
      comm,
      time_ms: parent?.end_utc_ms ?? t,
      start_ms: parent?.begin_utc_ms ?? null,
      signal: parent?.exit_signal ?? null,
      confidence: parent ? 'high' : 'medium',
      summary:
        `${comm ?? 'the process'} (pid ${pid}) could not fork: the pids limit of cgroup ${r.cgroup ?? '?'} was reached at ${iso(t) ?? '?'}` +
        (children ? `; it had left ${children} child processes unreaped (zombies count against the limit)` : '') +
        (parent ? `, then it ${parent.exit_signal ? `was killed by signal ${parent.exit_signal}` : `exited with status ${parent.exit_code ?? '?'}`}` : ''),
      actor: emptyActor('kernel'),
      evidence,
      missing: parent ? [] : ['no process accounting record of the parent: the process that hit the limit is only known from the kernel line'],
      recommendations: [
        `fix ${comm ?? 'the program'} to reap its children (wait()/SIGCHLD), and size the pids limit of ${unit ?? r.cgroup ?? 'the cgroup'} (TasksMax=)`,
      ],
      standalone: true,
    });
  }
  return out;
}
