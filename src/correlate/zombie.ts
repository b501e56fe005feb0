// Zombies: processes that exited but were never reaped, seen in a `ps` snapshot of a support
// bundle (formats.md §ps; src/formats/ps-snapshot.ts):
//
//   lab        16512  0.0  0.0      0     0 ?        Z    16:49   0:00 [zombie-leaker] <defunct>
//
// A zombie's process is gone (it ran exit(), pacct wrote its record); only its parent can make the
// entry go away, by wait(). What explains it: the parent that did not reap (its pid and name from
// the snapshot, how many zombies it held), and what became of them: re-parented to init (pid 1)
// or to a subreaper (a later snapshot shows the new parent) when that parent died (its pacct end).
import type { Db } from '../store/db.js';
import { type Candidate, EvidenceResolver, emptyActor, iso } from './common.js';

interface PsRow {
  id: number;
  source_id: number;
  src_line: number;
  pid: number;
  ppid: number | null;
  stat: string | null;
  command: string | null;
}

/** Zombies of one parent reported each as an incident; past this, only when asked for the pid. */
const STANDALONE_PER_PARENT = 10;
const PAGE = 5000;

const nameOf = (command: string | null): string | null => {
  if (!command) return null;
  const m = /^\s*(?:\\_\s*)?\[?([^\]\s]+)\]?/.exec(command.replace(/\s*<defunct>\s*$/, ''));
  return m?.[1]?.split('/').pop() || null;
};

export function* zombieCandidates(db: Db, ev: EvidenceResolver): Generator<Candidate> {
  const page = db.prepare(
    `SELECT id, source_id, src_line, pid, ppid, stat, command FROM ps_snapshot
     WHERE (stat LIKE 'Z%' OR command LIKE '%<defunct>%') AND pid IS NOT NULL AND id > ? ORDER BY id LIMIT ${PAGE}`,
  );
  const parentRow = db.prepare(`SELECT id, source_id, src_line, pid, ppid, stat, command FROM ps_snapshot WHERE source_id = ? AND pid = ? LIMIT 1`);
  const heldBy = db.prepare(`SELECT COUNT(*) FROM ps_snapshot WHERE source_id = ? AND ppid = ? AND (stat LIKE 'Z%' OR command LIKE '%<defunct>%')`).pluck();
  const pacctOf = db.prepare(`SELECT source_id, src_line, comm, exit_code, exit_signal, end_utc_ms FROM pacct_records WHERE pid = ? ORDER BY end_utc_ms DESC LIMIT 1`);
  // The same zombie in another snapshot with another parent: re-parented (to init or a subreaper).
  const laterParent = db.prepare(`SELECT ppid, command FROM ps_snapshot WHERE pid = ? AND source_id <> ? AND ppid IS NOT NULL AND ppid <> ? LIMIT 1`);
  const shown = new Map<string, number>();
  for (let last = 0; ; ) {
    const rows = page.all(last) as PsRow[];
    if (!rows.length) return;
    for (const z of rows) {
      last = Math.max(last, z.id);
      const comm = nameOf(z.command);
      const parent = z.ppid !== null ? (parentRow.get(z.source_id, z.ppid) as PsRow | undefined) : undefined;
      const parentName = parent ? nameOf(parent.command) : null;
      const held = z.ppid !== null ? (heldBy.get(z.source_id, z.ppid) as number) : 1;
      const exitRec = pacctOf.get(z.pid) as
        | { source_id: number; src_line: number; comm: string | null; exit_code: number | null; exit_signal: number | null; end_utc_ms: number | null }
        | undefined;
      const parentEnd = z.ppid !== null && z.ppid > 1 ? (pacctOf.get(z.ppid) as { end_utc_ms: number | null } | undefined) : undefined;
      const moved = laterParent.get(z.pid, z.source_id, z.ppid ?? -1) as { ppid: number; command: string | null } | undefined;
      const who = z.ppid === 1 ? 'init (pid 1)' : `${parentName ?? 'its parent'} (pid ${z.ppid ?? '?'})`;
      let after = '';
      if (z.ppid === 1) {
        after = '; its parent is pid 1: it was re-parented to init when its own parent died, and init has not reaped it (a container without an init that reaps?)';
      } else if (moved) {
        after = `; a later snapshot shows it under pid ${moved.ppid}${moved.ppid === 1 ? ' (init)' : ' (a subreaper)'}: it was re-parented when ${parentName ?? 'its parent'} died`;
      } else if (parentEnd?.end_utc_ms != null) {
        after = `; ${parentName ?? 'the parent'} ended at ${iso(parentEnd.end_utc_ms)}, and its zombies were then re-parented to init (or a subreaper) and reaped`;
      }
      const how = exitRec
        ? exitRec.exit_signal
          ? ` after it was killed by signal ${exitRec.exit_signal}`
          : ` after it exited with status ${exitRec.exit_code ?? '?'}`
        : '';
      const key = `${z.source_id}:${z.ppid}`;
      const n = (shown.get(key) ?? 0) + 1;
      shown.set(key, n);
      const evidence = [ev.line(z.source_id, z.src_line, { role: 'the zombie in the process listing', decisive: true })];
      if (parent) evidence.push(ev.line(parent.source_id, parent.src_line, { role: `the parent that did not reap it: ${parentName ?? parent.pid}` }));
      if (exitRec) evidence.push(ev.line(exitRec.source_id, exitRec.src_line, { role: 'process accounting: when it ended', ts_utc_ms: exitRec.end_utc_ms }));
      yield {
        cause: 'exit',
        strength: 25,
        host: null,
        pid: z.pid,
        comm: comm ?? exitRec?.comm ?? null,
        time_ms: exitRec?.end_utc_ms ?? null,
        signal: exitRec?.exit_signal ?? null,
        confidence: exitRec ? 'high' : 'medium',
        summary:
          `${comm ?? 'the process'} (pid ${z.pid}) is a zombie: it ended${how} but was never reaped by ${who}, ` +
          `which held ${held} zombie${held === 1 ? '' : 's'} in that listing (a parent that does not wait() for its children)${after}`,
        actor: { ...emptyActor('unknown'), sender_pid: z.ppid, sender_comm: parentName },
        evidence,
        missing: exitRec ? [] : ['no process accounting record of the zombie: when and how it ended is not in the evidence'],
        recommendations: [`fix ${parentName ?? 'the parent'} to reap its children (wait()/waitpid(), or SIGCHLD set to SIG_IGN), or run it under an init that reaps (tini, systemd)`],
        standalone: n <= STANDALONE_PER_PARENT,
      };
    }
  }
}
