// Shared pieces of the cause modules: the candidate each module proposes, evidence lines resolved
// to (path, line, raw text), signal names, and the "what would settle it" checks.
// A cause module never decides alone: it proposes candidates and index.ts merges the candidates
// that describe the same death of the same process.
import type { Db } from '../store/db.js';
import { isoUtc } from '../time/civil.js';
import { LineStore } from '../store/lines.js';
import { signalName as lookupSignalName } from '../lookups/signals.js';
import type { Actor, Cause, Confidence, EvidenceLine, Incident, OomDetails } from './types.js';

export interface Candidate {
  cause: Cause;
  /** Which explanation wins when several describe the same death (higher wins). */
  strength: number;
  host: string | null;
  pid: number;
  comm: string | null;
  /** The comm is only a syslog tag (the name a unit's process logs under), not the kernel's comm. */
  comm_weak?: boolean;
  /** When the process died (or was killed), UTC ms. */
  time_ms: number | null;
  start_ms?: number | null;
  boot?: string | null;
  signal: number | null;
  confidence: Confidence;
  summary: string;
  actor?: Actor;
  trigger?: { pid: number | null; comm: string | null } | null;
  oom?: OomDetails | null;
  evidence: EvidenceLine[];
  missing?: string[];
  alternatives?: string[];
  recommendations?: string[];
  /** false: only worth reporting when it explains a death another module saw, or when asked for the pid. */
  standalone: boolean;
  /** A failed kill (ESRCH, EPERM): shown beside the verdict, never the cause of a death. */
  attempt?: boolean;
  /** Other processes the same sender killed in the same moment. */
  other_victims?: Array<{ pid: number; comm: string | null }>;
  /** Kernel uptime of the decisive line: the same kernel line copied into several files shares it. */
  uptime_s?: number | null;
}

/** The signal's name from the one signal table (src/lookups/signals.ts), or `signal N`. */
export function signalName(sig: number | null | undefined): string | null {
  if (sig === null || sig === undefined) return null;
  return lookupSignalName(sig) ?? `signal ${sig}`;
}

/** Signals a process dies of as a matter of course (terminal hang-up, Ctrl-C, closed pipe). */
export const ROUTINE_SIGNALS: ReadonlySet<number> = new Set([1, 2, 13]);

export const AUDIT_KILL_RULE = '-a always,exit -F arch=b64 -S kill,tkill,tgkill -F key=kill';

/** audit's "unset" login uid / session: 4294967295 in most records, -1 in OBJ_PID. */
export function auditId(v: number | null | undefined): number | null {
  if (v === null || v === undefined) return null;
  if (v === 4294967295 || v === -1 || v < 0) return null;
  return v;
}

export function emptyActor(kind: Actor['kind'] = 'unknown'): Actor {
  return { kind, user: null, uid: null, auid: null, session: null, from_host: null, tty: null, via: null, command: null };
}

export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : isoUtc(ms);
}

export function mib(kb: number | null | undefined): number | null {
  if (kb === null || kb === undefined) return null;
  return Math.round((kb / 1024) * 10) / 10;
}

/** Same host, treating an unknown host (dmesg, pacct) as compatible with any. */
export function sameHost(a: string | null, b: string | null): boolean {
  return a === null || b === null || a === b;
}

interface LineRow {
  path: string;
  host: string | null;
  raw: string | null;
  ts_utc_ms: number | null;
  ts_quality: string | null;
}

/** Resolves (source_id, src_line) to the file path and the raw line as read. */
export class EvidenceResolver {
  private readonly pathOf;
  /** The stored lines (shared by the modules that read a line beside its facts). */
  readonly lines: LineStore;
  private readonly cache = new Map<string, LineRow | null>();
  /** Host written on each cited line, by `path:line`: the host of an incident comes from its evidence. */
  private readonly hosts = new Map<string, string>();
  constructor(db: Db) {
    this.pathOf = db.prepare(`SELECT path, host_hint FROM sources WHERE id = ?`);
    this.lines = new LineStore(db);
  }

  private row(sourceId: number, line: number): LineRow | null {
    const k = `${sourceId}:${line}`;
    let r = this.cache.get(k);
    if (r === undefined) {
      const src = this.pathOf.get(sourceId) as { path: string; host_hint: string | null } | undefined;
      if (src === undefined) r = null;
      else {
        const l = this.lines.at(sourceId, line);
        // A file that names no host (pacct, wtmp, dmesg): the host its sibling files name (or --host).
        r = { path: src.path, host: l?.host ?? src.host_hint, raw: l?.raw ?? null, ts_utc_ms: l?.ts_utc_ms ?? null, ts_quality: l?.ts_quality ?? null };
      }
      this.cache.set(k, r);
    }
    return r;
  }

  /**
   * One evidence line. `text` replaces the stored raw text for binary records (pacct, wtmp), whose
   * raw form is hex and says nothing to a reader.
   */
  line(
    sourceId: number,
    srcLine: number,
    opts: { role?: string; decisive?: boolean; text?: string; ts_utc_ms?: number | null } = {},
  ): EvidenceLine {
    const r = this.row(sourceId, srcLine);
    const ts = opts.ts_utc_ms ?? r?.ts_utc_ms ?? null;
    const ev: EvidenceLine = {
      source: r?.path ?? `source#${sourceId}`,
      line: srcLine,
      time: iso(ts),
      text: opts.text ?? r?.raw ?? '',
    };
    if (opts.role) ev.role = opts.role;
    if (opts.decisive) ev.decisive = true;
    if (r?.host) this.hosts.set(`${ev.source}:${srcLine}`, r.host);
    if (r?.ts_quality) ev.time_quality = r.ts_quality;
    return ev;
  }

  /** Drops what was resolved so far (the lines and their hosts): a long run stays small. */
  forget(): void {
    this.cache.clear();
    this.hosts.clear();
  }

  /** The hosts this resolver saw on `evidence` (to store with a candidate). */
  hostsOf(evidence: readonly EvidenceLine[]): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (const e of evidence) {
      const k = `${e.source}:${e.line}`;
      const h = this.hosts.get(k);
      if (h) out.push([k, h]);
    }
    return out;
  }

  /** Hosts of evidence lines resolved earlier (a stored candidate's). */
  learn(pairs: ReadonlyArray<[string, string]>): void {
    for (const [k, h] of pairs) this.hosts.set(k, h);
  }

  /** The host the evidence lines name most often (decisive lines first), or null. */
  hostOf(evidence: readonly EvidenceLine[]): string | null {
    const count = new Map<string, number>();
    for (const e of evidence) {
      const h = this.hosts.get(`${e.source}:${e.line}`);
      if (h) count.set(h, (count.get(h) ?? 0) + (e.decisive ? 100 : 1));
    }
    let best: string | null = null;
    for (const [h, n] of count) if (best === null || n > count.get(best)!) best = h;
    return best;
  }
}

/** Decodes audit's hex encoding of proctitle/cmd (NUL-separated argv) when the value is hex. */
export function decodeAuditHex(v: string | null | undefined): string | null {
  if (!v) return null;
  if (/^[0-9A-F]+$/.test(v) && v.length % 2 === 0 && v.length >= 2) {
    const s = Buffer.from(v, 'hex').toString('utf8');
    return s.replace(/\0+$/, '').replace(/\0/g, ' ');
  }
  return v.replace(/\0+$/, '').replace(/\0/g, ' ');
}

/** Maps a cgroup path to the systemd unit or container it belongs to, when the path shows one. */
export function unitFromCgroup(path: string | null | undefined): string | null {
  if (!path) return null;
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'docker' && parts[1]) return `docker container ${parts[1].slice(0, 12)}`;
  for (let i = parts.length - 1; i >= 0; i--) {
    const p = parts[i]!;
    let m = /^(?:docker|cri-containerd|crio|libpod)-([0-9a-f]{12,})\.scope$/.exec(p);
    if (m) return `${p.split('-')[0]} container ${m[1]!.slice(0, 12)}`;
    m = /^lxc\.payload\.(.+)$/.exec(p);
    if (m) return `lxc container ${m[1]}`;
    if (/\.(service|scope)$/.test(p)) return p;
  }
  for (let i = parts.length - 1; i >= 0; i--) if (parts[i]!.endsWith('.slice')) return parts[i]!;
  return null;
}

export interface Coverage {
  source_id: number;
  path: string;
  host: string | null;
  first_ms: number;
  last_ms: number;
  lines: number;
}

/**
 * Context shared by the checks that produce `missing_evidence`: what kinds of evidence the case
 * holds at all, and which time each source covers.
 */
/** A silence longer than this in a host's logs is reported as a gap. */
const GAP_MS = 3_600_000;
/** How many following lines are scanned for that silence. */
const GAP_SCAN_LINES = 5_000;

export class CaseFacts {
  readonly hasAudit: boolean;
  readonly hasKillAudit: boolean;
  /** Kill syscalls are audited, but only from senders with a login uid (no record without one). */
  readonly killAuditNeedsLoginUid: boolean;
  readonly killRuleKeys: string[];
  readonly hasPacct: boolean;
  readonly hasKernel: boolean;
  readonly coverage: Coverage[];
  /** The host most lines of the case name: the host of evidence that names none (audit without node=, pacct, dmesg). */
  readonly caseHost: string | null;
  private readonly lossStmt;
  private readonly suppressedStmt;
  private lineStore: LineStore | null = null;

  constructor(private readonly db: Db) {
    const one = (sql: string) => !!db.prepare(sql).get();
    this.hasAudit = one(`SELECT 1 FROM audit_records LIMIT 1`) || one(`SELECT 1 FROM signals LIMIT 1`);
    this.hasKillAudit = one(`SELECT 1 FROM signals LIMIT 1`);
    // Every audited sender had a login uid: the loaded rule most likely filters `auid!=4294967295`.
    this.killAuditNeedsLoginUid = this.hasKillAudit && !one(`SELECT 1 FROM signals WHERE sender_auid IS NULL LIMIT 1`);
    this.killRuleKeys = (db.prepare(`SELECT DISTINCT audit_key FROM signals WHERE audit_key IS NOT NULL LIMIT 5`).pluck().all() as string[]);
    this.hasPacct = one(`SELECT 1 FROM pacct_records LIMIT 1`);
    this.hasKernel = one(`SELECT 1 FROM segments WHERE kernel_lines > 0 LIMIT 1`);
    // One row per source (segments are few: one per boot a file shows).
    this.coverage = db
      .prepare(
        `SELECT g.source_id AS source_id, s.path AS path, MAX(g.host) AS host, MIN(g.first_ms) AS first_ms, MAX(g.last_ms) AS last_ms,
         SUM(g.host_lines) AS lines
         FROM segments g JOIN sources s ON s.id = g.source_id WHERE g.timed_lines > 0 GROUP BY g.source_id`,
      )
      .all() as Coverage[];
    const perHost = new Map<string, number>();
    for (const c of this.coverage) if (c.host) perHost.set(c.host, (perHost.get(c.host) ?? 0) + c.lines);
    let best: string | null = null;
    for (const [h, n] of perHost) if (best === null || n > perHost.get(best)!) best = h;
    this.caseHost = best;
    this.lossStmt = db.prepare(
      `SELECT ts_utc_ms, kind, detail FROM audit_loss WHERE kind IS NOT 'kernel_ratelimit' AND (ts_utc_ms IS NULL OR ts_utc_ms BETWEEN ? AND ?) LIMIT 5`,
    );
    this.suppressedStmt = db.prepare(
      `SELECT e.ts_utc_ms AS ts_utc_ms, e.message AS message FROM notable_lines e
       WHERE e.kind = 'ratelimit' AND e.ts_utc_ms BETWEEN ? AND ? ORDER BY e.ts_utc_ms, e.source_id, e.src_line LIMIT 3`,
    );
  }

  /**
   * A silence in the logs right after `ms`: the next line of the host comes more than `GAP_MS`
   * later. The end of a process in that stretch left nothing (logs rotated away, host down, clock jump).
   */
  gapAfter(ms: number, host: string | null): string | null {
    this.lineStore ??= new LineStore(this.db);
    let prev = ms;
    let n = 0;
    for (const { ts_utc_ms: t } of this.lineStore.byTime(ms + 1, Number.MAX_SAFE_INTEGER, 'asc', (l) => host === null || l.host === null || l.host === host)) {
      if (t! - prev > GAP_MS) {
        return `no log line at all from ${iso(prev)} to ${iso(t)} (${Math.round((t! - prev) / 60_000)} min): the logs of that period were rotated away or lost, or the host was down; the end of the process may be in that gap`;
      }
      prev = t!;
      if (++n >= GAP_SCAN_LINES) break;
    }
    return null;
  }

  covered(ms: number | null, host: string | null): boolean {
    if (ms === null) return true;
    return this.coverage.some((c) => sameHost(c.host, host) && c.first_ms - 60_000 <= ms && ms <= c.last_ms + 60_000);
  }

  /** What would settle a death at `ms` that the evidence does not explain (or explains only in part). */
  missing(ms: number | null, host: string | null, opts: { needKill?: boolean } = {}): string[] {
    const out: string[] = [];
    if (opts.needKill !== false) {
      if (!this.hasAudit) {
        out.push(`no audit log in the evidence: with auditd running and the rule \`${AUDIT_KILL_RULE}\`, the sender of any signal would be recorded`);
      } else if (!this.hasKillAudit) {
        out.push(`the audit log holds no kill-syscall records: no audit rule for kill syscalls was loaded; add \`${AUDIT_KILL_RULE}\``);
      } else if (this.killAuditNeedsLoginUid) {
        const keys = this.killRuleKeys.length ? ` (key ${this.killRuleKeys.join(', ')})` : '';
        out.push(
          `kill syscalls are audited${keys}, but every recorded sender has a login uid: the rule in force most likely records only senders with \`-F auid!=4294967295\`, ` +
            `so a sender without one (a service, a daemon or a job started at boot) leaves no record; that is the likely sender here. ` +
            `The rule \`${AUDIT_KILL_RULE}\` (no auid filter) would have recorded it`,
        );
      }
    }
    if (!this.hasPacct) out.push('no process accounting (pacct): with acct/psacct enabled every process end records its exit status or killing signal');
    if (ms !== null) {
      for (const l of this.lossStmt.all(ms - 3_600_000, ms + 3_600_000) as Array<{ ts_utc_ms: number | null; kind: string | null; detail: string | null }>) {
        out.push(`audit lost records${l.ts_utc_ms !== null ? ` at ${iso(l.ts_utc_ms)}` : ''} (${l.kind ?? 'loss'}${l.detail ? `: ${l.detail}` : ''}): the deciding record may be among them`);
      }
      for (const s of this.suppressedStmt.all(ms - 120_000, ms + 120_000) as Array<{ ts_utc_ms: number; message: string }>) {
        out.push(`kernel messages were rate-limited at ${iso(s.ts_utc_ms)} ("${s.message}"): a kernel line about this process may have been dropped`);
      }
      if (!this.covered(ms, host)) out.push(`no log file covers ${iso(ms)}: the logs for that period were rotated away or not collected`);
    }
    return out;
  }
}

/** Candidate → Incident; `id` is stable for the same evidence. */
export function toIncident(c: Candidate): Incident {
  const t = c.time_ms;
  const idTime = t !== null ? Math.floor(t / 1000) : 0;
  return {
    id: `${c.host ?? 'host'}-${c.pid}-${idTime}`,
    pid: c.pid,
    comm: c.comm,
    host: c.host,
    boot: c.boot ?? null,
    time: iso(t),
    start_time: iso(c.start_ms ?? null),
    cause: c.cause,
    signal: c.signal,
    signal_name: signalName(c.signal),
    confidence: c.confidence,
    summary: c.summary,
    actor: c.actor ?? emptyActor(),
    trigger: c.trigger ?? null,
    oom: c.oom ?? null,
    evidence: c.evidence,
    missing_evidence: c.missing ?? [],
    alternatives: c.alternatives ?? [],
    recommendations: c.recommendations ?? [],
    ...(c.other_victims?.length ? { other_victims: c.other_victims } : {}),
  };
}

export function describeCandidate(c: Candidate): string {
  const sig = c.signal !== null ? ` (${signalName(c.signal)})` : '';
  return `${c.cause}${sig} at ${iso(c.time_ms) ?? 'unknown time'}: ${c.summary}`;
}


/** A row of `logins` (src/store/schema/facts.ts). */
export interface LoginRow {
  id?: number;
  source_id: number;
  src_line: number;
  ts_utc_ms: number | null;
  kind: string;
  user: string | null;
  uid: number | null;
  auid: number | null;
  ses: number | null;
  pid: number | null;
  from_host: string | null;
  tty: string | null;
  service: string | null;
  method: string | null;
  detail: string | null;
  host?: string | null;
}

/** A row of `process_ends` (src/store/schema/facts.ts). */
export interface ProcessEndRow {
  source_id: number;
  src_line: number;
  ts_utc_ms: number | null;
  host: string | null;
  boot_key: string | null;
  kind: string;
  pid: number | null;
  comm: string | null;
  exe: string | null;
  signal: number | null;
  exit_code: number | null;
  unit: string | null;
  cgroup: string | null;
  detail: string | null;
}
