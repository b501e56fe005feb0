// Process accounting (pacct, formats.md §7): one record per process when its last thread exits.
// AXSIG + exit_signal = the signal that killed it (not who sent it); ACORE = it dumped core;
// otherwise it exited on its own with `exit_code`. These records confirm or contradict the other
// modules; alone they are weak (no sender, second-resolution start time).
//
//   pacct v3 record: comm=cache-warmer pid=16400 ppid=16298 flags=AXSIG exit_signal=9 begin=1795297716 elapsed=2.61 s
import type { Statement } from 'better-sqlite3';
import type { Db } from '../store/db.js';
import { type Candidate, EvidenceResolver, ROUTINE_SIGNALS, emptyActor, iso, signalName } from './common.js';

const AXSIG = 0x10;
const ACORE = 0x08;

export interface PacctRow {
  id: number;
  source_id: number;
  src_line: number;
  comm: string | null;
  pid: number;
  ppid: number | null;
  uid: number | null;
  begin_utc_ms: number | null;
  elapsed_s: number | null;
  end_utc_ms: number | null;
  exit_code: number | null;
  exit_signal: number | null;
  flags: number | null;
  flag_names: string | null;
}

export function pacctText(r: PacctRow): string {
  return (
    `pacct: ${r.comm ?? '?'} pid ${r.pid} ppid ${r.ppid ?? '?'} uid ${r.uid ?? '?'} started ${iso(r.begin_utc_ms) ?? '?'} ` +
    `ended ${iso(r.end_utc_ms) ?? '?'} flags ${r.flag_names ?? r.flags ?? ''}` +
    (r.exit_signal ? ` signal ${r.exit_signal} (${signalName(r.exit_signal)})` : ` exit ${r.exit_code ?? '?'}`)
  );
}

function killedBy(r: PacctRow): number | null {
  if (r.flags !== null && (r.flags & AXSIG) === 0) return null;
  return r.exit_signal ?? null;
}

/** Killed by a signal that is not routine (SIGHUP, SIGINT, SIGPIPE), or dumped core. */
const UNUSUAL_SQL = `((flags & ${ACORE}) != 0 OR (exit_signal IS NOT NULL AND exit_signal NOT IN (${[...ROUTINE_SIGNALS].join(', ')})
  AND (flags IS NULL OR (flags & ${AXSIG}) != 0)))`;

/**
 * Candidates from pacct records. A busy host writes a record for every process that ends: those
 * that show nothing unusual (an exit, a SIGPIPE in a pipeline) are rows, not candidates, unless
 * asked for by pid. So: `{ pid }` gives every record of that pid; `{ unusual: true }` the records
 * of deaths by a non-routine signal or with a core dump, case-wide; `{ pids, unusual: false }`
 * the other records of those pids, which can only confirm what another module found.
 */
export function pacctCandidates(
  db: Db,
  ev: EvidenceResolver,
  which: { pid: number } | { unusual: true } | { pids: Iterable<number>; unusual: false },
): Candidate[] {
  return [...pacctCandidateStream(db, ev, which)];
}

/** Rows read per query for the case-wide list (no query stays open while a candidate is used). */
const PAGE = 5000;

/** Asked once per pid while materializing: prepared once per connection. */
const ordinaryOfPid = new WeakMap<Db, Statement>();

function* pacctRows(db: Db, which: { pid: number } | { unusual: true } | { pids: Iterable<number>; unusual: false }): Generator<PacctRow> {
  if ('pid' in which) {
    yield* db.prepare(`SELECT * FROM pacct_records WHERE pid = ?`).all(which.pid) as PacctRow[];
  } else if (which.unusual) {
    const page = db.prepare(`SELECT * FROM pacct_records WHERE id > ? AND ${UNUSUAL_SQL} ORDER BY id LIMIT ${PAGE}`);
    for (let last = 0; ; ) {
      const rows = page.all(last) as PacctRow[];
      if (!rows.length) return;
      last = rows[rows.length - 1]!.id;
      yield* rows;
    }
  } else {
    const st = ordinaryOfPid.get(db) ?? ordinaryOfPid.set(db, db.prepare(`SELECT * FROM pacct_records WHERE pid = ? AND NOT ${UNUSUAL_SQL}`)).get(db)!;
    for (const p of which.pids) yield* st.all(p) as PacctRow[];
  }
}

/** The same candidates one at a time. */
export function* pacctCandidateStream(
  db: Db,
  ev: EvidenceResolver,
  which: { pid: number } | { unusual: true } | { pids: Iterable<number>; unusual: false },
): Generator<Candidate> {
  for (const r of pacctRows(db, which)) {
    const sig = killedBy(r);
    const core = r.flags !== null && (r.flags & ACORE) !== 0;
    const line = ev.line(r.source_id, r.src_line, { role: 'process accounting record', decisive: false, text: pacctText(r), ts_utc_ms: r.end_utc_ms });
    const base = {
      host: null,
      pid: r.pid,
      comm: r.comm,
      time_ms: r.end_utc_ms,
      start_ms: r.begin_utc_ms,
      evidence: [line],
    };
    if (sig !== null && core) {
      yield {
        ...base,
        cause: 'crash',
        strength: 45,
        signal: sig,
        confidence: 'medium',
        summary: `${r.comm} (pid ${r.pid}) was killed by ${signalName(sig)} and dumped core (process accounting)`,
        actor: { ...emptyActor('kernel'), via: 'kernel' },
        standalone: true,
      };
    } else if (sig !== null) {
      yield {
        ...base,
        cause: 'signal',
        strength: 30,
        signal: sig,
        confidence: 'low',
        summary: `${r.comm} (pid ${r.pid}) was killed by ${signalName(sig)}; process accounting does not say who sent it`,
        standalone: !ROUTINE_SIGNALS.has(sig),
      };
    } else {
      yield {
        ...base,
        cause: 'exit',
        strength: 20,
        signal: null,
        confidence: 'medium',
        summary: `${r.comm} (pid ${r.pid}) exited on its own with status ${r.exit_code ?? '?'} (process accounting)`,
        standalone: false,
      };
    }
  }
}
