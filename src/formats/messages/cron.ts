// cron job lines, Vixie cron (Debian `CRON`) and cronie (`CROND`), via log_it():
// `(user) EVENT (detail)` (formats.md §6.1):
//
//   CRON[16461]: (root) CMD ([16462] test -f /srv/batch/run/cron-armed && pkill -9 -x batch-worker)
//   CRON[16461]: (root) END ([16462] test -f /srv/batch/run/cron-armed && pkill -9 -x batch-worker)
//   CROND[23011]: (root) CMD (run-parts /etc/cron.hourly)
//   CROND[23011]: (root) CMDEND (run-parts /etc/cron.hourly)          cronie ≥ 1.5.6
//   CROND[23011]: (root) CMDOUT (some output line)                    cronie -s
//
// Debian's cron (3.0pl1-137+) prefixes the command with `[pid] `: the pid of the job's shell,
// while the tag carries the intermediate child. cronie logs CMD from the shell itself, so the
// tag pid is the shell. Either way `pid` here is the direct parent of the command.
import type { EventRow, ParseOutput } from '../types.js';
import { int } from './common.js';

const LINE = /^\((.+?)\) (CMD|CMDEND|END|CMDOUT) \((.*)\)(?:: (.*))?$/s;
const PID_PREFIX = /^\[(\d+)\] ([\s\S]*)$/;

const VIA: Readonly<Record<string, string>> = { CMD: 'cron', CMDEND: 'cron_end', END: 'cron_end', CMDOUT: 'cron_out' };

export function extractCron(ev: EventRow, out: ParseOutput): void {
  const msg = ev.message;
  if (msg.charCodeAt(0) !== 40 /* ( */) return;
  const m = LINE.exec(msg);
  if (!m) return;
  let command = m[3];
  let pid = ev.pid;
  const p = PID_PREFIX.exec(command);
  if (p && m[2] !== 'CMDOUT') {
    pid = int(p[1]);
    command = p[2];
  }
  out.fact('commands', {
    ts_utc_ms: ev.ts_utc_ms, ts_quality: ev.ts_quality, host: ev.host,
    via: VIA[m[2]],
    user: m[1],
    run_as: m[1],
    pid,
    ppid: p && pid !== ev.pid ? ev.pid : null,
    command,
    result: m[4] ?? null,
  });
}
