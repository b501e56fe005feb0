// Which stored lines the correlation reads by kind (table `notable_lines`). Classified once, as the
// line is written, so that no reading command ever scans the events table for them:
//
//   kernel: Out of memory: Killed process 16403 (report-builder) total-vm:1253748kB, …   → oom
//   kernel: parser-daemon[16480]: segfault at 0 ip 0000564ddc58336e sp … error 6 in …    → crash
//   kernel: cgroup: fork rejected by pids controller in /user.slice/…                   → fork
//   kernel: Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000004      → panic
//   kernel: show_signal_msg: 2 callbacks suppressed                                      → ratelimit (and oom)
//   systemd[1]: Reached target System Reboot.                                            → shutdown
//   an unstamped line with no program (a kernel line wrapped by a mail client)          → bare
//
// Each kind is a superset of what its cause module parses (src/correlate/oom.ts, crash.ts,
// forkfail.ts, hostdown.ts, boots.ts): the module still reads the line and decides. The tests are
// case-insensitive where the SQL LIKE they replace was.

export type NotableKind = 'oom' | 'crash' | 'fork' | 'panic' | 'ratelimit' | 'shutdown' | 'bare';

/** The lines of a kernel OOM report (header, CPU/Pid line, memcg lines, task table, summary, kill, reaper). */
const OOM_ANYWHERE = /invoked oom-killer|ill process|illed process|suppressed/i;
// The task table: `[  pid  ]   uid  tgid total_vm …` and `[  16403]  1000 16403 …` (not `[UFW BLOCK] …`).
const OOM_PREFIX = /^(?:\[\s*(?:\d+|pid)\s*\]|CPU: .*PID: |Pid: .*comm: |Task in |Tasks in |memory: usage|Memory cgroup stats for|Tasks state|oom-kill:|oom_reaper:)/i;
const CRASH = /\]: segfault at |\] trap |\] general protection/i;
const FORK = /fork rejected by pids controller/i;
const PANIC = /^Kernel panic - not syncing:/i;
const RATELIMIT = /callbacks suppressed|messages suppressed/i;

const SHUTDOWN_PROGRAMS: ReadonlySet<string> = new Set(['systemd', 'systemd-logind', 'systemd-shutdown', 'init', 'shutdown']);
const SHUTDOWN = /^(?:System is |The system will |Reached target |Sending SIG.* to remaining processes|Shutting down\.$|Switching to runlevel: |shutting down for system )/i;

/** The kinds of one stored line (usually none). */
export function notableKinds(program: string | null, message: string, timed: boolean, uptime: boolean): NotableKind[] | null {
  if (program === 'kernel') {
    let kinds: NotableKind[] | null = null;
    const add = (k: NotableKind) => (kinds ??= []).push(k);
    if (OOM_PREFIX.test(message) || OOM_ANYWHERE.test(message)) add('oom');
    if (CRASH.test(message)) add('crash');
    if (FORK.test(message)) add('fork');
    if (PANIC.test(message)) add('panic');
    if (RATELIMIT.test(message)) add('ratelimit');
    return kinds;
  }
  if (program === null) {
    const oom = /invoked oom-killer/i.test(message);
    if (!timed && !uptime) return oom ? ['bare', 'oom'] : ['bare'];
    return oom ? ['oom'] : null;
  }
  if (SHUTDOWN_PROGRAMS.has(program) && SHUTDOWN.test(message)) return ['shutdown'];
  return null;
}
