// Kernel lines that name a process death or lost evidence (formats.md §2.1–2.5 and §3):
//
//   parser-daemon[16480]: segfault at 0 ip 0000564ddc58336e sp 00007ffc29ee3220 error 6 in parser-daemon[136e,564ddc583000+1000] likely on CPU 1 (core 1, socket 0)
//   traps: gsd-wacom[1855] general protection fault ip:7fed39b5e7b0 sp:7fff3e349620 error:0 in libglib-2.0.so.0.6200.1[7fed39ae3000+83000]
//   traps: SlicerApp-real[15453] trap invalid opcode ip:7f8aa07fa1c8 sp:7ffce616fca8 error:0 in libitkgdcmcharls-5.0.so.1[7f8aa07e4000+84000]
//   potentially unexpected fatal signal 11.            (3.10–6.1; 2.6.32 `comm/pid: …`, 6.6+ `exe: comm: …`)
//   cgroup: fork rejected by pids controller in /user.slice/user-1000.slice/session-3.scope
//   Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000004
//   audit: backlog limit exceeded      audit: audit_lost=12 audit_rate_limit=0 audit_backlog_limit=64
//   show_signal_msg: 2 callbacks suppressed
//
// The message arrives without the printk `[uptime]` prefix (the text parsers strip it). Segfault
// and trap lines are printed only for unhandled signals and are rate-limited, so "callbacks
// suppressed" means some of them are missing: it is recorded as audit_loss kind 'kernel_ratelimit'.
// The 2.6.32 traps lines have no `traps: ` prefix; the GPF wording changed from `general
// protection` (≤ 4.19) to `general protection fault` (5.x+).
import type { EventRow, ParseOutput } from '../types.js';
import { int } from './common.js';

const SEGFAULT = /^(.+?)\[(\d+)\]: segfault at (\S+) ip (\S+) sp (\S+) error (\S+)(?: in (.+?)\[[^\]]*\])?/;
const TRAP = /^(?:traps: )?(.+?)\[(\d+)\] (?:trap (.+?)|(general protection fault|general protection)) ip:(\S+) sp:(\S+) error:(\S+)(?: in (.+?)\[[^\]]*\])?/;
const FATAL = /^(?:(.*?): )?potentially unexpected fatal signal (\d+)\.?/;
const FORK_REJECTED = /^cgroup: fork rejected by pids controller in (.*?)\s*$/;
const PANIC = /^Kernel panic - not syncing: ?(.*)$/;
const SUPPRESSED = /^(\S+): (\d+) callbacks suppressed/;
const PRINTK_SUPPRESSED = /^(?:printk: )?(\d+) messages suppressed/;

/** do_trap() names and the signal each one sends (arch/x86/kernel/traps.c DO_ERROR table). */
const TRAP_SIGNAL: Readonly<Record<string, number>> = {
  'divide error': 8, // SIGFPE
  overflow: 11, // SIGSEGV
  bounds: 11,
  'invalid opcode': 4, // SIGILL
  'coprocessor segment overrun': 8,
  'invalid TSS': 11,
  'segment not present': 7, // SIGBUS
  'stack segment': 7,
  'alignment check': 7,
  int3: 5, // SIGTRAP
};

/** x86 page-fault error code bits (arch/x86/include/asm/trap_pf.h). */
const PF_BITS: ReadonlyArray<readonly [number, string]> = [
  [1 << 0, 'protection violation'],
  [1 << 1, 'write'],
  [1 << 2, 'user mode'],
  [1 << 3, 'reserved bit'],
  [1 << 4, 'instruction fetch'],
  [1 << 5, 'protection key'],
  [1 << 6, 'shadow stack'],
  [1 << 15, 'SGX'],
];

function describePfError(hex: string): string {
  const v = parseInt(hex, 16);
  if (!Number.isFinite(v)) return `error ${hex}`;
  const bits = PF_BITS.filter(([b]) => v & b).map(([, n]) => n);
  if (!(v & 1)) bits.unshift('page not present');
  if (!(v & 2)) bits.push('read');
  return `error ${hex} (${bits.join(', ')})`;
}

function unitOfCgroup(cgroup: string): string | null {
  const last = cgroup.slice(cgroup.lastIndexOf('/') + 1);
  return /\.(service|scope|slice)$/.test(last) ? last : null;
}

export function extractKernel(ev: EventRow, out: ParseOutput): void {
  let msg = ev.message;
  if (msg.charCodeAt(0) === 91 /* [ */) msg = msg.replace(/^(?:\[[^\]]*\]\s*)+/, '');
  let m: RegExpExecArray | null;
  if (msg.includes('segfault at ')) {
    if ((m = SEGFAULT.exec(msg))) {
      out.fact('process_ends', {
        ts_utc_ms: ev.ts_utc_ms, ts_quality: ev.ts_quality, host: ev.host, boot_key: ev.boot_key ?? null,
        kind: 'segfault',
        pid: int(m[2]),
        comm: m[1],
        exe: m[7] ?? null,
        signal: 11,
        detail: `at ${m[3]} ip ${m[4]} sp ${m[5]} ${describePfError(m[6])}`,
      });
    }
    return;
  }
  if (msg.includes(' ip:') && (m = TRAP.exec(msg))) {
    const gpf = m[4] !== undefined;
    out.fact('process_ends', {
      ts_utc_ms: ev.ts_utc_ms, ts_quality: ev.ts_quality, host: ev.host, boot_key: ev.boot_key ?? null,
      kind: gpf ? 'gpf' : 'trap',
      pid: int(m[2]),
      comm: m[1],
      exe: m[8] ?? null,
      signal: gpf ? 11 : (TRAP_SIGNAL[m[3]] ?? null),
      detail: `${gpf ? m[4] : 'trap ' + m[3]} ip:${m[5]} sp:${m[6]} error:${m[7]}`,
    });
    return;
  }
  if (msg.includes('potentially unexpected fatal signal') && (m = FATAL.exec(msg))) {
    let comm: string | null = null;
    let pid: number | null = null;
    let exe: string | null = null;
    const who = m[1];
    if (who) {
      const slash = /^(.+)\/(\d+)$/.exec(who);
      const colon = who.indexOf(': ');
      if (slash) {
        comm = slash[1];
        pid = int(slash[2]);
      } else if (who.startsWith('/') && colon > 0) {
        exe = who.slice(0, colon);
        comm = who.slice(colon + 2);
      } else comm = who;
    }
    out.fact('process_ends', { ts_utc_ms: ev.ts_utc_ms, ts_quality: ev.ts_quality, host: ev.host, boot_key: ev.boot_key ?? null, kind: 'fatal_signal', pid, comm, exe, signal: int(m[2]), detail: msg });
    return;
  }
  if (msg.startsWith('cgroup: fork rejected') && (m = FORK_REJECTED.exec(msg))) {
    out.fact('process_ends', {
      ts_utc_ms: ev.ts_utc_ms, ts_quality: ev.ts_quality, host: ev.host, boot_key: ev.boot_key ?? null,
      kind: 'fork_rejected',
      unit: unitOfCgroup(m[1]),
      cgroup: m[1],
      detail: 'pids.max reached (logged once per cgroup: later rejections are silent)',
    });
    return;
  }
  if (msg.startsWith('Kernel panic') && (m = PANIC.exec(msg))) {
    const init = /kill init/.test(m[1]);
    out.fact('process_ends', { ts_utc_ms: ev.ts_utc_ms, ts_quality: ev.ts_quality, host: ev.host, boot_key: ev.boot_key ?? null, kind: 'panic', pid: init ? 1 : null, detail: m[1] });
    return;
  }
  if (msg.startsWith('audit')) {
    if (msg.includes('backlog limit exceeded')) out.fact('audit_loss', { ts_utc_ms: ev.ts_utc_ms, host: ev.host, kind: 'audit_backlog', detail: msg });
    else if (msg.includes('audit_lost=')) out.fact('audit_loss', { ts_utc_ms: ev.ts_utc_ms, host: ev.host, kind: 'audit_lost', detail: msg });
    else if (msg.includes('rate limit exceeded')) out.fact('audit_loss', { ts_utc_ms: ev.ts_utc_ms, host: ev.host, kind: 'audit_rate_limit', detail: msg });
    else if (msg.includes('hold queue overflow') || msg.includes('kauditd')) {
      if (/overflow|lost|dropped/.test(msg)) out.fact('audit_loss', { ts_utc_ms: ev.ts_utc_ms, host: ev.host, kind: 'audit_queue_overflow', detail: msg });
    }
    return;
  }
  if (msg.includes('suppressed')) {
    if ((m = SUPPRESSED.exec(msg))) out.fact('audit_loss', { ts_utc_ms: ev.ts_utc_ms, host: ev.host, kind: 'kernel_ratelimit', detail: msg });
    else if ((m = PRINTK_SUPPRESSED.exec(msg))) out.fact('audit_loss', { ts_utc_ms: ev.ts_utc_ms, host: ev.host, kind: 'kernel_ratelimit', detail: msg });
  }
}

const FORK_FAILED = /\bfork: (?:retry: )?(Resource temporarily unavailable|Cannot allocate memory|No child processes)/;

/** Userland `fork: retry: Resource temporarily unavailable` (bash and others), any program. */
export function extractForkFailed(ev: EventRow, out: ParseOutput): void {
  const m = FORK_FAILED.exec(ev.message);
  if (!m) return;
  out.fact('process_ends', {
    ts_utc_ms: ev.ts_utc_ms, ts_quality: ev.ts_quality, host: ev.host, boot_key: ev.boot_key ?? null,
    kind: 'fork_failed',
    pid: ev.pid,
    comm: ev.program,
    detail: ev.message.length > 300 ? ev.message.slice(0, 300) : ev.message,
  });
}
