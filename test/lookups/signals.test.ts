import { describe, expect, it } from 'vitest';
import { SIGNALS, SIGRTMAX, SIGRTMIN, signalName, signalNumber } from '../../src/lookups/signals.js';

describe('signals lookup', () => {
  it('names the classic Linux signals 1–31', () => {
    expect(signalName(1)).toBe('SIGHUP');
    expect(signalName(9)).toBe('SIGKILL');
    expect(signalName(11)).toBe('SIGSEGV');
    expect(signalName(15)).toBe('SIGTERM');
    expect(signalName(17)).toBe('SIGCHLD');
    expect(signalName(19)).toBe('SIGSTOP');
    expect(signalName(31)).toBe('SIGSYS');
    for (let n = 1; n <= 31; n++) expect(SIGNALS[n], String(n)).toMatch(/^SIG[A-Z0-9]+$/);
  });

  it('names real-time signals as kill -l does', () => {
    expect(SIGRTMIN).toBe(34);
    expect(SIGRTMAX).toBe(64);
    expect(signalName(34)).toBe('SIGRTMIN');
    expect(signalName(35)).toBe('SIGRTMIN+1');
    expect(signalName(49)).toBe('SIGRTMIN+15');
    expect(signalName(50)).toBe('SIGRTMAX-14');
    expect(signalName(64)).toBe('SIGRTMAX');
    expect(signalName(0)).toBeNull();
    expect(signalName(65)).toBeNull();
    expect(signalName(2.5)).toBeNull();
  });

  it('reads names in every spelling', () => {
    expect(signalNumber('SIGKILL')).toBe(9);
    expect(signalNumber('KILL')).toBe(9);
    expect(signalNumber('term')).toBe(15);
    expect(signalNumber('9')).toBe(9);
    expect(signalNumber('SIGIOT')).toBe(6);
    expect(signalNumber('SIGPOLL')).toBe(29);
    expect(signalNumber('RTMIN+3')).toBe(37);
    expect(signalNumber('SIGRTMAX-1')).toBe(63);
    expect(signalNumber('SIGFOO')).toBeNull();
    expect(signalNumber('0')).toBeNull();
    for (const [n, name] of Object.entries(SIGNALS)) expect(signalNumber(name)).toBe(Number(n));
  });
});
