// systemd-coredump (src/coredump/coredump.c, formats.md §6.9):
//
//   systemd-coredump[14140]: Process 14134 (test) of user 1000 dumped core.
//   systemd-coredump[14140]: Process 14134 (test) of user 1000 terminated abnormally with signal 11/SEGV, processing...
//   systemd-coredump[14140]: Process 14134 (test) of user 1000 terminated abnormally without generating a coredump.
//
// The journal MESSAGE goes on with "\n\nStack trace…", so only the first line is matched. The
// "dumped core" line gives kind 'coredump' (signal only where the text states it); the newer
// "terminated abnormally with signal" announcement gives 'abnormal_signal' with the signal, so a
// crash that logged both has two rows of different kinds.
import type { EventRow, ParseOutput } from '../types.js';
import { signalNumber } from '../../lookups/signals.js';
import { int } from './common.js';

const PROCESS = /^Process (\d+) \((.*?)\) of user (\d+) (dumped core|terminated abnormally with signal (\d+)\/(\w+)|terminated abnormally without generating a coredump)/;

export function extractCoredump(ev: EventRow, out: ParseOutput): void {
  const m = PROCESS.exec(ev.message);
  if (!m) return;
  const withSignal = m[5] !== undefined;
  out.fact('process_ends', {
    ts_utc_ms: ev.ts_utc_ms, ts_quality: ev.ts_quality, host: ev.host, boot_key: ev.boot_key ?? null,
    kind: withSignal ? 'abnormal_signal' : 'coredump',
    pid: int(m[1]),
    comm: m[2],
    uid: int(m[3]),
    signal: withSignal ? (int(m[5]) ?? signalNumber(m[6])) : null,
    detail: m[4].startsWith('terminated abnormally without') ? 'no core written' : m[4],
  });
}
