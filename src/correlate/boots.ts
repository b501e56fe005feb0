// Boots and orderly shutdowns of the case's hosts, rebuilt from every source that records them, so
// that an incident's `boot` is the same identity whichever file the evidence came from, and so that
// a process killed while the host was going down is blamed on the shutdown, not on a sender.
//
// A boot is recorded by (formats.md §2.6, §3.9, §4.3, §4.5, §8.3):
//   journal         _BOOT_ID=1809e3bbbb334d62937ce8827b16b5f0 (events.boot_key, 32 hex digits)
//   kernel lines    uptime 0 anchored to wall clock (`boots` table, per source segment)
//   wtmp / wtmpdb   [2] [00000] [~~  ] [reboot  ] [~   ] [3.10.0-1160.71.1.el7.x86_64] … (BOOT_TIME)
//   audit           type=SYSTEM_BOOT … comm="systemd-update-utmp"; type=DAEMON_START … auditd start
// Each writes a different instant of the same boot (kernel start, then userspace, then auditd a
// few seconds later), so instants close together from different sources are one boot. Its identity
// is the journal boot id when a journal covers it, else its earliest start instant in ISO 8601 UTC.
//
// An orderly shutdown is recorded by:
//   wtmp            [1] [13104] [~~  ] [runlevel] …   ut_pid = new runlevel char | old << 8 ('0' halt, '6' reboot)
//                   [1] [00000] [~~  ] [shutdown] …   (sysvinit halt, systemd-update-utmp at the end of the run)
//   audit           type=SYSTEM_RUNLEVEL … msg='old-level=3 new-level=0 exe="/sbin/shutdown" … terminal=pts/0'
//                   type=SYSTEM_SHUTDOWN … auid=0 ses=6 … exe="/sbin/shutdown"
//   systemd         systemd-logind: System is powering down. / systemd[1]: Reached target Shutdown. /
//                   systemd-shutdown[1]: Sending SIGTERM to remaining processes...
//   sysvinit        init: Switching to runlevel: 6 / shutdown[2125]: shutting down for system halt
// The shutdown lasts from its first record to the next boot.
import type { Db } from '../store/db.js';
import { isoUtc } from '../time/civil.js';
import { sameHost } from './common.js';

/** Instants of one boot written by different sources lie within this of each other. */
const SAME_BOOT_MS = 120_000;
/** Records of one shutdown follow each other within this; a longer silence starts another. */
const SHUTDOWN_GAP_MS = 30 * 60_000;
/** A shutdown with no later boot in the evidence is assumed over this long after its last record. */
const SHUTDOWN_TAIL_MS = 10 * 60_000;
/** The last boot of the evidence identifies times up to this long after the last record that shows it running. */
const BOOT_HORIZON_MS = 24 * 3_600_000;

/** 2000-01-01: earlier boot records come from a clock that was never set. */
const MIN_PLAUSIBLE_MS = 946_684_800_000;

const JOURNAL_BOOT_ID = /^[0-9a-f]{32}$/;

export type BootSourceKind = 'journal' | 'kernel' | 'wtmp' | 'audit-boot' | 'auditd-start';

export interface BootRecord {
  ms: number;
  host: string | null;
  kind: BootSourceKind;
  source_id: number | null;
  src_line: number | null;
  /** Journal boot id, for kind 'journal'. */
  boot_id?: string;
  /** The last instant the source shows this boot running (its next boot record, or its last line). */
  until_ms: number | null;
}

export interface Boot {
  /** Earliest instant of the boot in the evidence (kernel start when known). */
  start_ms: number;
  host: string | null;
  /** Stable identity: journal boot id, else ISO 8601 UTC of `start_ms`. */
  id: string;
  records: BootRecord[];
  /** The last instant the evidence shows this boot running. */
  until_ms: number | null;
}

export type ShutdownKind = 'reboot' | 'poweroff' | 'halt' | null;

export interface ShutdownMarker {
  ms: number;
  host: string | null;
  source_id: number;
  src_line: number;
  /** What this record says ("wtmp runlevel 3 → 6", "systemd: Reached target Shutdown."). */
  what: string;
  kind: ShutdownKind;
  /** The marker comes from systemd (journal/syslog systemd lines or systemd-update-utmp). */
  systemd: boolean;
  /** Text for binary records (wtmp), whose stored raw form says nothing to a reader. */
  text?: string;
  /** Who asked for it (audit SYSTEM_* records of /sbin/shutdown). */
  requester?: { auid: number | null; ses: number | null; tty: string | null; exe: string | null; user: string | null };
}

export interface Shutdown {
  start_ms: number;
  last_marker_ms: number;
  /** Start of the next boot, or null when the evidence has none. */
  next_boot: Boot | null;
  /** End of the window: the next boot, else the last record plus a margin. */
  end_ms: number;
  host: string | null;
  kind: ShutdownKind;
  systemd: boolean;
  markers: ShutdownMarker[];
}

/** SysV runlevel characters in a RUN_LVL record's ut_pid that take the machine down. */
const DOWN_RUNLEVELS: Readonly<Record<string, ShutdownKind>> = { '0': 'poweroff', '6': 'reboot' };

/** systemd and sysvinit lines that only appear while the host is going down, with what they mean. */
const SHUTDOWN_LINES: ReadonlyArray<{ re: RegExp; kind: ShutdownKind; systemd: boolean }> = [
  { re: /^System is (?:powering down|powering off)\b/, kind: 'poweroff', systemd: true },
  { re: /^System is rebooting\b/, kind: 'reboot', systemd: true },
  { re: /^System is halting\b/, kind: 'halt', systemd: true },
  { re: /^The system will (?:power off|reboot|halt) now/, kind: null, systemd: true },
  { re: /^Reached target (?:System )?(?:Shutdown|Power-?Off|Reboot|Halt)\b/, kind: null, systemd: true },
  { re: /^Reached target (?:Late Shutdown Services|Final Step)\b/, kind: null, systemd: true },
  { re: /^Sending SIG(?:TERM|KILL) to remaining processes/, kind: null, systemd: true },
  { re: /^Shutting down\.$/, kind: null, systemd: true },
  { re: /^Switching to runlevel: ([06])\b/, kind: null, systemd: false },
  { re: /^shutting down for system (reboot|halt|poweroff)/, kind: null, systemd: false },
];

const LINE_KIND: Readonly<Record<string, ShutdownKind>> = { '0': 'poweroff', '6': 'reboot', reboot: 'reboot', halt: 'halt', poweroff: 'poweroff' };

function auditNum(v: unknown): number | null {
  if (typeof v !== 'string' && typeof v !== 'number') return null;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 && n !== 4294967295 ? n : null;
}

function auditStr(v: unknown): string | null {
  return typeof v === 'string' && v !== '' && v !== '?' && v !== '(none)' ? v : null;
}

/** `ut_pid` of a RUN_LVL "runlevel" record: new level in the low byte, previous one above it. */
export function runlevelChange(utPid: number | null): { to: string; from: string | null } | null {
  if (utPid === null || utPid <= 0) return null;
  const to = utPid & 0xff;
  const from = (utPid >> 8) & 0xff;
  if (to < 0x20 || to > 0x7e) return null;
  return { to: String.fromCharCode(to), from: from >= 0x20 && from <= 0x7e ? String.fromCharCode(from) : null };
}

export class BootTimeline {
  readonly boots: Boot[];
  readonly shutdowns: Shutdown[];
  /** Boots by (source_id, boot_key) of the `boots` table: segment keys of kernel text. */
  private readonly segBoot = new Map<string, number>();

  constructor(db: Db) {
    const records: BootRecord[] = [];
    const binary = new Set(
      (db.prepare(`SELECT id FROM sources WHERE format IN ('utmp', 'wtmpdb', 'pacct')`).all() as Array<{ id: number }>).map((r) => r.id),
    );
    // Last line of each source and of each boot segment: how long the boot it shows lasted at least.
    const segLast = new Map<string, number>();
    const srcLast = new Map<number, number>();
    const journal = new Map<string, { host: string | null; first_ms: number; last_ms: number }>();
    for (const g of db
      .prepare(
        `SELECT source_id, boot_key, host, first_ms, last_ms FROM segments WHERE timed_lines > 0`,
      )
      .all() as Array<{ source_id: number; boot_key: string | null; host: string | null; first_ms: number; last_ms: number }>) {
      segLast.set(`${g.source_id}|${g.boot_key ?? ''}`, g.last_ms);
      srcLast.set(g.source_id, Math.max(srcLast.get(g.source_id) ?? -Infinity, g.last_ms));
      if (g.boot_key && JOURNAL_BOOT_ID.test(g.boot_key)) {
        const j = journal.get(g.boot_key);
        journal.set(g.boot_key, { host: j?.host ?? g.host, first_ms: Math.min(j?.first_ms ?? Infinity, g.first_ms), last_ms: Math.max(j?.last_ms ?? -Infinity, g.last_ms) });
      }
    }
    // Journal boots: the boots table when kernel lines anchored them, else the first entry.
    const anchored = new Map<string, number>();
    for (const b of db.prepare(`SELECT host, source_id, boot_key, boot_utc_ms FROM boots WHERE boot_utc_ms IS NOT NULL`).all() as Array<{
      host: string | null; source_id: number | null; boot_key: string | null; boot_utc_ms: number;
    }>) {
      // The anchor pass also sees wtmp boot records as one uptime-0 "segment"; those are read below.
      if (b.source_id !== null && binary.has(b.source_id)) continue;
      if (b.boot_key && JOURNAL_BOOT_ID.test(b.boot_key)) {
        anchored.set(b.boot_key, Math.min(anchored.get(b.boot_key) ?? Infinity, b.boot_utc_ms));
        continue;
      }
      const last = b.source_id !== null ? segLast.get(`${b.source_id}|${b.boot_key ?? ''}`) ?? null : null;
      records.push({ ms: b.boot_utc_ms, host: b.host, kind: 'kernel', source_id: b.source_id, src_line: null, until_ms: last });
      if (b.source_id !== null) this.segBoot.set(`${b.source_id}|${b.boot_key ?? ''}`, b.boot_utc_ms);
    }
    for (const [id, j] of journal) {
      records.push({ ms: Math.min(anchored.get(id) ?? Infinity, j.first_ms), host: j.host, kind: 'journal', source_id: null, src_line: null, boot_id: id, until_ms: j.last_ms });
    }
    // wtmp: a boot lasted at least until the next boot record of the same file, else its last record.
    const wtmpLast = new Map<number, number>();
    for (const r of db
      .prepare(`SELECT source_id, MAX(ts_utc_ms) AS t FROM utmp_records WHERE file_kind IS NULL OR file_kind IN ('wtmp', 'wtmpdb') GROUP BY source_id`)
      .all() as Array<{ source_id: number; t: number | null }>) {
      if (r.t !== null) wtmpLast.set(r.source_id, r.t);
    }
    const wtmp = db
      .prepare(
        `SELECT source_id, src_line, ts_utc_ms FROM utmp_records WHERE ts_utc_ms IS NOT NULL AND ut_type = 2
         AND (file_kind IS NULL OR file_kind IN ('wtmp', 'wtmpdb')) ORDER BY source_id, ts_utc_ms`,
      )
      .all() as Array<{ source_id: number; src_line: number; ts_utc_ms: number }>;
    wtmp.forEach((r, i) => {
      const next = wtmp[i + 1];
      const until = next && next.source_id === r.source_id ? next.ts_utc_ms : wtmpLast.get(r.source_id) ?? null;
      records.push({ ms: r.ts_utc_ms, host: null, kind: 'wtmp', source_id: r.source_id, src_line: r.src_line, until_ms: until });
    });
    const audit = db
      .prepare(
        `SELECT source_id, src_line, ts_utc_ms, host, record_type, fields_json FROM audit_records
         WHERE record_type IN ('SYSTEM_BOOT', 'DAEMON_START', 'SYSTEM_SHUTDOWN', 'SYSTEM_RUNLEVEL') AND ts_utc_ms IS NOT NULL
         ORDER BY ts_utc_ms`,
      )
      .all() as Array<{ source_id: number; src_line: number; ts_utc_ms: number; host: string | null; record_type: string; fields_json: string | null }>;
    const auditLast = new Map<number, number>();
    // An audit record's time is its line's: the segments hold each audit file's last instant.
    for (const r of db
      .prepare(`SELECT source_id, MAX(last_ms) AS t FROM segments WHERE source_id IN (SELECT id FROM sources WHERE format = 'audit') GROUP BY source_id`)
      .all() as Array<{ source_id: number; t: number | null }>) {
      if (r.t !== null) auditLast.set(r.source_id, r.t);
    }
    const starts: BootRecord[] = [];
    for (const a of audit) {
      if (a.record_type !== 'SYSTEM_BOOT' && a.record_type !== 'DAEMON_START') continue;
      const next = audit.find((x) => x.record_type === a.record_type && x.source_id === a.source_id && x.ts_utc_ms > a.ts_utc_ms);
      const rec: BootRecord = {
        ms: a.ts_utc_ms, host: a.host, kind: a.record_type === 'SYSTEM_BOOT' ? 'audit-boot' : 'auditd-start', source_id: a.source_id, src_line: a.src_line,
        until_ms: next?.ts_utc_ms ?? auditLast.get(a.source_id) ?? null,
      };
      (a.record_type === 'SYSTEM_BOOT' ? records : starts).push(rec);
    }
    // A clock without RTC starts at the epoch (Raspberry Pi): such a boot instant says nothing.
    const plausible = (r: BootRecord) => r.ms >= MIN_PLAUSIBLE_MS;
    this.boots = cluster(records.filter(plausible), starts.filter(plausible));
    this.shutdowns = this.buildShutdowns(db, audit);
  }

  private buildShutdowns(
    db: Db,
    audit: Array<{ source_id: number; src_line: number; ts_utc_ms: number; host: string | null; record_type: string; fields_json: string | null }>,
  ): Shutdown[] {
    const markers: ShutdownMarker[] = [];
    for (const r of db
      .prepare(
        `SELECT source_id, src_line, ts_utc_ms, pid, user FROM utmp_records WHERE ts_utc_ms IS NOT NULL AND ut_type = 1
         AND (file_kind IS NULL OR file_kind IN ('wtmp', 'wtmpdb'))`,
      )
      .all() as Array<{ source_id: number; src_line: number; ts_utc_ms: number; pid: number | null; user: string | null }>) {
      const when = isoUtc(r.ts_utc_ms);
      if (r.user === 'shutdown') {
        markers.push({ ms: r.ts_utc_ms, host: null, source_id: r.source_id, src_line: r.src_line, what: 'wtmp shutdown record', kind: null, systemd: false, text: `wtmp: shutdown record at ${when}` });
        continue;
      }
      const ch = r.user === 'runlevel' ? runlevelChange(r.pid) : null;
      const kind = ch ? DOWN_RUNLEVELS[ch.to] : undefined;
      if (!ch || kind === undefined) continue;
      const change = `runlevel change ${ch.from ?? 'N'} → ${ch.to}`;
      markers.push({ ms: r.ts_utc_ms, host: null, source_id: r.source_id, src_line: r.src_line, what: `wtmp ${change}`, kind, systemd: false, text: `wtmp: ${change} (${kind}) at ${when}` });
    }
    for (const a of audit) {
      if (a.record_type !== 'SYSTEM_SHUTDOWN' && a.record_type !== 'SYSTEM_RUNLEVEL') continue;
      let f: Record<string, unknown> = {};
      try {
        f = a.fields_json ? (JSON.parse(a.fields_json) as Record<string, unknown>) : {};
      } catch {
        continue;
      }
      let kind: ShutdownKind = null;
      let what = 'audit SYSTEM_SHUTDOWN';
      if (a.record_type === 'SYSTEM_RUNLEVEL') {
        const to = auditStr(f['new-level']);
        if (!to || DOWN_RUNLEVELS[to] === undefined) continue;
        kind = DOWN_RUNLEVELS[to]!;
        what = `audit runlevel change ${auditStr(f['old-level']) ?? '?'} → ${to}`;
      }
      const exe = auditStr(f['exe']);
      markers.push({
        ms: a.ts_utc_ms, host: a.host, source_id: a.source_id, src_line: a.src_line, what, kind,
        systemd: /systemd/.test(`${exe ?? ''} ${auditStr(f['comm']) ?? ''}`),
        requester: { auid: auditNum(f['auid']), ses: auditNum(f['ses']), tty: auditStr(f['terminal']), exe, user: auditStr(f['AUID']) },
      });
    }
    for (const e of db
      .prepare(
        `SELECT e.source_id AS source_id, e.src_line AS src_line, e.ts_utc_ms AS ts_utc_ms, e.host AS host, e.program AS program, e.message AS message
         FROM notable_lines e
         WHERE e.kind = 'shutdown' AND e.ts_utc_ms IS NOT NULL AND e.program IN ('systemd', 'systemd-logind', 'systemd-shutdown', 'init', 'shutdown')
         AND (e.message LIKE 'System is %' OR message LIKE 'The system will %' OR message LIKE 'Reached target %'
              OR message LIKE 'Sending SIG% to remaining processes%' OR message = 'Shutting down.'
              OR message LIKE 'Switching to runlevel: %' OR message LIKE 'shutting down for system %')`,
      )
      .all() as Array<{ source_id: number; src_line: number; ts_utc_ms: number; host: string | null; program: string; message: string }>) {
      for (const p of SHUTDOWN_LINES) {
        const m = p.re.exec(e.message);
        if (!m) continue;
        const kind = p.kind ?? (m[1] ? LINE_KIND[m[1]] ?? null : /Reboot/.test(e.message) ? 'reboot' : /Power-?Off/.test(e.message) ? 'poweroff' : /Halt/.test(e.message) ? 'halt' : null);
        markers.push({ ms: e.ts_utc_ms, host: e.host, source_id: e.source_id, src_line: e.src_line, what: `${e.program}: ${e.message}`, kind, systemd: p.systemd || e.program.startsWith('systemd') });
        break;
      }
    }
    markers.sort((a, b) => a.ms - b.ms);
    const out: Shutdown[] = [];
    for (const m of markers) {
      const cur = [...out].reverse().find((s) => sameHost(s.host, m.host));
      const bootBetween = cur ? this.boots.some((b) => sameHost(b.host, m.host) && b.start_ms > cur.last_marker_ms && b.start_ms <= m.ms) : true;
      if (cur && !bootBetween && m.ms - cur.last_marker_ms <= SHUTDOWN_GAP_MS) {
        cur.markers.push(m);
        cur.last_marker_ms = m.ms;
        cur.host ??= m.host;
        cur.kind ??= m.kind;
        cur.systemd ||= m.systemd;
        continue;
      }
      out.push({ start_ms: m.ms, last_marker_ms: m.ms, next_boot: null, end_ms: m.ms, host: m.host, kind: m.kind, systemd: m.systemd, markers: [m] });
    }
    for (const s of out) {
      s.next_boot = this.boots.find((b) => sameHost(b.host, s.host) && b.start_ms > s.last_marker_ms) ?? null;
      s.end_ms = s.next_boot ? s.next_boot.start_ms : s.last_marker_ms + SHUTDOWN_TAIL_MS;
    }
    return out;
  }

  /** The boot running at `ms` on `host`, if the evidence shows it. */
  bootAt(ms: number, host: string | null): Boot | null {
    let best: Boot | null = null;
    let next: Boot | null = null;
    for (const b of this.boots) {
      if (!sameHost(b.host, host)) continue;
      if (b.start_ms <= ms) best = b;
      else {
        next = b;
        break;
      }
    }
    if (!best) return null;
    // Without a later boot in the evidence, the boot is known to last as long as its sources show it.
    // Past the last record that shows it, another boot may have come that the evidence lacks.
    if (best.until_ms === null) return next ? best : null;
    return ms <= best.until_ms + BOOT_HORIZON_MS ? best : null;
  }

  /**
   * Stable boot identity for evidence with segment key `raw` (journal boot id, or a per-file key
   * such as "b0") at `ms`: the journal boot id, else the boot's start instant in ISO 8601 UTC.
   */
  identity(raw: string | null | undefined, host: string | null, ms: number | null | undefined, sourceId?: number | null): string | null {
    if (raw) {
      const id = raw.replace(/-/g, '').toLowerCase();
      if (JOURNAL_BOOT_ID.test(id)) return id;
    }
    if (ms !== null && ms !== undefined) {
      const b = this.bootAt(ms, host);
      if (b) return b.id;
    }
    if (raw && sourceId !== null && sourceId !== undefined) {
      const at = this.segBoot.get(`${sourceId}|${raw}`);
      if (at !== undefined) return this.bootAt(at, host)?.id ?? null;
    }
    return null;
  }

  /** The orderly shutdown under way at `ms` (from its first record to the next boot). */
  shutdownAt(ms: number, host: string | null, earlyMs = 0): Shutdown | null {
    return this.shutdowns.find((s) => sameHost(s.host, host) && ms >= s.start_ms - earlyMs && ms <= s.end_ms) ?? null;
  }

  /** The first boot after `ms`, with whether an orderly shutdown preceded it. */
  nextBootAfter(ms: number, host: string | null): { boot: Boot; shutdown: Shutdown | null; prev: Boot | null } | null {
    let prev: Boot | null = null;
    for (const b of this.boots) {
      if (!sameHost(b.host, host)) continue;
      if (b.start_ms > ms) {
        const shutdown = this.shutdowns.find((s) => sameHost(s.host, host) && s.next_boot === b) ?? null;
        return { boot: b, shutdown, prev };
      }
      prev = b;
    }
    return null;
  }
}

/**
 * One boot per group of instants within `SAME_BOOT_MS`; two records of the same source are two
 * boots. auditd start records only confirm a boot (auditd also restarts on its own), unless the
 * evidence has no other boot record at all.
 */
function cluster(records: BootRecord[], auditdStarts: BootRecord[]): Boot[] {
  const all = [...records, ...(records.length === 0 ? auditdStarts : [])].sort((a, b) => a.ms - b.ms);
  const boots: Boot[] = [];
  const sourceKey = (r: BootRecord) => `${r.kind}|${r.source_id ?? ''}|${r.boot_id ?? ''}`;
  for (const r of all) {
    const b = [...boots].reverse().find((x) => sameHost(x.host, r.host) && r.ms - x.start_ms <= SAME_BOOT_MS);
    const clash = b?.records.some((x) => sourceKey(x) === sourceKey(r) || (x.kind === 'journal' && r.kind === 'journal'));
    if (b && !clash) {
      b.records.push(r);
      b.host ??= r.host;
    } else {
      boots.push({ start_ms: r.ms, host: r.host, id: '', records: [r], until_ms: null });
    }
  }
  for (const b of boots) {
    const journal = b.records.find((r) => r.boot_id);
    const kernel = b.records.filter((r) => r.kind === 'kernel').map((r) => r.ms);
    b.start_ms = kernel.length ? Math.min(...kernel) : Math.min(...b.records.map((r) => r.ms));
    b.id = journal?.boot_id ?? isoUtc(b.start_ms) ?? String(b.start_ms);
    const until = b.records.map((r) => r.until_ms).filter((t): t is number => t !== null);
    b.until_ms = until.length ? Math.max(...until) : null;
  }
  boots.sort((a, b) => a.start_ms - b.start_ms);
  return boots;
}
