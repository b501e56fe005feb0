// Runs one command and measures it: wall time, peak RSS (VmHWM of the child, read from
// /proc/<pid>/status every 20 ms), exit code, the tail of stderr; stdout goes to a file or nowhere.
import fs from 'node:fs';
import { spawn } from 'node:child_process';

/** Children being measured, so an interrupted bench can end them. */
export const running = new Set();

export function measure(cmd, argv, { env, stdoutFile, timeoutS = 0, cwd } = {}) {
  return new Promise((resolve) => {
    const out = stdoutFile ? fs.openSync(stdoutFile, 'w') : 'ignore';
    const t0 = process.hrtime.bigint();
    let child;
    try {
      child = spawn(cmd, argv, { stdio: ['ignore', out, 'pipe'], env: env ?? process.env, cwd });
    } finally {
      if (typeof out === 'number') fs.closeSync(out);
    }
    running.add(child);
    let peakKb = 0;
    let stderr = '';
    let seconds = null;
    let timedOut = false;
    child.stderr.on('data', (d) => {
      stderr += d;
      if (stderr.length > 1 << 16) stderr = stderr.slice(-(1 << 15));
    });
    const sample = () => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
      } catch {
        /* exited */
      }
    };
    sample();
    const poll = setInterval(sample, 20);
    const timer = timeoutS > 0 ? setTimeout(() => ((timedOut = true), child.kill('SIGKILL')), timeoutS * 1000) : null;
    const done = (code, signal, error) => {
      running.delete(child);
      clearInterval(poll);
      if (timer) clearTimeout(timer);
      seconds ??= Number(process.hrtime.bigint() - t0) / 1e9;
      const lines = stderr.trim().split('\n').filter(Boolean);
      resolve({ seconds, peak_mib: peakKb / 1024, exit: code, signal: signal ?? null, timed_out: timedOut, error: error ?? null, stderr_last: lines.at(-1) ?? '', stderr });
    };
    child.on('exit', () => {
      seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    });
    child.on('error', (e) => done(null, null, e.message));
    child.on('close', (code, signal) => done(code, signal));
  });
}
