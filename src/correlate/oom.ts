// Kernel OOM kills, read from the kernel lines of each source in order (formats.md §1).
//
//   report-builder invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0
//   CPU: 1 UID: 0 PID: 16403 Comm: report-builder Not tainted 6.18.44-fc-v657 #1 PREEMPT(none)
//   memory: usage 65536kB, limit 65536kB, failcnt 51
//   [  pid  ]   uid  tgid total_vm      rss rss_anon rss_file rss_shmem pgtables_bytes swapents oom_score_adj name
//   [  16400]     0 16400    11927    11629    11328      301         0   135168        0             0 cache-warmer
//   oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/a,task_memcg=/a,task=cache-warmer,pid=16400,uid=0
//   Memory cgroup out of memory: Killed process 16400 (cache-warmer) total-vm:47708kB, anon-rss:45312kB, …
//
// One OOM report is a block: header (the allocating task = trigger), stack (CPU/PID/Comm), memcg
// usage or Mem-Info, task table, `oom-kill:` summary (5.0+), victim-selection line (≤5.1), the
// `Killed process` line, then the reaper. Everything but the `Killed process` line is rate-limited,
// so that line alone makes an incident. The same report is copied into kern.log, syslog, messages
// and dmesg: copies are merged on (host, victim pid, time within 2 s) or identical kernel uptime.
import type { Db } from '../store/db.js';
import { timeQualityRank } from '../time/quality.js';
import { LineStore } from '../store/lines.js';
import type { EvidenceLine, OomDetails, OomTask } from './types.js';
import { type Candidate, EvidenceResolver, emptyActor, mib, sameHost, unitFromCgroup } from './common.js';

/** formats.md §1.2 parser advice; `comm` may contain spaces. */
const HEADER =
  /^(.+?) invoked oom-killer: gfp_mask=(0x[0-9a-f]+)(?:\(([^)]*)\))?,(?: nodemask=([^,]*),)?\s+order=(-?\d+)(?:, oom_adj=(-?\d+))?(?:, oom_score_adj=(-?\d+))?/;
/** Stack dump header: `CPU: 2 PID: 14134 Comm: java …`, 6.x adds `UID: n`. */
/** The header cut by a mail client after `oom-killer:`: the comm is still the trigger. */
const HEADER_LOOSE = /^(.+?) invoked oom-killer:/;
const CPU_LINE = /^(?:CPU: \d+ (?:UID: \d+ )?PID: (\d+) Comm: |Pid: (\d+), comm: )(.{1,20}?)(?: (?:Not tainted|Tainted:)|\s*$)/;
const TASK_IN = /^Task in (\S+) killed as a result of limit of (\S+)/;
const MEM_USAGE = /^memory: usage (\d+)kB, limit (\d+)kB/;
const MEMCG_STATS = /^Memory cgroup stats for (\S+?):?(?:\s|$)/;
const TABLE_HEAD = /^\[\s*pid\s*\]\s+uid\s+tgid\s+(.*?)\s+name\s*$/;
const TABLE_ROW = /^\[\s*(\d+)\]\s+(\d+)\s+(\d+)\s+(.*)$/;
const SUMMARY = /^oom-kill:(constraint=.*)$/;
const SELECT = /^(?:(.*?): )?[Kk]ill process (\d+) \((.*)\) score (\d+) or (?:sacrifice child|a child)/;
/** formats.md §1.8: one regex for every `Killed process` variant. */
const KILLED =
  /^(?:(Out of [Mm]emory(?: \(oom_kill_allocating_task\))?|Memory cgroup out of memory): )?Killed process (\d+)(?:, UID (\d+),)? \((.*)\)(?:, UID (\d+))?(?:,? (?:total-vm|vsz):(\d+)kB, anon-rss:(\d+)kB, file-rss:(\d+)kB(?:, shmem-rss:(\d+)kB)?(?:, UID:(\d+) pgtables:(\d+)kB oom_score_adj:(-?\d+))?)?\.?$/;
/** A `Killed process` line cut by a mail client or a console: keep pid and comm. */
const KILLED_LOOSE = /^(?:(Out of [Mm]emory(?: \(oom_kill_allocating_task\))?|Memory cgroup out of memory): )?Killed process (\d+)(?:, UID (\d+),)? \(([^)]*)\)/;
/** Cut right after the pid (mail wrapping): the comm comes from the summary or the task table. */
const KILLED_PID_ONLY = /^(?:(Out of [Mm]emory(?: \(oom_kill_allocating_task\))?|Memory cgroup out of memory): )?Killed process (\d+)\s*$/;
const REAPER = /^oom_reaper: reaped process (\d+) \((.*)\)/;
const OOM_GROUP = /^Tasks in (\S+) are going to be killed due to memory\.oom\.group set/;
const SUPPRESSED = /(?:oom_kill_process|dump_header|out_of_memory)[^:]*: \d+ callbacks suppressed|printk: \d+ messages suppressed/;

export interface KernelLine {
  source_id: number;
  src_line: number;
  ts_utc_ms: number | null;
  host: string | null;
  uptime_s: number | null;
  boot_key: string | null;
  message: string;
}

export interface OomKill {
  victim_pid: number;
  victim_comm: string;
  reason: string | null;
  uid: number | null;
  total_vm_kb: number | null;
  anon_rss_kb: number | null;
  file_rss_kb: number | null;
  shmem_rss_kb: number | null;
  trigger_pid: number | null;
  trigger_comm: string | null;
  details: OomDetails;
  chosen: { pid: number; comm: string; score: number } | null;
  reaped: boolean;
  /** Lines of the block, the Killed line flagged. */
  lines: Array<{ line: KernelLine; role: string; decisive: boolean }>;
  killed: KernelLine;
  header_seen: boolean;
  suppressed_seen: boolean;
}

interface Block {
  trigger_comm: string | null;
  trigger_pid: number | null;
  gfp_mask: string | null;
  order: number | null;
  columns: string[] | null;
  tasks: Array<Omit<OomTask, 'rank' | 'rss_mib'>>;
  constraint: string | null;
  oom_memcg: string | null;
  task_memcg: string | null;
  usage_kb: number | null;
  limit_kb: number | null;
  memcg_hint: string | null;
  summary_pid: number | null;
  summary_task: string | null;
  chosen: { pid: number; comm: string; score: number } | null;
  oom_group: boolean;
  lines: Array<{ line: KernelLine; role: string; decisive: boolean }>;
  last_ms: number | null;
  last_uptime: number | null;
  header_seen: boolean;
}

function newBlock(): Block {
  return {
    trigger_comm: null, trigger_pid: null, gfp_mask: null, order: null, columns: null, tasks: [], constraint: null,
    oom_memcg: null, task_memcg: null, usage_kb: null, limit_kb: null, memcg_hint: null, summary_pid: null, summary_task: null, chosen: null,
    oom_group: false, lines: [], last_ms: null, last_uptime: null, header_seen: false,
  };
}

function num(s: string | undefined): number | null {
  if (s === undefined || s === '') return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

/** `key=value,key=value` of the oom-kill summary; cgroup paths never hold `,` in practice. */
function parseSummary(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of s.split(',')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i)] = part.slice(i + 1);
    else if (part === 'global_oom') out['global_oom'] = '1';
  }
  return out;
}

function scopeOf(b: Block, reason: string | null): OomDetails['scope'] {
  switch (b.constraint) {
    case 'CONSTRAINT_MEMCG': return 'memcg';
    case 'CONSTRAINT_NONE': return 'global';
    case 'CONSTRAINT_CPUSET': return 'cpuset';
    case 'CONSTRAINT_MEMORY_POLICY': return 'mempolicy';
  }
  if (b.oom_memcg) return 'memcg';
  if (reason === 'Memory cgroup out of memory') return 'memcg';
  if (b.usage_kb !== null && b.limit_kb !== null) return 'memcg';
  if (reason && reason.startsWith('Out of memory')) return 'global';
  return 'unknown';
}

/** Kernel "unlimited" prints as 9007199254740988kB (page_counter max × 4 kB). */
function limitMib(kb: number | null): number | null {
  if (kb === null || kb >= 9007199254740988 / 2) return null;
  return mib(kb);
}

function finishTasks(b: Block, victimPid: number): { tasks: OomTask[]; rank: number | null } {
  const sorted = [...b.tasks].sort((x, y) => (y.rss_pages ?? 0) - (x.rss_pages ?? 0));
  const tasks: OomTask[] = sorted.map((t, i) => ({ ...t, rank: i + 1, rss_mib: t.rss_pages !== null ? mib(t.rss_pages * 4) : null }));
  const v = tasks.find((t) => t.pid === victimPid);
  return { tasks, rank: v ? v.rank : null };
}

/** Within one source, lines of one report are at most this far apart. */
const BLOCK_SPAN_MS = 60_000;
const BLOCK_SPAN_UPTIME_S = 60;

/**
 * Parses the kernel lines of ONE source, in file order, into OOM kills. Pure: no database.
 * Lines that are not part of an OOM report are ignored.
 */
export function parseOomLines(lines: Iterable<KernelLine>): OomKill[] {
  const kills: OomKill[] = [];
  let b: Block | null = null;
  let lastKill: OomKill | null = null;
  let suppressedAt: number | null = null;
  const stale = (x: Block, l: KernelLine) =>
    (x.last_ms !== null && l.ts_utc_ms !== null && Math.abs(l.ts_utc_ms - x.last_ms) > BLOCK_SPAN_MS) ||
    (x.last_uptime !== null && l.uptime_s !== null && Math.abs(l.uptime_s - x.last_uptime) > BLOCK_SPAN_UPTIME_S);
  const touch = (x: Block, l: KernelLine, role: string, decisive = false) => {
    x.lines.push({ line: l, role, decisive });
    if (l.ts_utc_ms !== null) x.last_ms = l.ts_utc_ms;
    if (l.uptime_s !== null) x.last_uptime = l.uptime_s;
  };
  for (const l of lines) {
    const msg = l.message.replace(/\s+$/, '');
    if (b && stale(b, l)) b = null;
    let m: RegExpExecArray | null;
    if (SUPPRESSED.test(msg)) {
      suppressedAt = l.src_line;
      continue;
    }
    if ((m = HEADER.exec(msg) ?? HEADER_LOOSE.exec(msg))) {
      b = newBlock();
      b.header_seen = true;
      b.trigger_comm = m[1]!;
      b.gfp_mask = m[2] ?? null;
      b.order = num(m[5]);
      touch(b, l, 'OOM killer invoked (the allocating task)');
      continue;
    }
    if ((m = KILLED.exec(msg)) || (m = KILLED_LOOSE.exec(msg)) || (m = KILLED_PID_ONLY.exec(msg))) {
      const full = m.length > 6;
      const pid = Number(m[2]);
      const known = b && b.summary_pid === pid ? b.summary_task : b?.tasks.find((t) => t.pid === pid)?.name ?? (b?.chosen?.pid === pid ? b.chosen.comm : null);
      // The task that invoked the killer can be the victim (the table may be cut or absent).
      const self = b && b.trigger_pid === pid && b.trigger_comm ? b.trigger_comm.trim().slice(0, 15) : null;
      const comm = m[4] ?? known ?? self ?? '?';
      // A second kill with no new header: a cascade. Only memory.oom.group kills share the report.
      if (b && b.lines.some((x) => x.decisive) && !b.oom_group) b = null;
      const blk: Block = b ?? newBlock();
      touch(blk, l, 'the kernel killed the process', true);
      const reason = m[1] ?? null;
      const { tasks, rank } = finishTasks(blk, pid);
      const victimTask = tasks.find((t) => t.pid === pid);
      const details: OomDetails = {
        scope: scopeOf(blk, reason),
        constraint: blk.constraint,
        oom_memcg: blk.oom_memcg,
        task_memcg: blk.task_memcg,
        unit: unitFromCgroup(blk.task_memcg ?? blk.oom_memcg ?? blk.memcg_hint),
        limit_mib: limitMib(blk.limit_kb),
        usage_mib: mib(blk.usage_kb),
        victim_rank: rank,
        victim_anon_rss_mib: full ? mib(num(m[7])) : null,
        victim_file_rss_mib: full ? mib(num(m[8])) : null,
        victim_total_vm_mib: full ? mib(num(m[6])) : victimTask?.total_vm_pages ? mib(victimTask.total_vm_pages * 4) : null,
        gfp_mask: blk.gfp_mask,
        order: blk.order,
        tasks,
      };
      const k: OomKill = {
        victim_pid: pid,
        victim_comm: comm,
        reason,
        uid: num(m[3]) ?? (full ? num(m[5]) ?? num(m[10]) : null),
        total_vm_kb: full ? num(m[6]) : null,
        anon_rss_kb: full ? num(m[7]) : null,
        file_rss_kb: full ? num(m[8]) : null,
        shmem_rss_kb: full ? num(m[9]) : null,
        trigger_pid: blk.trigger_pid,
        trigger_comm: blk.trigger_comm,
        details,
        chosen: blk.chosen,
        reaped: false,
        lines: blk.lines.slice(),
        killed: l,
        header_seen: blk.header_seen,
        suppressed_seen: suppressedAt !== null,
      };
      kills.push(k);
      lastKill = k;
      b = blk.oom_group ? blk : null;
      continue;
    }
    if ((m = REAPER.exec(msg))) {
      if (lastKill && lastKill.victim_pid === Number(m[1])) {
        lastKill.reaped = true;
        lastKill.lines.push({ line: l, role: 'the OOM reaper freed its memory', decisive: false });
      }
      continue;
    }
    if (!b) {
      // Report parts without a header line (header lost or rate-limited): open an anonymous block.
      if (SUMMARY.test(msg) || TABLE_HEAD.test(msg) || TASK_IN.test(msg) || SELECT.test(msg) || msg === 'Tasks state (memory values in pages):') b = newBlock();
      else continue;
    }
    if ((m = CPU_LINE.exec(msg))) {
      const cpuComm = m[3]!.trim();
      if (b.trigger_pid === null && (b.trigger_comm === null || cpuComm === b.trigger_comm.trim().slice(0, 15))) {
        b.trigger_pid = Number(m[1] ?? m[2]);
        if (b.trigger_comm === null) b.trigger_comm = cpuComm;
        touch(b, l, 'the allocating task');
      }
    } else if ((m = TASK_IN.exec(msg))) {
      b.task_memcg = m[1]!;
      b.oom_memcg = m[2]!;
      touch(b, l, 'the memory cgroup whose limit was hit');
    } else if ((m = MEM_USAGE.exec(msg))) {
      if (b.usage_kb === null) {
        b.usage_kb = Number(m[1]);
        b.limit_kb = Number(m[2]);
        touch(b, l, 'memory cgroup usage and limit');
      }
    } else if ((m = MEMCG_STATS.exec(msg))) {
      if (b.memcg_hint === null) b.memcg_hint = m[1]!;
    } else if ((m = TABLE_HEAD.exec(msg))) {
      b.columns = m[1]!.trim().split(/\s+/);
      b.tasks = [];
    } else if ((m = TABLE_ROW.exec(msg)) && b.columns) {
      const rest = m[4]!;
      const n = b.columns.length;
      // N numeric columns, then the name (which may hold spaces).
      const re = new RegExp(`^${'\\s*(-?\\d+)'.repeat(n)}\\s(.*)$`);
      const r = re.exec(rest);
      if (r) {
        const col = (name: string) => {
          const i = b!.columns!.indexOf(name);
          return i >= 0 ? Number(r[i + 1]) : null;
        };
        b.tasks.push({
          pid: Number(m[1]),
          uid: Number(m[2]),
          tgid: Number(m[3]),
          total_vm_pages: col('total_vm'),
          rss_pages: col('rss'),
          pgtables_bytes: col('pgtables_bytes'),
          swapents: col('swapents'),
          oom_score_adj: col('oom_score_adj') ?? col('oom_adj'),
          name: r[n + 1]!.trim(),
        });
      }
    } else if ((m = SUMMARY.exec(msg))) {
      const f = parseSummary(m[1]!);
      b.constraint = f['constraint'] ?? null;
      if (f['oom_memcg']) b.oom_memcg = f['oom_memcg'];
      if (f['task_memcg']) b.task_memcg = f['task_memcg'];
      b.summary_pid = num(f['pid']);
      b.summary_task = f['task'] ?? null;
      touch(b, l, 'OOM summary: constraint and cgroups');
    } else if ((m = SELECT.exec(msg))) {
      b.chosen = { pid: Number(m[2]), comm: m[3]!, score: Number(m[4]) };
      touch(b, l, 'the victim chosen by the OOM killer');
    } else if ((m = OOM_GROUP.exec(msg))) {
      b.oom_group = true;
      touch(b, l, 'memory.oom.group: the whole cgroup is killed');
    }
  }
  return kills;
}

const signedAdj = (adj: number | null) => (adj === null ? '?' : adj > 0 ? `+${adj}` : String(adj));

/**
 * The kernel picks the task with the highest badness: its rss, swap and page tables, plus
 * oom_score_adj thousandths of the memory it may use (mm/oom_kill.c oom_badness); -1000 is never
 * picked. When the victim is not the largest task of the table, its adj (or the larger tasks'
 * exemption) is why: said here, and the tasks passed over are kept in the details.
 */
function whyChosen(d: OomDetails, victimPid: number): string | null {
  const victim = d.tasks.find((t) => t.pid === victimPid);
  if (!victim || d.victim_rank === null || d.victim_rank <= 1) return null;
  const larger = d.tasks.filter((t) => t.rank < victim.rank);
  if (!larger.length) return null;
  d.passed_over = larger.map((t) => ({ pid: t.pid, name: t.name, rss_mib: t.rss_mib, oom_score_adj: t.oom_score_adj }));
  const exempt = larger.filter((t) => t.oom_score_adj === -1000);
  const lower = larger.filter((t) => t.oom_score_adj !== -1000 && t.oom_score_adj !== null && victim.oom_score_adj !== null && t.oom_score_adj < victim.oom_score_adj);
  const parts: string[] = [];
  const name = (t: OomTask) => `${t.name} (pid ${t.pid}, ${t.rss_mib !== null ? `${fmtMib(t.rss_mib)} resident` : 'size ?'}, oom_score_adj ${signedAdj(t.oom_score_adj)})`;
  if (lower.length) {
    parts.push(
      `chosen over the larger ${lower.map(name).join(', ')} because its oom_score_adj is ${signedAdj(victim.oom_score_adj)}, which adds to its badness score`,
    );
  }
  if (exempt.length) parts.push(`${exempt.map(name).join(', ')} ${exempt.length > 1 ? 'are' : 'is'} exempt (oom_score_adj -1000 is never chosen)`);
  const rest = larger.filter((t) => !lower.includes(t) && !exempt.includes(t));
  if (rest.length && !parts.length) parts.push(`chosen over the larger ${rest.map(name).join(', ')} (the badness score counts swap and page tables too)`);
  d.why_chosen = parts.join('; ') || null;
  return d.why_chosen;
}

// notable_lines 'oom' marks a superset of these lines at ingest (src/store/notable.ts).
const KERNEL_SQL = `
  SELECT e.source_id AS source_id, e.src_line AS src_line, e.ts_utc_ms AS ts_utc_ms, e.host AS host, e.uptime_s AS uptime_s,
         e.boot_key AS boot_key, e.message AS message
  FROM notable_lines e
  WHERE e.kind = 'oom' AND e.source_id = ? AND ((program IS NULL AND message LIKE '%invoked oom-killer%') OR program = 'kernel' AND (
    message LIKE '%invoked oom-killer%' OR message LIKE 'CPU: %PID: %' OR message LIKE 'Pid: %comm: %' OR message LIKE 'Task in %'
    OR message LIKE 'memory: usage%' OR message LIKE 'Memory cgroup stats for%' OR message LIKE '[%'
    OR message LIKE 'Tasks state%' OR message LIKE 'oom-kill:%' OR message LIKE '%ill process%' OR message LIKE '%illed process%'
    OR message LIKE 'oom_reaper:%' OR message LIKE '%suppressed%' OR message LIKE 'Tasks in %'))
  ORDER BY e.src_line`;

function fmtMib(v: number | null): string {
  return v === null ? '?' : `${v} MiB`;
}

function toCandidate(k: OomKill, ev: EvidenceResolver): Candidate {
  const d = k.details;
  const evidence: EvidenceLine[] = k.lines.map((x) =>
    ev.line(x.line.source_id, x.line.src_line, { role: x.role, decisive: x.decisive }),
  );
  const where =
    d.scope === 'memcg'
      ? `memory cgroup ${d.oom_memcg ?? d.task_memcg ?? '(path not logged)'}${d.limit_mib !== null ? ` hit its ${fmtMib(d.limit_mib)} limit` : ' hit its limit'}`
      : d.scope === 'global'
        ? 'the host ran out of memory'
        : d.scope === 'unknown' ? 'out of memory (scope not logged)' : `out of memory within its ${d.scope}`;
  const rss = k.anon_rss_kb !== null ? `, ${fmtMib(mib(k.anon_rss_kb + (k.file_rss_kb ?? 0) + (k.shmem_rss_kb ?? 0)))} resident` : '';
  const trig =
    k.trigger_comm !== null
      ? k.trigger_pid === k.victim_pid || (k.trigger_pid === null && k.trigger_comm === k.victim_comm)
        ? `; ${k.trigger_comm} itself triggered it`
        : `; ${k.trigger_comm}${k.trigger_pid !== null ? ` (pid ${k.trigger_pid})` : ''} triggered it by allocating`
      : '';
  const rank = d.victim_rank !== null ? `, rank ${d.victim_rank} of ${d.tasks.length} by RSS` : '';
  const why = whyChosen(d, k.victim_pid);
  // Before 5.2 the kernel could sacrifice a child of the task it chose (`… or sacrifice child`).
  const child =
    k.chosen && k.chosen.pid !== k.victim_pid
      ? `; the kernel chose ${k.chosen.comm} (pid ${k.chosen.pid}, score ${k.chosen.score}) and killed its child ${k.victim_comm} (pid ${k.victim_pid}) instead`
      : '';
  const summary = `kernel OOM killer: ${where}; killed ${k.victim_comm} (pid ${k.victim_pid}${rss}${rank})${trig}${d.unit ? ` [${d.unit}]` : ''}${child}${why ? `; ${why}` : ''}`;
  const missing: string[] = [];
  if (!k.header_seen) {
    missing.push(
      k.suppressed_seen
        ? 'the OOM report (trigger, task table) was rate-limited away ("callbacks suppressed"): only the kill line was logged'
        : 'the OOM report header and task table are not in the evidence (rate-limited or cut): the trigger is unknown',
    );
  }
  const rec: string[] = [];
  if (d.scope === 'memcg') {
    rec.push(
      `raise the memory limit of ${d.unit ?? d.oom_memcg ?? 'the cgroup'}${d.limit_mib !== null ? ` (now ${fmtMib(d.limit_mib)})` : ''} (MemoryMax= for a systemd unit) or reduce what runs in it`,
    );
  } else {
    rec.push('add memory or swap, or cap the task that grew (MemoryMax= on its unit)');
  }
  rec.push(`protect ${k.victim_comm} if it must survive: oom_score_adj / OOMScoreAdjust=-500 (or lower) on its unit`);
  return {
    cause: 'oom-kill',
    strength: 100,
    host: k.killed.host,
    pid: k.victim_pid,
    comm: k.victim_comm,
    time_ms: k.killed.ts_utc_ms,
    boot: k.killed.boot_key,
    signal: 9,
    confidence: 'high',
    summary,
    actor: { ...emptyActor('kernel'), via: 'kernel', uid: k.uid },
    trigger: k.trigger_comm !== null || k.trigger_pid !== null ? { pid: k.trigger_pid, comm: k.trigger_comm } : null,
    oom: d,
    evidence,
    missing,
    recommendations: rec,
    standalone: true,
    uptime_s: k.killed.uptime_s,
  };
}

interface Continuation {
  src_line: number;
  raw: string;
}

/** Not the rest of a wrapped line: a mail `<trim>` marker, a stamped line the parser did not take. */
const NOT_CONTINUATION = /^(?:<[^>]*>|\[\s*\d+\.\d+\]|-{2,}|\s*$)/;
const MAX_WRAPS = 3;

/**
 * Kernel lines wrapped by a mail client or a terminal (formats.md, samples-real MANIFEST "EMAIL
 * LINE-WRAPPED"): the rest of the line is stored as the next unit(s), with no stamp, no program and
 * no time. They are joined back to the kernel line they continue, with the space the wrap replaced.
 */
export function joinWrapped(lines: KernelLine[], cont: readonly Continuation[]): KernelLine[] {
  if (cont.length === 0) return lines;
  const byLine = new Map<number, string>();
  for (const c of cont) {
    const t = c.raw.trim();
    if (t.length > 0 && t.length < 400 && !NOT_CONTINUATION.test(t)) byLine.set(c.src_line, t);
  }
  if (byLine.size === 0) return lines;
  // A continuation glued to the line before it is part of that line, not a line of its own.
  const glued = (n: number) => byLine.has(n) && (byLine.has(n - 1) || lines.some((l) => l.src_line === n - 1));
  return lines.filter((l) => !glued(l.src_line)).map((l) => {
    let msg = l.message.replace(/\s+$/, '');
    let n = l.src_line + 1;
    for (let i = 0; i < MAX_WRAPS && byLine.has(n); i++, n++) msg += ' ' + byLine.get(n)!;
    return msg === l.message ? l : { ...l, message: msg };
  });
}

/** Quality of a copy: the one with the report header and the most lines wins. */
function richness(k: OomKill): number {
  return (k.header_seen ? 1000 : 0) + k.lines.length + (k.killed.ts_utc_ms !== null ? 1 : 0);
}

export function oomCandidates(db: Db, ev: EvidenceResolver): Candidate[] {
  // One source's report lines at a time (kern.log, syslog and messages each hold a copy).
  const sources = (db.prepare(`SELECT DISTINCT source_id FROM notable_lines WHERE kind = 'oom' ORDER BY source_id`).all() as Array<{ source_id: number }>).map((r) => r.source_id);
  const linesOf = db.prepare(KERNEL_SQL);
  const kills: OomKill[] = [];
  // A wrapped line's rest is stored either bare (no program, no time) or with the stamps of the
  // line before and a warning that says so (dmesg/syslog parsers): both are continuations.
  // Both lists are small (bare lines are rare, warnings are capped per kind): each line is then
  // read by its (source, line) index, never by scanning the source.
  const continuationLines = db.prepare(
    `SELECT src_line FROM notable_lines WHERE kind = 'bare' AND source_id = @sid
     UNION
     SELECT src_line FROM warnings WHERE source_id = @sid AND src_line IS NOT NULL AND (
       message LIKE '%wrapped?%' OR message LIKE 'continuation line%' OR message LIKE 'line does not start with a syslog timestamp%')
     ORDER BY src_line`,
  );
  const lines = new LineStore(db);
  for (const sourceId of sources) {
    const list = linesOf.all(sourceId) as KernelLine[];
    if (!list.length) continue;
    const cont: Continuation[] = [];
    for (const { src_line } of continuationLines.all({ sid: sourceId }) as Array<{ src_line: number }>) {
      const l = lines.at(sourceId, src_line);
      if (l) cont.push({ src_line, raw: l.raw });
    }
    kills.push(...parseOomLines(joinWrapped(list, cont)));
  }
  kills.sort((a, b) => richness(b) - richness(a));
  // Dedupe copies of the same kill across files: same victim, same host, within 2 s or same uptime.
  const groups: Array<{ best: OomKill; copies: OomKill[] }> = [];
  for (const k of kills) {
    const g = groups.find(
      (x) =>
        x.best.victim_pid === k.victim_pid &&
        sameHost(x.best.killed.host, k.killed.host) &&
        ((x.best.killed.uptime_s !== null && k.killed.uptime_s !== null && Math.abs(x.best.killed.uptime_s - k.killed.uptime_s) < 0.01) ||
          (x.best.killed.ts_utc_ms !== null && k.killed.ts_utc_ms !== null && Math.abs(x.best.killed.ts_utc_ms - k.killed.ts_utc_ms) <= 2000) ||
          (x.best.killed.ts_utc_ms === null || k.killed.ts_utc_ms === null) && x.best.victim_comm === k.victim_comm),
    );
    if (g) g.copies.push(k);
    else groups.push({ best: k, copies: [] });
  }
  // systemd's own lines about the unit (§6.7: "A process of this unit has been killed by the OOM
  // killer", "Main process exited, code=killed", "Failed with result 'oom-kill'") name no pid.
  const unitLines = db.prepare(
    `SELECT source_id, src_line, action FROM services WHERE unit = ? AND action IN ('oom', 'main_exited', 'failed', 'oomd_kill')
     AND ts_utc_ms BETWEEN ? AND ? AND (? IS NULL OR host IS NULL OR host = ?) ORDER BY ts_utc_ms LIMIT 6`,
  );
  return groups.map((g) => {
    const c = toCandidate(g.best, ev);
    const unit = c.oom?.unit;
    if (unit && c.time_ms !== null && /\.(service|scope)$/.test(unit)) {
      for (const u of unitLines.all(unit, c.time_ms - 2_000, c.time_ms + 30_000, c.host, c.host) as Array<{ source_id: number; src_line: number; action: string }>) {
        c.evidence.push(ev.line(u.source_id, u.src_line, { role: `systemd: ${unit} ${u.action === 'oom' ? 'reports the OOM kill' : u.action.replace('_', ' ')}` }));
      }
    }
    // The instant from the best-timed copy of the kill line.
    let bestRank = 9;
    for (const x of [g.best, ...g.copies]) {
      if (x.killed.ts_utc_ms === null) continue;
      const r = timeQualityRank(ev.line(x.killed.source_id, x.killed.src_line, { role: '' }).time_quality);
      if (r < bestRank) {
        bestRank = r;
        c.time_ms = x.killed.ts_utc_ms;
      }
    }
    if (c.host === null) c.host = g.copies.find((x) => x.killed.host !== null)?.killed.host ?? null;
    for (const x of g.copies) {
      c.evidence.push(ev.line(x.killed.source_id, x.killed.src_line, { role: 'the same kill, copied in another file' }));
    }
    return c;
  });
}
