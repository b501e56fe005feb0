// Correlation: every cause module proposes candidates (one per death it can see); candidates that
// describe the same death of the same process are merged into one incident, the strongest
// explanation wins and the others become alternatives and evidence.
//
// Process identity is (host, boot, pid, time): pids are reused, so two candidates are the same death
// only when their times are close, their comms agree and they are not of different boots. `boot` is
// the identity boots.ts gives (journal boot id, else the boot's start instant), never a per-file key.
import type { Db } from '../store/db.js';
import { timeQualityRank } from '../time/quality.js';
import type { LineStore } from '../store/lines.js';
import type { EvidenceLine, Incident, IncidentFilter } from './types.js';
import { type Candidate, CaseFacts, EvidenceResolver, describeCandidate, iso, sameHost, toIncident } from './common.js';
import { hostDownFor, shutdownVerdict } from './hostdown.js';
import { BootTimeline } from './boots.js';
import { CAUSES } from './registry.js';
import { pacctCandidateStream, pacctCandidates } from './exit.js';

export type { Incident, IncidentFilter } from './types.js';

/** Two reports of one death: pacct end times are second-rounded, a SIGTERM handler takes a moment. */
const SAME_DEATH_MS = 5_000;

function commsAgree(a: string | null, b: string | null): boolean {
  if (!a || !b) return true;
  // comm is cut at 15 bytes; pacct sees the comm after exec, audit the one at kill time.
  return a === b || a.startsWith(b.slice(0, 15)) || b.startsWith(a.slice(0, 15));
}

function sameDeath(x: Candidate, y: Candidate): boolean {
  if (x.pid !== y.pid || !sameHost(x.host, y.host)) return false;
  if (x.boot && y.boot && x.boot !== y.boot) return false;
  const a = x.comm_weak ? { ...x, comm: null } : x;
  const b = y.comm_weak ? { ...y, comm: null } : y;
  if (a.uptime_s != null && b.uptime_s != null && Math.abs(a.uptime_s - b.uptime_s) < 0.01) return true;
  if (a.time_ms === null || b.time_ms === null) return commsAgree(a.comm, b.comm) && !!a.comm && !!b.comm;
  return Math.abs(a.time_ms - b.time_ms) <= SAME_DEATH_MS && commsAgree(a.comm, b.comm);
}

interface Group {
  members: Candidate[];
}

/**
 * The cause modules, in the order their candidates are merged (pacct's are read apart: it has a
 * record for every process). Each yields its candidates; none keeps a query open between two.
 */
/** The cause modules' candidate generators, in the registry's order (src/correlate/registry.ts). */
const CAUSE_MODULES: ReadonlyArray<(db: Db, ev: EvidenceResolver) => Iterable<Candidate>> = CAUSES.map((c) => c.candidates);

function moduleCandidates(db: Db, ev: EvidenceResolver): Candidate[] {
  return CAUSE_MODULES.flatMap((m) => [...m(db, ev)]);
}

interface StoredCandidate {
  c: Candidate;
  hosts: Array<[string, string]>;
}

/** One pid's module candidates: from the `candidates` table when ingest materialized it. */
function candidatesOfPid(db: Db, ev: EvidenceResolver, pid: number): Candidate[] {
  if (!materialized(db)) return moduleCandidates(db, ev).filter((c) => c.pid === pid);
  return (db.prepare(`SELECT json FROM candidates WHERE pid = ?`).all(pid) as Array<{ json: string }>).map((r) => {
    const s = JSON.parse(r.json) as StoredCandidate;
    ev.learn(s.hosts);
    return s.c;
  });
}

/** Every candidate of one pid, each with its boot identity: what `processesByPid` groups. */
function candidatesForPid(db: Db, ev: EvidenceResolver, tl: BootTimeline, pid: number): Candidate[] {
  const mine = candidatesOfPid(db, ev, pid);
  mine.push(...pacctCandidates(db, ev, { pid }));
  for (const c of mine) c.boot = tl.identity(c.boot, c.host, c.time_ms ?? c.start_ms);
  return mine;
}

interface MergeContext {
  db: Db;
  ev: EvidenceResolver;
  facts: CaseFacts;
  tl: BootTimeline;
}

/**
 * The incidents of one pid, from its module and unusual-pacct candidates: its ordinary pacct
 * records join them (they only confirm a death another record shows), then the candidates that
 * describe one death are merged. The case's incidents are this, pid by pid.
 */
function incidentsOfPid(x: MergeContext, pid: number, list: Candidate[]): Incident[] {
  list.push(...pacctCandidates(x.db, x.ev, { pids: [pid], unusual: false }));
  for (const c of list) c.boot = x.tl.identity(c.boot, c.host, c.time_ms ?? c.start_ms);
  return group(list, x.tl, x.ev)
    .filter((g) => g.members.some((m) => m.standalone))
    .map((g) => toMergedIncident(g, x.facts, x.ev, x.tl));
}

/** The deaths among one pid's candidates (callers group pid by pid: the work grows with a pid's candidates, not the case's). */
function group(cands: Candidate[], tl: BootTimeline, ev: EvidenceResolver): Group[] {
  const sorted = [...cands].sort((a, b) => b.strength - a.strength);
  const groups: Group[] = [];
  for (const c of sorted) {
    const g = groups.find((x) => x.members.some((m) => sameDeath(m, c)));
    if (g) g.members.push(c);
    else groups.push({ members: [c] });
  }
  // A death during an orderly shutdown that nothing else explains is the shutdown's doing.
  for (const g of groups) {
    const down = shutdownVerdict(g.members[0]!, tl, ev);
    if (down) g.members.unshift(down);
  }
  return groups;
}

function evidenceKey(e: EvidenceLine): string {
  return `${e.source}:${e.line}`;
}

/** Host of a verdict whose decisive record names none: the host its evidence names, else the case's. */
function fillHost(c: Candidate, ev: EvidenceResolver, facts: CaseFacts): void {
  c.host ??= ev.hostOf(c.evidence) ?? facts.caseHost;
}

/**
 * The explanations that were looked for and not found, said only where the evidence that would
 * show them is in the case (no kernel log: an OOM kill is not ruled out, it is unknowable).
 */
function ruledOut(g: Group, win: Candidate, facts: CaseFacts): string[] {
  const seen = new Set(g.members.map((m) => m.cause));
  const out: string[] = [];
  const pid = win.pid;
  if (!seen.has('oom-kill') && facts.hasKernel) out.push(`ruled out: OOM kill (no kernel OOM-killer line names pid ${pid})`);
  if (!seen.has('crash') && facts.hasKernel) out.push(`ruled out: crash (no segfault, trap, abort or core dump of pid ${pid} is logged)`);
  if (!seen.has('signal') && facts.hasKillAudit) out.push(`ruled out: kill from a process (no audited kill syscall targets pid ${pid})`);
  if (!seen.has('host-down') && win.cause !== 'host-down') out.push('ruled out: host down (no shutdown, reboot or crash of the host at that time)');
  return out;
}

function toMergedIncident(g: Group, facts: CaseFacts, ev: EvidenceResolver, tl: BootTimeline): Incident {
  const [win, ...rest] = g.members as [Candidate, ...Candidate[]];
  const c: Candidate = { ...win, evidence: [...win.evidence], missing: [...(win.missing ?? [])], alternatives: [...(win.alternatives ?? [])], recommendations: [...(win.recommendations ?? [])] };
  const seen = new Set(c.evidence.map(evidenceKey));
  if (c.comm_weak) {
    const strong = rest.find((o) => o.comm && !o.comm_weak);
    if (strong) c.comm = strong.comm;
  }
  for (const o of rest) {
    c.comm ??= o.comm;
    c.host ??= o.host;
    c.boot ??= o.boot ?? null;
    if (c.start_ms == null && o.start_ms != null) c.start_ms = o.start_ms;
    for (const e of o.evidence) {
      if (seen.has(evidenceKey(e))) continue;
      seen.add(evidenceKey(e));
      c.evidence.push({ ...e, decisive: false });
    }
    if (o.attempt) {
      c.alternatives!.push(`a failed kill attempt, not the cause: ${o.summary}`);
      continue;
    }
    if (o.cause === win.cause && (o.signal === null || win.signal === null || o.signal === win.signal)) continue;
    const agrees = o.signal !== null && o.signal === win.signal;
    c.alternatives!.push(`${agrees ? 'consistent' : 'weaker, not chosen'}: ${describeCandidate(o)}`);
    if (!agrees && o.signal !== null && win.signal !== null && o.cause === 'signal') {
      c.missing!.push(`process accounting reports signal ${o.signal}, not ${win.signal}: the process may have ended before or apart from this kill`);
    }
  }
  // The same line read from several files: take the instant from the best-timed copy (an exact or
  // uptime-anchored kernel line beats dmesg -T, whose wall times come from btime, whole seconds).
  const timed = g.members.filter((m) => m.cause === win.cause && m.time_ms !== null);
  if (timed.length > 1) {
    const rank = (m: Candidate) => timeQualityRank(m.evidence.find((e) => e.decisive)?.time_quality);
    const best = timed.reduce((a, b) => (rank(b) < rank(a) ? b : a));
    if (rank(best) < rank(win)) c.time_ms = best.time_ms;
  }
  for (const r of ruledOut(g, win, facts)) if (!c.alternatives!.includes(r)) c.alternatives!.push(r);
  // Independent confirmation (e.g. pacct AXSIG 9 after an audited kill -9) raises a medium verdict.
  // (Not for host-down: there medium means the shutdown's end is not in the evidence, which a signal does not settle.)
  // A candidate whose every line the winner already cites is not independent (systemd-oomd's pids come from pacct).
  const winKeys = new Set(win.evidence.map(evidenceKey));
  const independent = (o: Candidate) => o.evidence.some((e) => !winKeys.has(evidenceKey(e)));
  if (c.confidence === 'medium' && c.cause !== 'host-down' && rest.some((o) => o.signal !== null && o.signal === win.signal && o.cause !== win.cause && independent(o))) c.confidence = 'high';
  if (c.cause === 'signal' && (!c.actor || c.actor.kind === 'unknown')) {
    for (const m of facts.missing(c.time_ms, c.host)) if (!c.missing!.includes(m)) c.missing!.push(m);
  }
  fillHost(c, ev, facts);
  c.boot = tl.identity(c.boot, c.host, c.time_ms ?? c.start_ms);
  return toIncident(c);
}

function applyFilter(list: Incident[], f: IncidentFilter): Incident[] {
  return list.filter((i) => {
    const t = i.time ? Date.parse(i.time) : null;
    if (f.since != null && (t === null || t < f.since)) return false;
    if (f.until != null && (t === null || t > f.until)) return false;
    if (f.cause && i.cause !== f.cause) return false;
    if (f.pid != null && i.pid !== f.pid) return false;
    if (f.comm && i.comm !== f.comm) return false;
    if (f.id && i.id !== f.id) return false;
    return true;
  });
}

function newestFirst(a: Incident, b: Incident): number {
  return (b.time ?? '').localeCompare(a.time ?? '') || a.pid - b.pid;
}

/**
 * Every disappearance found, newest first: read from the `incidents` table that ingest
 * materialized (computed when the case has none). With `pid`, see `processesByPid`.
 */
export function findIncidents(db: Db, filter: IncidentFilter = {}): Incident[] {
  if (filter.pid != null || !materialized(db)) return [...eachIncident(db, filter)];
  return [...eachIncident(db, filter)].sort(newestFirst);
}

/**
 * The same incidents one at a time, newest first, reading the `incidents` table as it goes: a
 * case with a hundred thousand deaths is listed in the memory of one.
 */
export function* eachIncident(db: Db, filter: IncidentFilter = {}): Generator<Incident> {
  if (filter.pid != null) {
    yield* applyFilter(processesByPid(db, filter.pid), filter);
    return;
  }
  if (!materialized(db)) {
    yield* computeIncidents(db, filter);
    return;
  }
  const where: string[] = [];
  const args: unknown[] = [];
  if (filter.since != null) (where.push('time_ms >= ?'), args.push(filter.since));
  if (filter.until != null) (where.push('time_ms <= ?'), args.push(filter.until));
  if (filter.cause) (where.push('cause = ?'), args.push(filter.cause));
  if (filter.comm) (where.push('comm = ?'), args.push(filter.comm));
  if (filter.id) (where.push('id = ?'), args.push(filter.id));
  // time_utc is ISO 8601 (text order is time order), NULL last as newestFirst has it.
  const rows = db
    .prepare(`SELECT json FROM incidents ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY time_utc DESC, pid, rowid`)
    .iterate(...args) as Iterable<{ json: string }>;
  for (const r of rows) yield* applyFilter([JSON.parse(r.json) as Incident], filter);
}

function materialized(db: Db): boolean {
  return !!db.prepare(`SELECT 1 FROM meta WHERE key = 'derived_at'`).get();
}

/** Candidates read back per query while materializing: bounded memory whatever the case. */
const CANDIDATE_PAGE = 2000;

/**
 * Computes every incident of the case and stores them, with the module candidates, in `incidents`
 * and `candidates` (run by ingest when the case changed; the caller holds the transaction).
 * Memory stays bounded however many deaths the case holds (a crash loop logs 100,000 segfaults):
 * each candidate is stored as its module yields it, then the candidates are read back a page at a
 * time in pid order and merged one pid at a time (`incidentsOfPid`, as `computeIncidents` does):
 * two candidates are one death only for the same pid.
 */
export function materializeIncidents(db: Db): number {
  const ev = new EvidenceResolver(db);
  const facts = new CaseFacts(db);
  const tl = new BootTimeline(db);
  db.prepare(`DELETE FROM incidents`).run();
  db.prepare(`DELETE FROM candidates`).run();
  db.exec(`CREATE TEMP TABLE IF NOT EXISTS pf_cands (pid INTEGER NOT NULL, json TEXT NOT NULL); DELETE FROM temp.pf_cands;
           CREATE INDEX IF NOT EXISTS temp.pf_cands_pid ON pf_cands(pid);`);
  const toTemp = db.prepare(`INSERT INTO temp.pf_cands (pid, json) VALUES (?, ?)`);
  const toStored = db.prepare(`INSERT INTO candidates (pid, cause, json) VALUES (?, ?, ?)`);
  const put = (c: Candidate, stored: boolean) => {
    const json = JSON.stringify({ c, hosts: ev.hostsOf(c.evidence) } satisfies StoredCandidate);
    toTemp.run(c.pid, json);
    if (stored) toStored.run(c.pid, c.cause, json);
  };
  for (const m of CAUSE_MODULES) {
    for (const c of m(db, ev)) put(c, true);
    ev.forget();
  }
  for (const c of pacctCandidateStream(db, ev, { unusual: true })) put(c, false);
  ev.forget();

  const ins = db.prepare(
    `INSERT INTO incidents (id, pid, comm, host, time_ms, time_utc, cause, signal, confidence, summary, json)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  let n = 0;
  const x: MergeContext = { db, ev, facts, tl };
  const mergePid = (pid: number, list: Candidate[]) => {
    for (const i of incidentsOfPid(x, pid, list)) {
      ins.run(i.id, i.pid, i.comm, i.host, i.time ? Date.parse(i.time) : null, i.time, i.cause, i.signal, i.confidence, i.summary, JSON.stringify(i));
      n++;
    }
    ev.forget();
  };
  // A row-value bound, so each page is an index seek (an OR of the two cases is a scan each time).
  const page = db.prepare(`SELECT rowid AS rid, pid, json FROM temp.pf_cands WHERE (pid, rowid) > (?, ?) ORDER BY pid, rowid LIMIT ${CANDIDATE_PAGE}`);
  let cur: { pid: number; list: Candidate[] } | null = null;
  for (let lastPid = -Infinity, lastRid = 0; ; ) {
    const rows = page.all(lastPid, lastRid) as Array<{ rid: number; pid: number; json: string }>;
    if (!rows.length) break;
    for (const r of rows) {
      if (cur && cur.pid !== r.pid) {
        mergePid(cur.pid, cur.list);
        cur = null;
      }
      const s = JSON.parse(r.json) as StoredCandidate;
      ev.learn(s.hosts);
      (cur ??= { pid: r.pid, list: [] }).list.push(s.c);
    }
    const last = rows[rows.length - 1]!;
    lastPid = last.pid;
    lastRid = last.rid;
  }
  if (cur) mergePid(cur.pid, cur.list);
  db.exec(`DELETE FROM temp.pf_cands`);
  return n;
}

/** The same incidents computed in memory, for a case ingest has not materialized. */
function computeIncidents(db: Db, filter: IncidentFilter): Incident[] {
  const ev = new EvidenceResolver(db);
  const x: MergeContext = { db, ev, facts: new CaseFacts(db), tl: new BootTimeline(db) };
  const byPid = new Map<number, Candidate[]>();
  for (const c of [...moduleCandidates(db, ev), ...pacctCandidates(db, ev, { unusual: true })]) {
    const l = byPid.get(c.pid);
    if (l) l.push(c);
    else byPid.set(c.pid, [c]);
  }
  const out: Incident[] = [];
  for (const [pid, list] of byPid) out.push(...incidentsOfPid(x, pid, list));
  return applyFilter(out, filter).sort(newestFirst);
}

interface Sighting {
  ms: number | null;
  host: string | null;
  boot: string | null;
  comm: string | null;
  source_id: number;
  src_line: number;
  role: string;
}

function sightings(db: Db, lines: LineStore, pid: number): Sighting[] {
  const q = (sql: string, role: string) =>
    (db.prepare(sql).all(pid) as Array<Omit<Sighting, 'role'>>).map((r) => ({ ...r, role }));
  const written: Sighting[] = [];
  for (const l of lines.ofPid(pid)) {
    written.push({ ms: l.ts_utc_ms, host: l.host, boot: l.boot_key, comm: l.program, source_id: l.source_id, src_line: l.src_line, role: 'a log line written by this pid' });
  }
  return [
    ...written,
    ...q(`SELECT ts_utc_ms AS ms, host, NULL AS boot, NULL AS comm, source_id, src_line FROM logins WHERE pid = ?`, 'login record of this pid'),
    ...q(`SELECT ts_utc_ms AS ms, host, NULL AS boot, NULL AS comm, source_id, src_line FROM commands WHERE pid = ?`, 'command run by this pid'),
    ...q(`SELECT ts_utc_ms AS ms, host, NULL AS boot, sender_comm AS comm, source_id, src_line FROM signals WHERE sender_pid = ?`, 'signal sent by this pid'),
    ...q(`SELECT ts_utc_ms AS ms, host AS host, NULL AS boot, NULL AS comm, source_id, src_line FROM utmp_records WHERE pid = ? AND ts_utc_ms IS NOT NULL`, 'login accounting record (wtmp)'),
  ].sort((a, b) => (a.ms ?? 0) - (b.ms ?? 0));
}

/**
 * Every distinct process that had pid N, each with its own verdict: the explained deaths, then the
 * sightings no module explains (each boot segment is a different process), as host-down or unknown.
 */
export function processesByPid(db: Db, pid: number): Incident[] {
  const ev = new EvidenceResolver(db);
  const facts = new CaseFacts(db);
  const tl = new BootTimeline(db);
  const groups = group(candidatesForPid(db, ev, tl, pid), tl, ev);
  const incidents = groups.map((g) => toMergedIncident(g, facts, ev, tl));
  const deaths = groups
    .map((g) => ({ ms: g.members.find((m) => m.time_ms !== null)?.time_ms ?? null, start: g.members.find((m) => m.start_ms != null)?.start_ms ?? null }))
    .filter((d): d is { ms: number; start: number | null } => d.ms !== null);
  const unexplained = sightings(db, ev.lines, pid).filter(
    (s) => s.ms !== null && !deaths.some((d) => s.ms! <= d.ms + SAME_DEATH_MS && (d.start === null ? s.ms! >= d.ms - 3_600_000 : s.ms! >= d.start - 1000)),
  );
  // Split by boot (and by host): pid N in another boot is another process.
  const segments: Sighting[][] = [];
  for (const s of unexplained) {
    const last = segments[segments.length - 1];
    const prev = last?.[last.length - 1];
    const death = prev ? deaths.find((d) => prev.ms! < d.ms && d.ms < s.ms!) : undefined;
    const otherBoot = (prev?.boot && s.boot && prev.boot !== s.boot) || (prev && tl.bootAt(prev.ms!, prev.host) !== tl.bootAt(s.ms!, s.host));
    if (!last || !prev || otherBoot || !sameHost(prev.host, s.host) || death) segments.push([s]);
    else last.push(s);
  }
  // Lines of the new boot's kernel start come a little before its wtmp record.
  const lastLineBefore = (bootMs: number) => ev.lines.maxTsBefore(bootMs - 60_000);
  const lastEvent = ev.lines.maxTs();
  for (const seg of segments) {
    const first = seg[0]!;
    const lastS = seg[seg.length - 1]!;
    const comm = seg.find((s) => s.comm)?.comm ?? null;
    const host = seg.find((s) => s.host)?.host ?? facts.caseHost;
    const down = hostDownFor(ev, tl, pid, comm, host, lastS.ms!, lastLineBefore);
    const evidence = [first, ...(seg.length > 1 ? [lastS] : [])].map((s, i) =>
      ev.line(s.source_id, s.src_line, { role: i === 0 ? `first sighting: ${s.role}` : `last sighting: ${s.role}` }),
    );
    if (down) {
      down.evidence.unshift(...evidence);
      down.start_ms = first.ms;
      incidents.push(toMergedIncident({ members: [down] }, facts, ev, tl));
      continue;
    }
    const maybeAlive = lastEvent !== null && lastEvent - lastS.ms! < 600_000;
    const missing = facts.missing(lastS.ms, host);
    const gap = facts.gapAfter(lastS.ms!, host);
    if (gap) missing.push(gap);
    incidents.push(
      toIncident({
        cause: 'unknown',
        strength: 0,
        host,
        pid,
        comm,
        time_ms: lastS.ms,
        start_ms: first.ms,
        boot: tl.identity(first.boot, host, first.ms),
        signal: null,
        confidence: 'low',
        summary:
          `${comm ?? 'process'} (pid ${pid}) was seen from ${iso(first.ms)} to ${iso(lastS.ms)}; nothing in the evidence says how it ended` +
          (maybeAlive ? ' (it may still have been running when the logs were collected)' : ''),
        evidence,
        missing,
        recommendations: [`load the audit rule \`-a always,exit -F arch=b64 -S kill,tkill,tgkill -F key=kill\` and enable process accounting so the next end is recorded`],
        standalone: true,
      }),
    );
  }
  return incidents.sort(newestFirst);
}
