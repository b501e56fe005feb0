import { describe, expect, it } from 'vitest';
import { auditArchName, syscallName } from '../../src/lookups/syscalls.js';

describe('syscall lookup per audit arch', () => {
  it('maps AUDIT_ARCH_* values', () => {
    expect(auditArchName('c000003e')).toBe('x86_64');
    expect(auditArchName('40000003')).toBe('i386');
    expect(auditArchName('c00000b7')).toBe('aarch64');
    expect(auditArchName('40000028')).toBe('arm');
    expect(auditArchName('x86_64')).toBe('x86_64');
    expect(auditArchName('c0000015')).toBeNull();
  });

  it('x86_64 (syscall_64.tbl)', () => {
    const n = (nr: number) => syscallName('c000003e', nr);
    expect([n(62), n(200), n(234), n(129), n(297), n(424), n(59), n(322), n(231), n(101)]).toEqual([
      'kill', 'tkill', 'tgkill', 'rt_sigqueueinfo', 'rt_tgsigqueueinfo', 'pidfd_send_signal', 'execve', 'execveat', 'exit_group', 'ptrace',
    ]);
    expect(n(44)).toBeNull();
  });

  it('i386 (syscall_32.tbl)', () => {
    const n = (nr: number) => syscallName('40000003', nr);
    expect([n(37), n(238), n(270), n(178), n(335), n(424), n(11), n(252)]).toEqual([
      'kill', 'tkill', 'tgkill', 'rt_sigqueueinfo', 'rt_tgsigqueueinfo', 'pidfd_send_signal', 'execve', 'exit_group',
    ]);
  });

  it('aarch64 (asm-generic): 129 is kill here, rt_sigqueueinfo on x86_64', () => {
    const n = (nr: number) => syscallName('c00000b7', nr);
    expect([n(129), n(130), n(131), n(138), n(240), n(221), n(281), n(94), n(117)]).toEqual([
      'kill', 'tkill', 'tgkill', 'rt_sigqueueinfo', 'rt_tgsigqueueinfo', 'execve', 'execveat', 'exit_group', 'ptrace',
    ]);
    expect(syscallName('c000003e', 129)).toBe('rt_sigqueueinfo');
  });

  it('32-bit ARM EABI', () => {
    const n = (nr: number) => syscallName('40000028', nr);
    expect([n(37), n(238), n(268), n(363), n(11), n(387), n(248)]).toEqual(['kill', 'tkill', 'tgkill', 'rt_tgsigqueueinfo', 'execve', 'execveat', 'exit_group']);
    expect(syscallName('bogus', 62)).toBeNull();
  });
});
