// User-space OOM killers, which leave no kernel OOM report (formats.md §6.8, §6.10).
//
// systemd-oomd (v247+, src/oom/oomd-manager.c):
//   systemd-oomd[581]: Killed /user.slice/user-1000.slice/user@1000.service/app.slice/ptyxis-spawn-0b869d19.scope due to memory pressure for /user.slice/user-1000.slice/user@1000.service being 86.80% > 50.00% for > 20s with reclaim activity
//   systemd-oomd[581]: Killed /system.slice/foo.service due to swap used (…) / total (…) being more than 90.00%
// It kills the whole cgroup with SIGKILL, so the row names the cgroup and its unit, not a pid.
//
// earlyoom (rfjakob/earlyoom), kill line by version:
//   v1.2        Killing process 'java' with signal 9, pid: 14134, badness: 812, VmRSS: 7650 MiB
//   v1.3        sending SIGTERM to process 14134 "java": badness 812, VmRSS 7650 MiB
//   v1.4–v1.7   sending SIGTERM to process 14134 uid 1000 "java": badness 812, VmRSS 7650 MiB
//   v1.8        sending SIGTERM to process 14134 uid 1000 "java": oom_score 812, VmRSS 7650 MiB, cmdline "java -jar app.jar"
//   v1.9+       … oom_score 812, oom_score_adj 0, VmRSS 7650 MiB, cmdline "…"
import type { EventRow, ParseOutput } from '../types.js';
import { signalNumber } from '../../lookups/signals.js';
import { int } from './common.js';

const OOMD_KILL = /^Killed (\S+) due to (.*)$/s;
const EARLYOOM_SEND = /^sending (SIG\w+) to process (\d+)(?: uid (\d+))? "(.*?)": (?:badness|oom_score) (-?\d+)(?:, oom_score_adj (-?\d+))?, VmRSS (\d+) MiB(?:, cmdline "(.*)")?/;
const EARLYOOM_V12 = /^Killing process '(.*?)' with signal (\d+), pid: (\d+), badness: (-?\d+), VmRSS: (\d+) MiB/;

function unitOfCgroup(cgroup: string): string | null {
  const last = cgroup.slice(cgroup.lastIndexOf('/') + 1);
  return /\.(service|scope|slice)$/.test(last) ? last : null;
}

export function extractOomd(ev: EventRow, out: ParseOutput): void {
  const m = OOMD_KILL.exec(ev.message);
  if (!m) return;
  out.fact('process_ends', {
    ts_utc_ms: ev.ts_utc_ms, ts_quality: ev.ts_quality, host: ev.host, boot_key: ev.boot_key ?? null,
    kind: 'oomd_kill',
    unit: unitOfCgroup(m[1]),
    cgroup: m[1],
    signal: 9,
    detail: `due to ${m[2]}`,
  });
}

export function extractEarlyoom(ev: EventRow, out: ParseOutput): void {
  const msg = ev.message;
  let m: RegExpExecArray | null;
  if ((m = EARLYOOM_SEND.exec(msg))) {
    out.fact('process_ends', {
      ts_utc_ms: ev.ts_utc_ms, ts_quality: ev.ts_quality, host: ev.host, boot_key: ev.boot_key ?? null,
      kind: 'earlyoom_kill',
      pid: int(m[2]),
      comm: m[4],
      uid: int(m[3]),
      signal: signalNumber(m[1]),
      detail: `score ${m[5]}${m[6] ? `, oom_score_adj ${m[6]}` : ''}, VmRSS ${m[7]} MiB${m[8] !== undefined ? `, cmdline ${m[8]}` : ''}`,
    });
  } else if ((m = EARLYOOM_V12.exec(msg))) {
    out.fact('process_ends', {
      ts_utc_ms: ev.ts_utc_ms, ts_quality: ev.ts_quality, host: ev.host, boot_key: ev.boot_key ?? null,
      kind: 'earlyoom_kill',
      pid: int(m[3]),
      comm: m[1],
      signal: int(m[2]),
      detail: `badness ${m[4]}, VmRSS ${m[5]} MiB`,
    });
  }
}
