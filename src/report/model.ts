// One typed report model per incident, built from the verdict (`Incident`) plus the case
// database; the Markdown, HTML and JSON renderers only lay it out. Text is kept as spans that say
// whether it is the tool's own words (`t`) or a value taken from a log (`v`), so each renderer can
// escape and style log values the same way everywhere.
import type { Db } from '../store/db.js';
import { LineStore, type StoredLine } from '../store/lines.js';
import { timeQualityRank } from '../time/quality.js';
import type { Actor, Cause, EvidenceLine, Incident, OomTask } from '../correlate/types.js';
import { signalName } from '../lookups/signals.js';
import { decodeAuditHex } from '../correlate/common.js';
import { ZoneConverter } from '../time/civil.js';
import { formatOffset, inferOffsetContext } from '../time/zone-inference.js';
import { VERSION } from '../version.js';

/** `t`: the tool's own words. `v`: a value read from a log (escaped and shown as code). */
export type Span = { t: string } | { v: string };

export interface Fact {
  label: string;
  value: Span[];
}

export interface TimelineRow {
  ts_utc_ms: number | null;
  /** "2026-11-21 21:08:38.780" in UTC, or null for a line without a usable time. */
  time_utc: string | null;
  time_quality: string;
  /** Absolute path, and the short name used in the report. */
  source: string;
  source_short: string;
  line: number;
  text: string;
  /** One of the incident's evidence lines (this row or one of its copies). */
  evidence: boolean;
  decisive: boolean;
  role: string | null;
  /**
   * The same line stored by other files (a kernel line goes to kern.log, syslog, messages and the
   * dmesg dump), folded into this row; the row shows the copy with the best time.
   */
  copies: TimelineCopy[];
}

export interface TimelineCopy {
  source: string;
  source_short: string;
  line: number;
  time_quality: string;
  /** The verdict cites this copy rather than the row shown. */
  evidence: boolean;
}

export interface RankedTask {
  rank: number;
  pid: number;
  name: string;
  uid: number | null;
  rss_mib: number | null;
  oom_score_adj: number | null;
  victim: boolean;
  trigger: boolean;
}

export interface ZoneInfo {
  /** IANA name, "UTC-05:00" for an inferred offset, or "UTC". */
  name: string;
  source: 'report --tz' | 'ingest --tz' | 'inferred' | 'none';
  note: string;
}

export interface ReportSource {
  path: string;
  short: string;
  sha256: string | null;
  format: string | null;
  status: string | null;
}

/** Another incident of the case tied to this one (the OOM it triggered, a victim of the same kill). */
export interface RelatedIncident {
  label: string;
  pid: number;
  comm: string | null;
  id: string;
  /** Its report in the same set, when one was written (`report --all`). */
  file?: string;
}

export interface ReportModel {
  incident: Incident;
  related: RelatedIncident[];
  title: Span[];
  answer: Span[];
  /** The answer as plain text (JSON, the index, a terminal summary). */
  answer_text: string;
  zone: ZoneInfo;
  facts: Fact[];
  /** "Actor chain" (signals) or "OOM trigger and constraint", one step per entry. */
  chain_title: string | null;
  chain: Fact[];
  timeline: {
    from_utc: string | null;
    to_utc: string | null;
    window_before_ms: number;
    window_after_ms: number;
    rows: TimelineRow[];
    /** Rows in the window (plus evidence outside it) before the cap, copies folded. */
    total: number;
    omitted: number;
    /** Copies of a line from other files, folded into the row that shows it. */
    folded: number;
    note: string | null;
  };
  oom: { tasks: RankedTask[]; omitted: number; notes: string[] } | null;
  alternatives: string[];
  missing_evidence: string[];
  recommendations: string[];
  provenance: {
    case_db: string | null;
    tool: string;
    version: string;
    generated_at: string;
    sources: ReportSource[];
  };
}

export interface ReportOptions {
  /** Path of the case database, as given by the user (cited in the provenance). */
  dbPath?: string | null;
  /** Time before / after the incident shown in the timeline. */
  windowBeforeMs?: number;
  windowAfterMs?: number;
  /** Zone to show local times in; overrides the case's own. */
  tz?: string | null;
  /** ISO 8601 generation time; injected by tests, else now. */
  generatedAt?: string;
  /** Cap on timeline rows (evidence rows are always kept). */
  maxTimelineRows?: number;
  /** Cap on task-table rows shown. */
  maxTasks?: number;
  /** Other incidents tied to this one (computed by writeReportSet, which knows them all). */
  related?: RelatedIncident[];
}

export const DEFAULT_WINDOW_BEFORE_MS = 10 * 60_000;
export const DEFAULT_WINDOW_AFTER_MS = 60_000;
/** Decoded line blocks a report keeps: its window count and its window read do not evict each other. */
const REPORT_CACHE_BLOCKS = 48;

/** Rows a report's timeline shows by default: what fits an incident ticket (GitHub 65,536, Jira 32,767 characters). */
export const DEFAULT_MAX_TIMELINE_ROWS = 60;
export const DEFAULT_MAX_TASKS = 60;
/** Longest line text kept in a report; the rest is cut and counted. */
const MAX_LINE_CHARS = 2000;

const DURATION_UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses "10m", "30s", "1h", "90" (seconds), "1h30m". Returns null when it is not a duration. */
export function parseDuration(s: string): number | null {
  const v = s.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(v)) !== null) {
    total += Number(m[1]) * DURATION_UNITS_MS[m[2]];
    matched = re.lastIndex;
  }
  return matched === v.length && matched > 0 ? Math.round(total) : null;
}

/**
 * `--window 10m` → 10 minutes before and 1 minute after; `--window 10m,2m` sets both. A window
 * shorter than a minute also shortens the time after to the same length.
 */
export function parseWindow(s: string): { beforeMs: number; afterMs: number } | null {
  const [b, a] = s.split(',');
  const beforeMs = parseDuration(b);
  if (beforeMs === null) return null;
  if (a === undefined) return { beforeMs, afterMs: Math.min(DEFAULT_WINDOW_AFTER_MS, beforeMs) };
  const afterMs = parseDuration(a);
  return afterMs === null ? null : { beforeMs, afterMs };
}

export function signalLabel(num: number | null, name: string | null): string | null {
  if (num === null && !name) return null;
  const n = name || (num !== null ? signalName(num) : null);
  if (n && num !== null) return `${n} (${num})`;
  return n ?? `signal ${num}`;
}

const CAUSE_LABELS: Readonly<Record<Cause, string>> = {
  'oom-kill': 'killed by the OOM killer',
  signal: 'killed by a signal',
  crash: 'crashed',
  systemd: 'stopped or killed by systemd',
  'fork-failure': 'fork refused (process or pids limit)',
  'host-down': 'host went down',
  exit: 'exited',
  unknown: 'unknown',
};

// Used only when the verdict carries no advice of its own.
const DEFAULT_RECOMMENDATIONS: Readonly<Record<Cause, readonly string[]>> = {
  'oom-kill': [
    'Size the memory limit (cgroup memory.max / MemoryMax=) for the real peak, or cap the process that triggered the OOM.',
    'Alert on kernel "oom-kill:" lines and on the memory.events oom_kill counter so a kill is never silent.',
    'Protect important processes with oom_score_adj (OOMScoreAdjust=) and run them under a supervisor that restarts them.',
  ],
  signal: [
    'Keep audit rules for kill/tkill/tgkill (-S kill -S tkill -S tgkill -k kill) so every sender is recorded.',
    'Restrict who may run kill/pkill through sudo, and log sudo I/O for privileged sessions.',
    'Run the service under systemd with Restart=on-failure so an unexpected kill is restarted and logged.',
  ],
  crash: [
    'Enable core dumps (systemd-coredump) to get the faulting stack, and fix the bug at the faulting address.',
    'Run the service under a supervisor with Restart=on-failure and alert on segfault lines.',
  ],
  systemd: [
    'Check the unit\'s TimeoutStopSec=, KillMode= and MemoryMax= settings, and review who stopped the unit (journal, audit).',
  ],
  'fork-failure': [
    'Reap child processes (wait/waitpid or SIGCHLD handling) so zombies do not hold pids.',
    'Size the pids limit (TasksMax= / pids.max) for the real load, and alert on "fork rejected by pids controller".',
  ],
  'host-down': [
    'Keep a persistent journal and kernel crash dumps (kdump) so the reason for the host going down is recorded.',
  ],
  exit: ['Log the exit status of the service (systemd does) and alert on unexpected exits.'],
  unknown: [
    'Enable process accounting (acct), audit rules for kill syscalls, and a persistent journal so the next disappearance leaves evidence.',
  ],
};

function parseIso(s: string | null | undefined): number | null {
  if (!s) return null;
  const ms = Date.parse(s);
  return Number.isFinite(ms) ? ms : null;
}

/** "2026-11-21 21:08:38" (".780" when the time has milliseconds), UTC implied. */
export function fmtUtc(ms: number): string {
  const iso = new Date(ms).toISOString();
  const base = `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
  return ms % 1000 === 0 ? base : `${base}.${iso.slice(20, 23)}`;
}

interface ZoneResolver {
  info: ZoneInfo;
  /** Offset in minutes east of UTC at an instant, or null when times are shown in UTC only. */
  offsetAt(ms: number): number | null;
}

function metaValue(db: Db, key: string): string | null {
  try {
    const row = db.prepare(`SELECT value FROM meta WHERE key=?`).get(key) as { value: string } | undefined;
    return row ? row.value : null;
  } catch {
    return null;
  }
}

function resolveZone(db: Db | null, tz: string | null | undefined): ZoneResolver {
  const iana = (name: string, source: ZoneInfo['source'], note: string): ZoneResolver | null => {
    if (!ZoneConverter.isValid(name)) return null;
    const z = new ZoneConverter(name);
    return { info: { name, source, note }, offsetAt: (ms) => z.offsetAt(ms) };
  };
  if (tz) {
    const r = iana(tz, 'report --tz', `local times in ${tz}, as given with report --tz`);
    if (r) return r;
  }
  if (db) {
    const caseTz = metaValue(db, 'tz');
    if (caseTz) {
      const r = iana(caseTz, 'ingest --tz', `local times in ${caseTz}, the host zone given at ingest (--tz)`);
      if (r) return r;
    }
    let inferred: ReturnType<typeof inferOffsetContext> = null;
    try {
      inferred = inferOffsetContext(db);
    } catch {
      inferred = null;
    }
    if (inferred) {
      const a = inferred;
      return {
        info: { name: `UTC${formatOffset(a.minutes)}`, source: 'inferred', note: a.why },
        offsetAt: (ms) => {
          // The offset span in force at that instant, else the one seen most often.
          for (const s of a.spans) if (ms >= s.from_ms && ms <= s.to_ms) return s.minutes;
          return a.minutes;
        },
      };
    }
  }
  return {
    info: { name: 'UTC', source: 'none', note: 'the host time zone is unknown (no --tz, no UTC offsets in the logs): times are in UTC' },
    offsetAt: () => null,
  };
}

function fmtLocal(ms: number, zone: ZoneResolver): string | null {
  const off = zone.offsetAt(ms);
  if (off === null) return null;
  const label = zone.info.source === 'inferred' ? 'inferred' : zone.info.name;
  return `${fmtUtc(ms + off * 60_000)} ${formatOffset(off)} (${label})`;
}

function fmtMib(n: number): string {
  if (Number.isInteger(n)) return String(n);
  return n >= 100 ? String(Math.round(n)) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}

/** Common directory of the cited files, so the report can name them briefly. */
function commonDir(paths: readonly string[]): string {
  if (!paths.length) return '';
  let parts = paths[0].split('/').slice(0, -1);
  for (const p of paths.slice(1)) {
    const q = p.split('/').slice(0, -1);
    let i = 0;
    while (i < parts.length && i < q.length && parts[i] === q[i]) i++;
    parts = parts.slice(0, i);
  }
  return parts.join('/');
}

function shortPath(p: string, dir: string): string {
  return dir && p.startsWith(dir + '/') ? p.slice(dir.length + 1) : p;
}

function clip(s: string): string {
  return s.length > MAX_LINE_CHARS ? `${s.slice(0, MAX_LINE_CHARS)}… (${s.length - MAX_LINE_CHARS} more characters)` : s;
}

/** Audit fields whose value is hex-encoded (argv with NULs, or a value with spaces or quotes). */
const AUDIT_HEX_FIELD = /\b(proctitle|cmd|acct|comm|exe|cwd|name|data)=([0-9A-F]{8,})(?=\s|$)/g;

// events.raw holds records (wtmp, pacct, journal) as hex: show the decoded message for those. An
// audit line is shown as a reader wants it: the ENRICHED separator (0x1d) as a space and the
// hex-encoded values decoded (quoted, as auditd prints plain ones).
function lineText(raw: string, message: string): string {
  if (raw.length >= 16 && /^[0-9a-f]+$/i.test(raw) && raw !== message) return message;
  if (raw.startsWith('type=') || raw.includes(' type=') || raw.includes('msg=audit(')) {
    return raw.replace(/\u001d/g, ' ').replace(AUDIT_HEX_FIELD, (_m, k: string, hex: string) => `${k}=${JSON.stringify(decodeAuditHex(hex))}`);
  }
  return raw;
}

/** A stored line with its file's path. */
type EventRowDb = StoredLine & { path: string };


/** Userland copies of one line carry stamps of different precision (RFC 3339 µs vs whole seconds). */
const COPY_MAX_SKEW_MS = 1000;
/**
 * Windows up to this many lines are read whole (and folded exactly); larger ones only near the
 * incident, so a report costs the same on a busy host as on a quiet one.
 */
const WINDOW_READ_ALL_MAX = 2_000;
/** Past that, this many times the cap are read on each side of the incident before folding (a line has at most a few copies). */
const WINDOW_READ_FACTOR = 2;

/**
 * The identity of a line across files. A kernel line is the same printk record wherever it was
 * written (kern.log, syslog, messages, the dmesg dump, the journal): its uptime stamp and text
 * match even when the files' wall times disagree and dmesg has no host. A userland line is the
 * same when host, program, pid and text match; its times must also agree (checked by the caller).
 */
function copyKey(r: EventRowDb): string | null {
  const msg = (r.message ?? '').trim();
  if (!msg) return null;
  if (r.program === 'kernel' && r.uptime_s !== null) return `k\u0000${Math.round(r.uptime_s * 1e6)}\u0000${msg}`;
  if (r.ts_utc_ms === null) return null;
  return `u\u0000${r.host ?? ''}\u0000${r.program ?? ''}\u0000${r.pid ?? ''}\u0000${msg}`;
}

interface FoldMember {
  r: EventRowDb;
  ev: EvidenceLine | undefined;
}

/**
 * Groups copies of the same line stored by different files. Each group takes at most one line per
 * file: two identical lines in one file are two events (a repeated message), not copies.
 */
function foldCopies(rows: readonly FoldMember[], srcOrder: (id: number) => number): FoldMember[][] {
  const groups: FoldMember[][] = [];
  const byKey = new Map<string, FoldMember[]>();
  for (const m of rows) {
    const k = copyKey(m.r);
    if (!k) {
      groups.push([m]);
      continue;
    }
    const list = byKey.get(k);
    if (list) list.push(m);
    else byKey.set(k, [m]);
  }
  for (const [key, list] of byKey) {
    const kernel = key.startsWith('k\u0000');
    list.sort((a, b) => (a.r.ts_utc_ms ?? 0) - (b.r.ts_utc_ms ?? 0) || srcOrder(a.r.source_id) - srcOrder(b.r.source_id) || a.r.src_line - b.r.src_line);
    const clusters: Array<{ firstMs: number; sources: Set<number>; members: FoldMember[] }> = [];
    for (const m of list) {
      const t = m.r.ts_utc_ms ?? 0;
      const c = clusters.find((c) => !c.sources.has(m.r.source_id) && (kernel || Math.abs(t - c.firstMs) <= COPY_MAX_SKEW_MS));
      if (c) {
        c.sources.add(m.r.source_id);
        c.members.push(m);
      } else clusters.push({ firstMs: t, sources: new Set([m.r.source_id]), members: [m] });
    }
    for (const c of clusters) groups.push(c.members);
  }
  // The copy shown: best time quality, then the one the verdict cites, then the first file.
  const qRank = (q: string) => timeQualityRank(q);
  for (const g of groups) {
    g.sort(
      (a, b) =>
        qRank(a.r.ts_quality) - qRank(b.r.ts_quality) ||
        Number(b.ev?.decisive ?? false) - Number(a.ev?.decisive ?? false) ||
        Number(b.ev !== undefined) - Number(a.ev !== undefined) ||
        srcOrder(a.r.source_id) - srcOrder(b.r.source_id) ||
        a.r.src_line - b.r.src_line,
    );
  }
  return groups;
}

/** Userspace OOM killers (formats.md §6.8, §6.10): they kill on memory pressure, not the kernel. */
const USERSPACE_OOM_KILLERS: ReadonlySet<string> = new Set(['earlyoom', 'systemd-oomd', 'oomd', 'nohang']);

/** Programs that send a signal from an interactive screen (top's `k`), not from a command line. */
const INTERACTIVE_SENDERS: ReadonlySet<string> = new Set(['top', 'htop', 'atop', 'btop', 'glances']);

function pidLabel(pid: number | null | undefined): string {
  return pid === null || pid === undefined ? 'pid unknown' : `pid ${pid}`;
}

function buildAnswer(inc: Incident, whenMs: number | null): Span[] {
  const who: Span[] = inc.comm ? [{ v: inc.comm }, { t: ` (${pidLabel(inc.pid)})` }] : [{ t: `the process with ${pidLabel(inc.pid)}` }];
  const when: Span[] = whenMs !== null ? [{ t: ` at ${fmtUtc(whenMs)} UTC` }] : [{ t: ' at an unknown time' }];
  const sig = signalLabel(inc.signal, inc.signal_name);
  const a = inc.actor;
  const out: Span[] = [...who];
  switch (inc.cause) {
    case 'oom-kill': {
      const o = inc.oom;
      const daemon = !o && a.sender_comm && USERSPACE_OOM_KILLERS.has(a.sender_comm) ? a.sender_comm : null;
      if (daemon) {
        // earlyoom, systemd-oomd: a daemon's own decision under memory pressure; the kernel's OOM
        // killer did not run (there is no kernel OOM report to cite).
        out.push({ t: ' was killed by ' }, { v: daemon }, { t: `${a.sender_pid != null ? ` (pid ${a.sender_pid})` : ''}, a userspace OOM killer, with ${sig ?? 'a signal'}` }, ...when);
        out.push({ t: ' because memory was running low; the kernel OOM killer did not act' });
        break;
      }
      out.push({ t: ' was killed by the kernel OOM killer' }, ...when);
      const trig = inc.trigger;
      const trigSpans: Span[] =
        trig && trig.pid !== null && trig.pid !== inc.pid
          ? [{ t: ' when ' }, ...(trig.comm ? [{ v: trig.comm }, { t: ` (${pidLabel(trig.pid)})` }] : [{ t: pidLabel(trig.pid) }])]
          : trig && trig.pid === inc.pid
            ? [{ t: ' when it' }]
            : [{ t: ' when a task' }];
      if (o && o.scope === 'memcg') {
        out.push(...trigSpans, { t: ` hit the ${o.limit_mib !== null ? `${fmtMib(o.limit_mib)} MiB ` : ''}limit of memory cgroup ` });
        out.push(o.oom_memcg ? { v: o.oom_memcg } : { t: '(not named)' });
      } else if (o && (o.scope === 'cpuset' || o.scope === 'mempolicy')) {
        out.push(...trigSpans, { t: ` could not allocate memory within its ${o.scope}` });
      } else if (o && o.scope === 'global') {
        out.push(...trigSpans, { t: ' could not allocate memory and the whole system was out of memory' });
      } else {
        out.push(...trigSpans, { t: ' could not allocate memory (the evidence does not say whether the whole system or a cgroup ran out)' });
      }
      break;
    }
    case 'signal': {
      if (a.via === 'session-hangup') {
        out.push({ t: ` died of ${sig ?? 'SIGHUP'}` }, ...when, { t: ' when the login session of ' }, a.user ? { v: a.user } : { t: 'its user' });
        const where: Span[] = [];
        if (a.from_host) where.push({ t: 'from ' }, { v: a.from_host });
        if (a.tty) where.push({ t: `${where.length ? ', ' : ''}on ` }, { v: a.tty });
        if (where.length) out.push({ t: ' (' }, ...where, { t: ')' });
        out.push({ t: ' ended: the hangup at logout ended it, as it was neither detached (nohup, setsid) nor a service' });
        break;
      }
      out.push({ t: ` was killed with ${sig ?? 'a signal'}` }, ...when);
      if (a.via === 'sudo' && a.user) {
        out.push({ t: ' by ' }, { v: a.user });
        if (a.from_host) out.push({ t: ' (logged in from ' }, { v: a.from_host }, { t: ')' });
        out.push({ t: ' via sudo' });
        if (a.command) out.push({ t: ': ' }, { v: a.command });
      } else if (a.via === 'cron' || a.kind === 'cron') {
        out.push({ t: ' by a cron job' });
        if (a.user) out.push({ t: ' of ' }, { v: a.user });
        if (a.command) out.push({ t: ': ' }, { v: a.command });
      } else if (a.user) {
        out.push({ t: ' by ' }, { v: a.user });
        if (a.from_host) out.push({ t: ' (logged in from ' }, { v: a.from_host }, { t: ')' });
        if (a.sender_comm && INTERACTIVE_SENDERS.has(a.sender_comm)) out.push({ t: ' interactively from ' }, { v: a.sender_comm }, { t: ' (its kill command)' });
        else if (a.command) out.push({ t: ' running ' }, { v: a.command });
        else if (a.sender_comm) out.push({ t: ' through ' }, { v: a.sender_comm });
      } else if (a.sender_comm || a.sender_pid) {
        out.push({ t: ' sent by ' }, ...(a.sender_comm ? [{ v: a.sender_comm } as Span] : []), { t: ` (${pidLabel(a.sender_pid)})` });
        out.push({ t: '; the user behind it is not in the logs' });
      } else out.push({ t: '; who sent it is not in the logs' });
      if (a.process_group != null) out.push({ t: `, as a member of process group ${a.process_group}` });
      if (inc.other_victims?.length) {
        out.push({ t: '; the same command also killed ' });
        inc.other_victims.forEach((o, i) => {
          if (i) out.push({ t: ', ' });
          if (o.comm) out.push({ v: o.comm }, { t: ` (pid ${o.pid})` });
          else out.push({ t: `pid ${o.pid}` });
        });
      }
      break;
    }
    case 'crash':
      out.push({ t: ` crashed${sig ? ` with ${sig}` : ''}` }, ...when);
      break;
    case 'systemd':
      out.push({ t: ` was stopped by systemd${sig ? ` with ${sig}` : ''}` }, ...when);
      if (inc.oom?.unit) out.push({ t: ' (unit ' }, { v: inc.oom.unit }, { t: ')' });
      break;
    case 'fork-failure':
      out.push({ t: ' hit its process limit: fork was refused' }, ...when);
      break;
    case 'host-down':
      out.push({ t: ' disappeared when the host went down' }, ...when);
      break;
    case 'exit':
      out.push({ t: ' exited' }, ...when);
      break;
    default:
      out.push({ t: ' disappeared for a reason the logs do not show; last seen' }, ...when);
  }
  out.push({ t: '.' });
  return out;
}

function actorChain(inc: Incident): Fact[] {
  const a: Actor = inc.actor;
  const chain: Fact[] = [];
  if (a.user || a.from_host || a.auid !== null) {
    const v: Span[] = [];
    if (a.user) v.push({ v: a.user });
    else v.push({ t: 'unknown user' });
    // auid is the login identity that survives sudo/su; uid is who the sender ran as.
    if (a.auid !== null) v.push({ t: ` (login uid ${a.auid})` });
    else if (a.uid !== null) v.push({ t: ` (uid ${a.uid})` });
    if (a.from_host) v.push({ t: ' from ' }, { v: a.from_host });
    chain.push({ label: 'Login', value: v });
  }
  if (a.tty || a.session !== null) {
    const v: Span[] = [];
    if (a.tty) v.push({ t: 'tty ' }, { v: a.tty });
    if (a.session !== null) v.push({ t: `${a.tty ? ', ' : ''}session ${a.session}` });
    chain.push({ label: 'Session', value: v });
  }
  if (a.command) {
    const label = a.via === 'sudo' ? 'sudo command' : a.via === 'cron' ? 'cron command' : a.via === 'su' ? 'su command' : 'Command';
    const v: Span[] = [{ v: a.command }];
    if (a.uid !== null && a.auid !== null && a.uid !== a.auid) v.push({ t: ` (as uid ${a.uid})` });
    chain.push({ label, value: v });
  } else if (a.via) chain.push({ label: 'Via', value: [{ t: a.via }] });
  if (a.sender_pid !== undefined && a.sender_pid !== null) {
    const v: Span[] = [{ t: `pid ${a.sender_pid}` }];
    if (a.sender_comm) v.push({ t: ' ' }, { v: a.sender_comm });
    if (a.sender_exe) v.push({ t: ' (' }, { v: a.sender_exe }, { t: ')' });
    chain.push({ label: 'Signal sender', value: v });
  } else if (a.sender_comm || a.sender_exe) {
    chain.push({ label: 'Signal sender', value: [{ v: a.sender_comm ?? a.sender_exe ?? '' }] });
  }
  const sig = signalLabel(inc.signal, inc.signal_name);
  if (sig && chain.length) {
    const v: Span[] = [{ t: `${sig} to pid ${inc.pid}` }];
    if (inc.comm) v.push({ t: ' ' }, { v: inc.comm });
    chain.push({ label: 'Signal', value: v });
  }
  return chain;
}

function oomChain(inc: Incident): Fact[] {
  const o = inc.oom;
  const chain: Fact[] = [];
  if (inc.trigger) {
    const v: Span[] = [{ t: pidLabel(inc.trigger.pid) }];
    if (inc.trigger.comm) v.push({ t: ' ' }, { v: inc.trigger.comm });
    if (inc.trigger.pid === inc.pid) v.push({ t: ' (the victim itself)' });
    chain.push({ label: 'Trigger (invoked the OOM killer)', value: v });
  }
  if (!o) return chain;
  chain.push({ label: 'Scope', value: [{ t: o.scope === 'memcg' ? 'memory cgroup limit' : o.scope === 'global' ? 'whole system out of memory' : o.scope }] });
  if (o.constraint) chain.push({ label: 'Constraint', value: [{ v: o.constraint }] });
  if (o.oom_memcg) chain.push({ label: 'Memory cgroup at its limit', value: [{ v: o.oom_memcg }] });
  if (o.task_memcg && o.task_memcg !== o.oom_memcg) chain.push({ label: "Victim's memory cgroup", value: [{ v: o.task_memcg }] });
  if (o.unit) chain.push({ label: 'Unit', value: [{ v: o.unit }] });
  if (o.limit_mib !== null || o.usage_mib !== null) {
    const parts: string[] = [];
    if (o.usage_mib !== null) parts.push(`usage ${fmtMib(o.usage_mib)} MiB`);
    if (o.limit_mib !== null) parts.push(`limit ${fmtMib(o.limit_mib)} MiB`);
    chain.push({ label: 'Memory', value: [{ t: parts.join(' of ') }] });
  }
  if (o.gfp_mask || o.order !== null) {
    chain.push({ label: 'Allocation', value: [{ t: `gfp_mask ` }, { v: o.gfp_mask ?? '?' }, { t: `, order ${o.order ?? '?'}` }] });
  }
  const vic: string[] = [];
  if (o.victim_anon_rss_mib !== null) vic.push(`anon-rss ${fmtMib(o.victim_anon_rss_mib)} MiB`);
  if (o.victim_file_rss_mib !== null) vic.push(`file-rss ${fmtMib(o.victim_file_rss_mib)} MiB`);
  if (o.victim_total_vm_mib !== null) vic.push(`total-vm ${fmtMib(o.victim_total_vm_mib)} MiB`);
  if (o.victim_rank !== null) vic.push(`rank ${o.victim_rank} by the OOM killer`);
  if (vic.length) chain.push({ label: 'Victim memory', value: [{ t: vic.join(', ') }] });
  return chain;
}

function rankTasks(inc: Incident, maxTasks: number): ReportModel['oom'] {
  const o = inc.oom;
  if (!o || !o.tasks.length) return o ? { tasks: [], omitted: 0, notes: ['The kernel printed no task table (vm.oom_dump_tasks=0, or the lines were lost).'] } : null;
  const notes: string[] = [];
  let pagesAssumed = false;
  const rssOf = (t: OomTask): number | null => {
    if (t.rss_mib !== null) return t.rss_mib;
    if (t.rss_pages !== null) {
      pagesAssumed = true;
      return (t.rss_pages * 4096) / 1048576;
    }
    return null;
  };
  const trigPid = inc.trigger?.pid ?? null;
  const all: RankedTask[] = o.tasks.map((t) => ({
    rank: 0,
    pid: t.pid,
    name: t.name,
    uid: t.uid,
    rss_mib: rssOf(t),
    oom_score_adj: t.oom_score_adj,
    victim: t.pid === inc.pid,
    trigger: trigPid !== null && t.pid === trigPid,
  }));
  all.sort((a, b) => (b.rss_mib ?? -1) - (a.rss_mib ?? -1) || a.pid - b.pid);
  all.forEach((t, i) => (t.rank = i + 1));
  if (pagesAssumed) notes.push('RSS computed from pages assuming 4 KiB pages.');
  if (o.why_chosen) notes.push(`Why this victim: ${o.why_chosen.replace(/^chosen/, 'it was chosen')}.`);
  notes.push('RSS is resident memory when the kernel printed the table; the OOM killer also weighs page tables, swap and oom_score_adj.');
  // Keep the victim and the trigger visible even when they fall below the cap.
  const shown = all.filter((t, i) => i < maxTasks || t.victim || t.trigger);
  return { tasks: shown, omitted: all.length - shown.length, notes };
}

function sourcesIndex(db: Db | null): Map<string, { id: number; sha256: string | null; format: string | null; status: string | null }> {
  const m = new Map<string, { id: number; sha256: string | null; format: string | null; status: string | null }>();
  if (!db) return m;
  const rows = db.prepare(`SELECT id, path, sha256, format, status FROM sources`).all() as Array<{
    id: number;
    path: string;
    sha256: string | null;
    format: string | null;
    status: string | null;
  }>;
  for (const r of rows) m.set(r.path, { id: r.id, sha256: r.sha256, format: r.format, status: r.status });
  return m;
}

export function buildReportModel(db: Db | null, incident: Incident, opts: ReportOptions = {}): ReportModel {
  const before = opts.windowBeforeMs ?? DEFAULT_WINDOW_BEFORE_MS;
  const after = opts.windowAfterMs ?? DEFAULT_WINDOW_AFTER_MS;
  const cap = Math.max(10, opts.maxTimelineRows ?? DEFAULT_MAX_TIMELINE_ROWS);
  const zone = resolveZone(db, opts.tz ?? null);
  const endMs = parseIso(incident.time);
  const startMs = parseIso(incident.start_time);
  const evidence: EvidenceLine[] = incident.evidence ?? [];
  const srcIdx = sourcesIndex(db);

  // The instant the window is centred on: the disappearance, else the last evidence in time.
  let centreMs = endMs;
  if (centreMs === null) {
    for (const e of evidence) {
      const t = parseIso(e.time);
      if (t !== null && (centreMs === null || t > centreMs)) centreMs = t;
    }
  }

  const evKey = (path: string, line: number) => `${path}\u0000${line}`;
  const evByKey = new Map<string, EvidenceLine>();
  for (const e of evidence) {
    const k = evKey(e.source, e.line);
    const prev = evByKey.get(k);
    if (!prev || (e.decisive && !prev.decisive)) evByKey.set(k, e);
  }
  const srcOrderById = (id: number) => id;
  const lo = centreMs !== null ? centreMs - before : null;
  const hi = centreMs !== null ? centreMs + after : null;

  // Read the window: whole when it is small enough to fold exactly, else the lines nearest the
  // incident on each side (enough to fill the cap after copies are folded).
  const rowKey = (r: EventRowDb) => `${r.source_id}:${r.src_line}`;
  const rowsById = new Map<string, EventRowDb>();
  const pathById = new Map<number, string>();
  for (const [path, s] of srcIdx) pathById.set(s.id, path);
  const lines = db ? new LineStore(db, REPORT_CACHE_BLOCKS) : null;
  const withPath = (l: StoredLine): EventRowDb => ({ ...l, path: pathById.get(l.source_id) ?? `source#${l.source_id}` });
  let windowLines = 0;
  let windowRead = 0;
  if (lines && lo !== null && hi !== null && centreMs !== null) {
    windowLines = lines.countByTime(lo, hi);
    const perSide = windowLines <= WINDOW_READ_ALL_MAX ? windowLines : cap * WINDOW_READ_FACTOR;
    const take = (it: Iterable<StoredLine>) => {
      if (perSide <= 0) return;
      let n = 0;
      for (const l of it) {
        const r = withPath(l);
        rowsById.set(rowKey(r), r);
        if (++n >= perSide) break;
      }
    };
    take(lines.byTime(lo, centreMs, 'desc'));
    take(lines.byTime(centreMs + 1, hi, 'asc'));
    windowRead = rowsById.size;
  }
  // Every evidence line, wherever it is; the ones not in this case db as the verdict quoted them.
  const evRows: TimelineRow[] = [];
  let evOutside = 0;
  for (const e of evByKey.values()) {
    const src = srcIdx.get(e.source);
    const found = src && lines ? lines.at(src.id, e.line) : undefined;
    const hit = found ? withPath(found) : undefined;
    if (hit) {
      const inWindow = hit.ts_utc_ms !== null && lo !== null && hi !== null && hit.ts_utc_ms >= lo && hit.ts_utc_ms <= hi;
      if (!inWindow) evOutside++;
      if (!rowsById.has(rowKey(hit)) && inWindow) windowRead++;
      rowsById.set(rowKey(hit), hit);
    } else {
      evOutside++;
      const t = parseIso(e.time);
      evRows.push({
        ts_utc_ms: t,
        time_utc: t !== null ? fmtUtc(t) : null,
        time_quality: e.time_quality ?? (t !== null ? 'exact' : 'unknown'),
        source: e.source,
        source_short: e.source,
        line: e.line,
        text: clip(e.text),
        evidence: true,
        decisive: e.decisive ?? false,
        role: e.role ?? null,
        copies: [],
      });
    }
  }

  // Fold copies of one line from several files into one row.
  const members: FoldMember[] = [...rowsById.values()].map((r) => ({ r, ev: evByKey.get(evKey(r.path, r.src_line)) }));
  const groups = foldCopies(members, srcOrderById);
  let folded = 0;
  const allRows: TimelineRow[] = groups.map((g) => {
    const [shown, ...others] = g;
    folded += others.length;
    const evs = g.filter((m) => m.ev).map((m) => m.ev as EvidenceLine);
    evs.sort((a, b) => Number(b.decisive ?? false) - Number(a.decisive ?? false));
    const roles = [...new Set(evs.map((e) => e.role).filter((x): x is string => !!x))];
    return {
      ts_utc_ms: shown.r.ts_utc_ms,
      time_utc: shown.r.ts_utc_ms !== null ? fmtUtc(shown.r.ts_utc_ms) : null,
      time_quality: shown.r.ts_quality,
      source: shown.r.path,
      source_short: shown.r.path,
      line: shown.r.src_line,
      text: clip(lineText(shown.r.raw, shown.r.message ?? '')),
      evidence: evs.length > 0,
      decisive: evs.some((e) => e.decisive),
      role: roles.length ? roles.join('; ') : null,
      copies: others.map((m) => ({ source: m.r.path, source_short: m.r.path, line: m.r.src_line, time_quality: m.r.ts_quality, evidence: m.ev !== undefined })),
    };
  });
  allRows.push(...evRows);

  // The cap: every evidence row, then the rows nearest the incident (at most a fifth of them after
  // it, unless there are too few before).
  const evidenceRows = allRows.filter((r) => r.evidence);
  let budget = Math.max(0, cap - evidenceRows.length);
  // Then the rows about the same processes (the victim, its trigger, the sender, by pid or name),
  // nearest first, for up to half of what is left; then the nearest rows of any kind.
  const relatedPids = [incident.pid, incident.trigger?.pid, incident.actor.sender_pid].filter((p): p is number => typeof p === 'number' && p > 1);
  const names = [incident.comm, incident.trigger?.comm].filter((n): n is string => !!n && n.length >= 3);
  const relatedRe = new RegExp(
    [...relatedPids.map((p) => `(?<![0-9])${p}(?![0-9])`), ...names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))].join('|') || '(?!)',
  );
  const distance = (r: TimelineRow) => (centreMs === null || r.ts_utc_ms === null ? Number.MAX_SAFE_INTEGER : Math.abs(r.ts_utc_ms - centreMs));
  const related = allRows
    .filter((r) => !r.evidence && relatedRe.test(r.text))
    .sort((a, b) => distance(a) - distance(b))
    .slice(0, Math.floor(budget / 2));
  const relatedSet = new Set(related);
  budget -= related.length;
  const plain = allRows.filter((r) => !r.evidence && !relatedSet.has(r));
  const beforePlain = plain.filter((r) => centreMs === null || (r.ts_utc_ms ?? -Infinity) <= centreMs).sort((a, b) => (b.ts_utc_ms ?? 0) - (a.ts_utc_ms ?? 0));
  const afterPlain = plain.filter((r) => centreMs !== null && (r.ts_utc_ms ?? -Infinity) > centreMs).sort((a, b) => (a.ts_utc_ms ?? 0) - (b.ts_utc_ms ?? 0));
  let nAfter = Math.min(afterPlain.length, Math.floor(budget * 0.2));
  const nBefore = Math.min(beforePlain.length, budget - nAfter);
  nAfter = Math.min(afterPlain.length, budget - nBefore);
  const rows: TimelineRow[] = [...evidenceRows, ...related, ...beforePlain.slice(0, nBefore), ...afterPlain.slice(0, nAfter)];
  // Rows without a time go first (they cannot be placed); then by time, file and line.
  const srcOrder = (p: string) => srcIdx.get(p)?.id ?? Number.MAX_SAFE_INTEGER;
  rows.sort(
    (a, b) =>
      (a.ts_utc_ms ?? -Infinity) - (b.ts_utc_ms ?? -Infinity) ||
      srcOrder(a.source) - srcOrder(b.source) ||
      (a.source < b.source ? -1 : a.source > b.source ? 1 : 0) ||
      a.line - b.line,
  );
  // Lines of the window not read (a very busy window) count as distinct rows: an upper bound.
  const total = allRows.length + (windowLines - windowRead);
  const omitted = Math.max(0, total - rows.length);

  // Cited sources: everything in the timeline and the evidence.
  const cited = [...new Set([...rows.flatMap((r) => [r.source, ...r.copies.map((c) => c.source)]), ...evidence.map((e) => e.source)])].sort();
  const dir = commonDir(cited);
  for (const r of rows) {
    r.source_short = shortPath(r.source, dir);
    for (const c of r.copies) c.source_short = shortPath(c.source, dir);
  }
  const sources: ReportSource[] = cited.map((p) => {
    const s = srcIdx.get(p);
    return { path: p, short: shortPath(p, dir), sha256: s?.sha256 ?? null, format: s?.format ?? null, status: s?.status ?? null };
  });

  const nonExact = rows.filter((r) => r.time_quality !== 'exact').length;
  const notes: string[] = [];
  if (centreMs === null) notes.push('The incident has no usable time: only its evidence lines are shown.');
  if (nonExact) notes.push(`${nonExact} row(s) have a time that is not exact (marked ~): year inferred, local zone assumed or anchored on uptime.`);
  if (folded) {
    notes.push(
      'A line that several files recorded (a kernel line goes to kern.log, syslog, messages and the dmesg dump) is one row, shown from the copy with the best time.',
    );
  }
  if (windowRead < windowLines) notes.push(`The window holds ${windowLines} lines: only the ${windowRead} nearest the incident were read and folded.`);
  if (omitted) notes.push(`${omitted} more row(s) of the window are left out: the rows shown are the evidence, then the lines about the same processes, then the nearest (--window and a larger cap show more).`);

  // Facts.
  const facts: Fact[] = [];
  const timeFacts = (label: string, ms: number | null, iso: string | null) => {
    if (ms === null) {
      facts.push({ label, value: [{ t: iso ? `unreadable time ` : 'unknown' }, ...(iso ? [{ v: iso } as Span] : [])] });
      return;
    }
    const local = fmtLocal(ms, zone);
    facts.push({ label, value: [{ t: `${fmtUtc(ms)} UTC${local ? ` — ${local}` : ''}` }] });
  };
  facts.push({ label: 'Host', value: incident.host ? [{ v: incident.host }] : [{ t: 'unknown' }] });
  facts.push({ label: 'Boot', value: incident.boot ? [{ v: incident.boot }] : [{ t: 'unknown' }] });
  facts.push({ label: 'PID', value: [{ t: String(incident.pid) }] });
  facts.push({ label: 'Command name', value: incident.comm ? [{ v: incident.comm }] : [{ t: 'unknown' }] });
  timeFacts('First seen', startMs, incident.start_time);
  timeFacts('Disappeared', endMs, incident.time);
  facts.push({ label: 'Time zone', value: [{ t: `${zone.info.name} — ${zone.info.note}` }] });
  facts.push({ label: 'Cause', value: [{ t: `${incident.cause} (${CAUSE_LABELS[incident.cause] ?? incident.cause})` }] });
  const sig = signalLabel(incident.signal, incident.signal_name);
  facts.push({ label: 'Signal', value: [{ t: sig ?? 'none recorded' }] });
  facts.push({ label: 'Confidence', value: [{ t: incident.confidence }] });
  facts.push({ label: 'Incident id', value: [{ v: incident.id }] });

  const isOom = incident.cause === 'oom-kill';
  const chain = isOom ? oomChain(incident) : actorChain(incident);
  const chainTitle = chain.length ? (isOom ? 'OOM trigger and constraint' : 'Actor chain') : null;

  const answer = buildAnswer(incident, endMs);
  const title: Span[] = [{ t: 'Why did ' }, ...(incident.comm ? [{ v: incident.comm } as Span] : [{ t: 'the process' }]), { t: ` (pid ${incident.pid}) disappear?` }];

  return {
    incident,
    title,
    answer,
    answer_text: spansToText(answer),
    zone: zone.info,
    facts,
    chain_title: chainTitle,
    chain,
    timeline: {
      from_utc: centreMs !== null ? fmtUtc(centreMs - before) : null,
      to_utc: centreMs !== null ? fmtUtc(centreMs + after) : null,
      window_before_ms: before,
      window_after_ms: after,
      rows,
      total,
      omitted,
      folded,
      note: notes.length ? notes.join(' ') : null,
    },
    oom: isOom || incident.oom !== null ? rankTasks(incident, opts.maxTasks ?? DEFAULT_MAX_TASKS) : null,
    related: opts.related ?? [],
    alternatives: incident.alternatives ?? [],
    missing_evidence: incident.missing_evidence ?? [],
    recommendations: incident.recommendations?.length ? incident.recommendations : [...(DEFAULT_RECOMMENDATIONS[incident.cause] ?? [])],
    provenance: {
      case_db: opts.dbPath ?? null,
      tool: 'procforensics',
      version: VERSION,
      generated_at: opts.generatedAt ?? new Date().toISOString(),
      sources,
    },
  };
}

/** "1 copy of a line from another file folded into its row", "364 copies … into their rows". */
export function foldedPhrase(n: number): string {
  return n === 1 ? '1 copy of a line from another file folded into its row' : `${n} copies of lines from other files folded into their rows`;
}

export function spansToText(spans: readonly Span[]): string {
  return spans.map((s) => ('t' in s ? s.t : s.v)).join('');
}

/** "10 min", "30 s", "1 h 30 min": a window length in words. */
export function fmtDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000} min`;
  if (ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}

export { fmtMib };

/**
 * The incidents of a set that are tied to each other: the OOM kill a task triggered and the task
 * that triggered it, and the other victims of one command (the same sender in the same moment).
 */
export function relatedIncidents(incidents: readonly Incident[]): Map<string, RelatedIncident[]> {
  const out = new Map<string, RelatedIncident[]>(incidents.map((i) => [i.id, []]));
  const near = (a: Incident, b: Incident, ms: number) => a.time !== null && b.time !== null && Math.abs(Date.parse(a.time) - Date.parse(b.time)) <= ms;
  const byPid = new Map<number, Incident[]>();
  for (const i of incidents) byPid.set(i.pid, [...(byPid.get(i.pid) ?? []), i]);
  const add = (i: Incident, j: Incident, label: string) => {
    const l = out.get(i.id)!;
    if (!l.some((r) => r.id === j.id)) l.push({ label, pid: j.pid, comm: j.comm, id: j.id });
  };
  for (const i of incidents) {
    if (i.cause === 'oom-kill' && i.trigger?.pid != null && i.trigger.pid !== i.pid) {
      for (const j of byPid.get(i.trigger.pid) ?? []) {
        if (!near(i, j, 10 * 60_000)) continue;
        add(i, j, 'the task that triggered this OOM kill, and how it ended');
        add(j, i, 'the OOM kill this task triggered');
      }
    }
    for (const o of i.other_victims ?? []) {
      for (const j of byPid.get(o.pid) ?? []) if (near(i, j, 5_000)) add(i, j, 'killed by the same command');
    }
  }
  return out;
}

export interface RepeatGroup {
  /** What the members share, for a reader: "oom-kill in memory cgroup /x", "crash of parser-daemon at ip 55d4…". */
  what: string;
  members: Array<{ pid: number; comm: string | null; time: string | null; id: string }>;
}

/**
 * Incidents that repeat one story: OOM kills in one memory cgroup (or scope), crashes of one
 * program at one instruction, the same signal to the same program. Groups of two or more, largest first.
 */
export function repeatGroups(incidents: readonly Incident[]): RepeatGroup[] {
  const groups = new Map<string, RepeatGroup>();
  for (const i of incidents) {
    let key: string;
    let what: string;
    if (i.cause === 'oom-kill') {
      const where = i.oom?.oom_memcg ? `memory cgroup ${i.oom.oom_memcg}` : i.oom?.scope === 'global' ? 'the whole host' : (i.actor.sender_comm ?? 'an unknown scope');
      key = `oom|${where}`;
      what = `OOM kills in ${where}`;
    } else if (i.cause === 'crash') {
      // One instruction: the offset in the mapped file the kernel names (`in parser-daemon[13b5,…`),
      // the same across runs whatever address randomisation did; else the address itself.
      const text = i.evidence.map((e) => e.text).join('\n');
      const at = /\bin ([^\s[]+)\[([0-9a-f]+),/.exec(text);
      const ip = /\bip ([0-9a-f]+)/.exec(text)?.[1] ?? /\bip ([0-9a-f]+)/.exec(i.summary)?.[1];
      const where = at ? `${at[1]}+0x${at[2]}` : ip ? `ip ${ip}` : '';
      key = `crash|${i.comm}|${where}|${i.signal}`;
      what = `crashes of ${i.comm ?? '?'}${where ? ` at ${where}` : ''}`;
    } else {
      key = `${i.cause}|${i.signal}|${i.comm}|${i.actor.user ?? ''}|${i.actor.via ?? ''}`;
      what = `${i.cause}${i.signal_name ? ` ${i.signal_name}` : ''} of ${i.comm ?? '?'}${i.actor.user ? ` by ${i.actor.user}` : ''}`;
    }
    const g = groups.get(key) ?? { what, members: [] };
    g.members.push({ pid: i.pid, comm: i.comm, time: i.time, id: i.id });
    groups.set(key, g);
  }
  return [...groups.values()].filter((g) => g.members.length >= 2).sort((a, b) => b.members.length - a.members.length);
}
