// Syscall numbers that matter for process-death work, per audit architecture.
//
// Audit SYSCALL records carry `arch=<AUDIT_ARCH_* hex> syscall=<decimal>`; the number only means
// something together with the arch (129 is kill on aarch64 but rt_sigqueueinfo on x86_64).
// AUDIT_ARCH_* = ELF machine | 0x80000000 (64-bit) | 0x40000000 (little-endian), from
// include/uapi/linux/audit.h. Numbers from the kernel tables (6.6): arch/x86/entry/syscalls/
// syscall_64.tbl and syscall_32.tbl, include/uapi/asm-generic/unistd.h (aarch64), arch/arm/tools/
// syscall.tbl (32-bit ARM EABI). See ../shared/formats.md §3.5.

export type AuditArchName = 'x86_64' | 'i386' | 'aarch64' | 'arm' | 'armeb';

/** `arch=` hex as audit prints it (lower case, no 0x) → arch name. */
export const AUDIT_ARCHES: Readonly<Record<string, AuditArchName>> = {
  c000003e: 'x86_64', // EM_X86_64 62 | 64BIT | LE
  '40000003': 'i386', // EM_386 3 | LE (also 32-bit programs on an x86_64 kernel)
  c00000b7: 'aarch64', // EM_AARCH64 183 | 64BIT | LE
  '40000028': 'arm', // EM_ARM 40 | LE
  '28': 'armeb', // EM_ARM 40, big-endian: same syscall table as arm
};

/** The syscalls we name: signal senders, exec, exit, ptrace. */
export type KnownSyscall =
  | 'kill'
  | 'tkill'
  | 'tgkill'
  | 'rt_sigqueueinfo'
  | 'rt_tgsigqueueinfo'
  | 'pidfd_send_signal'
  | 'execve'
  | 'execveat'
  | 'exit'
  | 'exit_group'
  | 'ptrace';

type SyscallTable = Readonly<Record<number, KnownSyscall>>;

const X86_64: SyscallTable = {
  59: 'execve',
  60: 'exit',
  62: 'kill',
  101: 'ptrace',
  129: 'rt_sigqueueinfo',
  200: 'tkill',
  231: 'exit_group',
  234: 'tgkill',
  297: 'rt_tgsigqueueinfo',
  322: 'execveat',
  424: 'pidfd_send_signal',
};

const I386: SyscallTable = {
  1: 'exit',
  11: 'execve',
  26: 'ptrace',
  37: 'kill',
  178: 'rt_sigqueueinfo',
  238: 'tkill',
  252: 'exit_group',
  270: 'tgkill',
  335: 'rt_tgsigqueueinfo',
  358: 'execveat',
  424: 'pidfd_send_signal',
};

const AARCH64: SyscallTable = {
  93: 'exit',
  94: 'exit_group',
  117: 'ptrace',
  129: 'kill',
  130: 'tkill',
  131: 'tgkill',
  138: 'rt_sigqueueinfo',
  221: 'execve',
  240: 'rt_tgsigqueueinfo',
  281: 'execveat',
  424: 'pidfd_send_signal',
};

const ARM: SyscallTable = {
  1: 'exit',
  11: 'execve',
  26: 'ptrace',
  37: 'kill',
  178: 'rt_sigqueueinfo',
  238: 'tkill',
  248: 'exit_group',
  268: 'tgkill',
  363: 'rt_tgsigqueueinfo',
  387: 'execveat',
  424: 'pidfd_send_signal',
};

export const SYSCALLS: Readonly<Record<AuditArchName, SyscallTable>> = {
  x86_64: X86_64,
  i386: I386,
  aarch64: AARCH64,
  arm: ARM,
  armeb: ARM,
};

/** Syscalls that send a signal to another task (the audit "signal class" plus their siblings). */
export const SIGNAL_SYSCALLS: ReadonlySet<KnownSyscall> = new Set<KnownSyscall>([
  'kill',
  'tkill',
  'tgkill',
  'rt_sigqueueinfo',
  'rt_tgsigqueueinfo',
  'pidfd_send_signal',
]);

/** 'c000003e' → 'x86_64'; also accepts names ('x86_64', as ENRICHED ARCH= writes them). */
export function auditArchName(arch: string): AuditArchName | null {
  const a = arch.trim().toLowerCase().replace(/^0x/, '');
  if (a in AUDIT_ARCHES) return AUDIT_ARCHES[a];
  if (a === 'x86_64' || a === 'i386' || a === 'aarch64' || a === 'arm' || a === 'armeb') return a;
  if (a === 'i686' || a === 'i586' || a === 'i486') return 'i386';
  return null;
}

/** (arch, number) → name for the syscalls listed here; null when unknown or the arch is unknown. */
export function syscallName(arch: string, nr: number): KnownSyscall | null {
  const a = auditArchName(arch);
  if (!a) return null;
  return SYSCALLS[a][nr] ?? null;
}
