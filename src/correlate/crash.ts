// Crashes: the process died of its own fault (formats.md §2.1–2.3, §3.8, §6.9, §7.1).
//
//   parser-daemon[16480]: segfault at 0 ip 0000564ddc58336e sp 00007ffc29ee3220 error 6 in parser-daemon[136e,564ddc583000+1000] likely on CPU 1 (core 1, socket 0)
//   type=ANOM_ABEND msg=audit(1795297746.147:340): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=16480 comm="parser-daemon" exe="/srv/batch/bin/parser-daemon" sig=11 res=1
//
// Sources: `process_ends` rows (segfault, trap, gpf, fatal_signal, anom_abend, coredump) written by
// the parsers; the kernel lines themselves when no parser turned them into facts; pacct ACORE.
import type { Db } from '../store/db.js';
import { type Candidate, type ProcessEndRow, EvidenceResolver, emptyActor, signalName } from './common.js';

const CRASH_KINDS = ['segfault', 'trap', 'gpf', 'fatal_signal', 'anom_abend', 'coredump'] as const;

/** Default signal per kernel report (x86 traps.c: trap name → signal). */
const TRAP_SIGNALS: ReadonlyArray<[RegExp, number]> = [
  [/invalid opcode/, 4],
  [/divide error/, 8],
  [/general protection/, 11],
  [/segfault/, 11],
  [/stack segment|segment not present/, 7],
  [/alignment check/, 7],
  [/int3|breakpoint/, 5],
];

const KIND_TEXT: Readonly<Record<string, string>> = {
  segfault: 'segmentation fault reported by the kernel',
  trap: 'CPU trap reported by the kernel',
  gpf: 'general protection fault reported by the kernel',
  fatal_signal: 'fatal signal reported by the kernel',
  anom_abend: 'audit ANOM_ABEND: abnormal end',
  coredump: 'core dump',
};

const SEGFAULT = /^(.+?)\[(\d+)\]: segfault at ([0-9a-f]+) ip ([0-9a-f]+) sp [0-9a-f]+ error ([0-9a-f]+)/;
const TRAPS = /^(?:traps: )?(.+?)\[(\d+)\] (?:trap (.+?)|(general protection(?: fault)?)) ip:/;

function defaultSignal(kind: string, detail: string | null): number | null {
  const text = `${kind} ${detail ?? ''}`;
  for (const [re, sig] of TRAP_SIGNALS) if (re.test(text)) return sig;
  return null;
}

function crashRecs(comm: string | null): string[] {
  return [
    `collect the core dump of ${comm ?? 'the process'} (systemd-coredump / kernel.core_pattern) and fix the fault; Restart=on-failure keeps a service up meanwhile`,
  ];
}

/** Rows read per query: a crash-looping service logs segfaults by the hundred thousand. */
const PAGE = 5000;

/** Candidates one at a time, read a page at a time (no query stays open between two). */
export function* crashCandidates(db: Db, ev: EvidenceResolver): Generator<Candidate> {
  const page = db.prepare(
    // `+kind`: walk the rows by id (a seek per page), not the kind index (a sort of them all per page).
    `SELECT * FROM process_ends WHERE id > ? AND pid IS NOT NULL AND +kind IN (${CRASH_KINDS.map(() => '?').join(',')}) ORDER BY id LIMIT ${PAGE}`,
  );
  // The times each pid crashed at by a fact: a kernel line that is also a fact is not counted twice.
  const seen = new Map<number, Array<number | null>>();
  for (let last = 0; ; ) {
    const rows = page.all(last, ...CRASH_KINDS) as Array<ProcessEndRow & { id: number }>;
    if (!rows.length) break;
    last = rows[rows.length - 1]!.id;
    for (const r of rows) {
      const times = seen.get(r.pid!);
      if (times) times.push(r.ts_utc_ms);
      else seen.set(r.pid!, [r.ts_utc_ms]);
      yield factCandidate(r, ev);
    }
  }
  // Kernel lines no parser turned into facts.
  // Pages follow the kind index (source, line): each one is a seek, not a sort of every crash line.
  const kernelPage = db.prepare(
    `SELECT e.source_id AS source_id, e.src_line AS src_line, e.ts_utc_ms AS ts_utc_ms, e.host AS host, e.boot_key AS boot_key,
            e.uptime_s AS uptime_s, e.message AS message, e.program AS program
     FROM notable_lines e
     WHERE e.kind = 'crash' AND (e.source_id, e.src_line) > (?, ?)
     ORDER BY e.source_id, e.src_line LIMIT ${PAGE}`,
  );
  const CRASH_TEXT = /\]: segfault at |\] trap |\] general protection/i;
  for (let lastSource = 0, lastLine = 0; ; ) {
    const page = kernelPage.all(lastSource, lastLine) as Array<ProcessEndRow & { uptime_s: number | null; message: string; program: string | null }>;
    if (!page.length) break;
    lastSource = page[page.length - 1]!.source_id;
    lastLine = page[page.length - 1]!.src_line;
    // The filter the SQL LIKEs made (case-insensitive as LIKE is), applied after the page is cut.
    const kernel = page.filter((k) => k.program === 'kernel' && CRASH_TEXT.test(k.message));
    for (const k of kernel) {
      const c = kernelCandidate(k, seen, ev);
      if (c) yield c;
    }
  }
}

function factCandidate(r: ProcessEndRow, ev: EvidenceResolver): Candidate {
  const sig = r.signal ?? defaultSignal(r.kind, r.detail);
  return {
    cause: 'crash',
    strength: r.kind === 'coredump' || r.kind === 'anom_abend' ? 88 : 90,
    host: r.host,
    pid: r.pid!,
    comm: r.comm,
    time_ms: r.ts_utc_ms,
    boot: r.boot_key,
    signal: sig,
    confidence: 'high',
    summary: `${r.comm ?? 'the process'} (pid ${r.pid}) crashed: ${KIND_TEXT[r.kind] ?? r.kind}${sig ? ` (${signalName(sig)})` : ''}${r.detail ? `: ${r.detail}` : ''}`,
    actor: { ...emptyActor('kernel'), via: 'kernel' },
    evidence: [ev.line(r.source_id, r.src_line, { role: KIND_TEXT[r.kind] ?? r.kind, decisive: true })],
    recommendations: crashRecs(r.comm),
    standalone: true,
  };
}

function kernelCandidate(
  k: ProcessEndRow & { uptime_s: number | null; message: string },
  seen: ReadonlyMap<number, ReadonlyArray<number | null>>,
  ev: EvidenceResolver,
): Candidate | null {
  let m = SEGFAULT.exec(k.message);
  let pid: number;
  let comm: string;
  let kind: string;
  let sig: number | null;
  if (m) {
    comm = m[1]!;
    pid = Number(m[2]);
    kind = 'segfault';
    sig = 11;
  } else if ((m = TRAPS.exec(k.message))) {
    comm = m[1]!;
    pid = Number(m[2]);
    kind = m[4] ? 'gpf' : 'trap';
    sig = defaultSignal(kind, m[3] ?? m[4] ?? null);
  } else return null;
  if (seen.get(pid)?.some((ms) => ms === null || k.ts_utc_ms === null || Math.abs(ms - k.ts_utc_ms) <= 2000)) return null;
  return {
    cause: 'crash',
    strength: 90,
    host: k.host,
    pid,
    comm,
    time_ms: k.ts_utc_ms,
    boot: k.boot_key,
    signal: sig,
    confidence: 'high',
    summary: `${comm} (pid ${pid}) crashed: ${KIND_TEXT[kind]}${sig ? ` (${signalName(sig)})` : ''}`,
    actor: { ...emptyActor('kernel'), via: 'kernel' },
    evidence: [ev.line(k.source_id, k.src_line, { role: KIND_TEXT[kind]!, decisive: true })],
    recommendations: crashRecs(comm),
    standalone: true,
    uptime_s: k.uptime_s,
  };
}

export { crashRecs };
