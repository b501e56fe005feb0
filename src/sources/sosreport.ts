// A sosreport (sos 3.x/4.x, `sos report` on RHEL, Fedora, Ubuntu, Debian) as evidence, a
// directory or an archive: one tree `sosreport-HOST-DATE-ID/` holding the host's own files under
// their paths (var/log/…, etc/…, proc/…) and each command's output under
// `sos_commands/<plugin>/<command, spaces as _>`:
//
//   sosreport-vm-2026-12-01-abcdefg/sos_commands/date/date_--utc   Tue Dec  1 21:45:10 UTC 2026
//   sosreport-vm-2026-12-01-abcdefg/sos_commands/host/uptime        21:45:10 up 3 days,  4:12,  2 users,  load average: 0.00, 0.01, 0.05
//   sosreport-vm-2026-12-01-abcdefg/sos_commands/process/ps_auxwww  USER PID %CPU … COMMAND
//   sosreport-vm-2026-12-01-abcdefg/sos_commands/logs/journalctl_--no-pager
//   sosreport-vm-2026-12-01-abcdefg/etc/localtime -> ../usr/share/zoneinfo/America/New_York
//
// (sos's date plugin runs `date` and `date --utc`, its host plugin `uptime`, each also linked from
// the top as `date` and `uptime`; commands run with LC_ALL=C.) Of the thousands of files only the
// logs, the process listings, the journal and kernel ring outputs are read as evidence; the zone,
// the collection time and the uptime are read for time; the rest (configuration, other command
// outputs) is counted, not listed one by one, and never warned about.
import type { FoundFile } from './discover.js';
import { civilToMs, MONTHS, ZoneConverter } from '../time/civil.js';

/** Paths under a sosreport's root that are read as evidence. */
const EVIDENCE: readonly RegExp[] = [
  /^var\/log\//,
  /^sos_commands\/process\/ps/,
  /^sos_commands\/logs\/journalctl/,
  /^sos_commands\/kernel\/dmesg/,
  /^sos_commands\/auditd\/ausearch/,
  /^(?:home\/[^/]+|root)\/\.[a-z]*_?history$/,
];
/** Command outputs read as evidence that may well be no log at all (`journalctl --disk-usage`): listed without a warning when no format claims them. */
const OPTIONAL = /^sos_commands\//;
/** Files read for time, not stored as sources of their own. */
const TIME_FILES = /^(?:etc\/timezone|etc\/localtime|sos_commands\/date\/date(?:_--utc)?|sos_commands\/host\/uptime|date|uptime)$/;

export interface SosReport {
  /** The report's root: a directory, `archive!sosreport-…` inside an archive, or `archive!` when the archive is the tree itself. */
  root: string;
  /** What the paths of its files start with (the root and its separator). */
  prefix: string;
  /** Files read as evidence, and files counted but not read. */
  evidence: number;
  other: number;
  /** The time files, by their path under the root. */
  timeFiles: Map<string, FoundFile>;
}

/** The root of the sosreport a path lies in (the part before `sos_commands/` or a sibling of it), or null. */
function rootOf(path: string, roots: readonly string[]): string | null {
  for (const r of roots) if (path.startsWith(r)) return r;
  return null;
}

/**
 * Finds the sosreports among the files (a `sos_commands/` directory marks one) and keeps of them
 * only what is evidence; files outside any sosreport pass untouched.
 */
export function selectSosReports(files: readonly FoundFile[]): { files: FoundFile[]; reports: SosReport[] } {
  const roots = new Set<string>();
  for (const f of files) {
    const m = /^(.*?[/!])sos_commands\//.exec(f.path) ?? /^()sos_commands\//.exec(f.path);
    if (m) roots.add(m[1]!);
  }
  if (!roots.size) return { files: [...files], reports: [] };
  // Longest first: a sosreport inside another's tree belongs to the inner one.
  const ordered = [...roots].sort((a, b) => b.length - a.length);
  const reports = new Map(ordered.map((r) => [r, { root: r.endsWith('/') ? r.slice(0, -1) : r, prefix: r, evidence: 0, other: 0, timeFiles: new Map<string, FoundFile>() } as SosReport]));
  const kept: FoundFile[] = [];
  for (const f of files) {
    const root = rootOf(f.path, ordered);
    if (root === null) {
      kept.push(f);
      continue;
    }
    const rep = reports.get(root)!;
    const rel = f.path.slice(root.length);
    if (TIME_FILES.test(rel)) {
      rep.timeFiles.set(rel, f);
    } else if (EVIDENCE.some((re) => re.test(rel))) {
      rep.evidence++;
      kept.push(OPTIONAL.test(rel) ? { ...f, optional: true } : f);
    } else {
      rep.other++;
    }
  }
  return { files: kept, reports: [...reports.values()] };
}

/**
 * `date` output in the C locale ("Tue Dec  1 21:45:10 UTC 2026"): epoch ms, or null. A zone
 * abbreviation other than UTC is read only with the host's zone (`tz`), abbreviations being ambiguous.
 */
export function parseDate(text: string, tz: string | null = null): number | null {
  const m = /^\w{3} (\w{3}) +(\d{1,2}) (\d\d):(\d\d):(\d\d) ([A-Z]{1,5}) (\d{4})\s*$/.exec(text.trim());
  const month = m ? MONTHS[m[1]!] : undefined;
  if (!m || !month) return null;
  const wall = civilToMs(Number(m[7]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
  if (/^(?:UTC|GMT|Z|UCT)$/.test(m[6]!)) return wall;
  return tz ? new ZoneConverter(tz).toUtc(wall) : null;
}

/** `date --utc` output: epoch ms, or null when it is not in UTC. */
export function parseDateUtc(text: string): number | null {
  return parseDate(text);
}

/** `uptime` output (" 21:45:10 up 3 days,  4:12,  2 users, …"): the uptime in ms (to the minute), or null. */
export function parseUptime(text: string): number | null {
  const m = /\bup\s+(?:(\d+)\s+days?,\s*)?(?:(\d+):(\d\d)|(\d+)\s+min)/.exec(text);
  if (!m) return null;
  const days = Number(m[1] ?? 0);
  const minutes = m[4] !== undefined ? Number(m[4]) : Number(m[2]) * 60 + Number(m[3]);
  return (days * 1440 + minutes) * 60_000;
}

// SUSE supportconfig (supportutils: `scc_HOST_YYMMDD_HHMM/` or its .txz): flat text files of
// sections (src/formats/supportconfig.ts), every one read as evidence. For time, systemd.txt (or
// ntp.txt) holds `timedatectl` and basic-health-check.txt `uptime`:
//
//   #==[ Command ]======================================#
//   # /usr/bin/timedatectl --no-pager status
//                  Local time: Tue 2026-12-01 16:45:10 EST
//              Universal time: Tue 2026-12-01 21:45:10 UTC
//                   Time zone: America/New_York (EST, -0500)

export interface Supportconfig {
  /** The directory holding basic-environment.txt (or `archive!` when the archive is that directory). */
  root: string;
  prefix: string;
  /** Its files by name (flat: supportconfig writes no subdirectories for its own outputs). */
  files: Map<string, FoundFile>;
}

/** The supportconfig directories among the files (a basic-environment.txt or supportconfig.txt marks one). */
export function findSupportconfigs(files: readonly FoundFile[]): Supportconfig[] {
  const prefixes = new Set<string>();
  for (const f of files) {
    const m = /^(.*[/!])(?:basic-environment|supportconfig)\.txt$/.exec(f.path);
    if (m) prefixes.add(m[1]!);
  }
  return [...prefixes].map((prefix) => ({
    root: prefix.endsWith('/') ? prefix.slice(0, -1) : prefix,
    prefix,
    files: new Map(files.filter((f) => f.path.startsWith(prefix) && !f.path.slice(prefix.length).includes('/')).map((f) => [f.path.slice(prefix.length), f])),
  }));
}

/** timedatectl status output: the UTC instant it ran and the zone it names, each null when absent. */
export function parseTimedatectl(text: string): { utc_ms: number | null; zone: string | null } {
  const u = /^\s*Universal time: \w{3} (\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d) UTC\s*$/m.exec(text);
  const z = /^\s*Time zone: ([A-Za-z][\w+-]*(?:\/[\w+-]+)*) \(/m.exec(text);
  return {
    utc_ms: u ? civilToMs(Number(u[1]), Number(u[2]), Number(u[3]), Number(u[4]), Number(u[5]), Number(u[6])) : null,
    zone: z && ZoneConverter.isValid(z[1]!) ? z[1]! : null,
  };
}

/** The output of the first supportconfig Command section whose title names `command` (its lines up to the next banner). */
export function commandOutput(text: string, command: RegExp): string | null {
  const lines = text.split('\n');
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!/^#==\[ Command \]=+#/.test(lines[i]!) || !lines[i + 1]!.startsWith('# ') || !command.test(lines[i + 1]!.slice(2))) continue;
    const out: string[] = [];
    for (let k = i + 2; k < lines.length && !/^#==\[/.test(lines[k]!); k++) out.push(lines[k]!);
    return out.join('\n');
  }
  return null;
}
