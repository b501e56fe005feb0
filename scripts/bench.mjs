#!/usr/bin/env node
// npm run bench [-- --mb 400] : builds a rotated, compressed /var/log tree of about N MB
// (uncompressed), ingests it with procforensics, and reports wall time, throughput and peak RSS;
// runs lnav over the same tree when lnav is installed, for comparison. Targets: faster than lnav,
// peak RSS under 256 MiB whatever the size.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const mb = Number(args[args.indexOf('--mb') + 1]) || Number(process.env.BENCH_MB) || 400;
const root = path.join(os.tmpdir(), `procforensics-bench-${mb}mb`);
const logdir = path.join(root, 'var/log');

function pad(n, w = 2) {
  return String(n).padStart(w, '0');
}

const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const PROGRAMS = ['sshd', 'CRON', 'systemd', 'kernel', 'app', 'sudo', 'rsyslogd', 'dbus-daemon'];

function line(i, t0, style) {
  const t = new Date(t0 + i * 37);
  const prog = PROGRAMS[i % PROGRAMS.length];
  const pid = 1000 + ((i * 7919) % 30000);
  const msg =
    prog === 'kernel'
      ? `[${pad(Math.floor(i / 100), 5)}.${pad(i % 1000000, 6)}] app[${pid}]: segfault at 0 ip 00005593 sp 00007ffd error 6 in app[5593+1000]`
      : prog === 'sshd'
        ? `Accepted publickey for alice from 10.0.${i % 256}.${(i * 3) % 256} port ${30000 + (i % 30000)} ssh2: ED25519 SHA256:abcdef${i}`
        : prog === 'sudo'
          ? `   alice : TTY=pts/${i % 8} ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl restart app${i % 10}`
          : `request ${i} handled in ${i % 997} ms by worker ${i % 64} status=200 bytes=${(i * 13) % 65536}`;
  const tag = prog === 'kernel' ? 'kernel' : `${prog}[${pid}]`;
  if (style === 'rfc3339') {
    return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}T${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())}.${pad(t.getUTCMilliseconds(), 3)}123+00:00 bench ${tag}: ${msg}`;
  }
  return `${MON[t.getUTCMonth()]} ${String(t.getUTCDate()).padStart(2, ' ')} ${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())} bench ${tag}: ${msg}`;
}

function writeFile(file, bytes, style, t0, compress) {
  const chunks = [];
  let size = 0;
  let i = 0;
  const fd = compress ? null : fs.openSync(file, 'w');
  let buf = '';
  while (size < bytes) {
    const l = line(i++, t0, style) + '\n';
    buf += l;
    size += l.length;
    if (buf.length > 1 << 20) {
      if (fd !== null) fs.writeSync(fd, buf);
      else chunks.push(Buffer.from(buf));
      buf = '';
    }
  }
  if (fd !== null) {
    fs.writeSync(fd, buf);
    fs.closeSync(fd);
  } else {
    chunks.push(Buffer.from(buf));
    fs.writeFileSync(file, zlib.gzipSync(Buffer.concat(chunks), { level: 1 }));
  }
  return size;
}

function buildTree() {
  const marker = path.join(root, '.complete');
  if (fs.existsSync(marker)) return;
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(logdir, { recursive: true });
  const total = mb * 1024 * 1024;
  const day = 86400000;
  const now = Date.UTC(2026, 10, 21);
  // Debian-like syslog family (RFC 3339), RHEL-like messages family (traditional, dateext).
  const plan = [
    ['syslog', 0.2, 'rfc3339', 0, false],
    ['syslog.1', 0.2, 'rfc3339', 1, false],
    ['syslog.2.gz', 0.15, 'rfc3339', 2, true],
    ['syslog.3.gz', 0.15, 'rfc3339', 3, true],
    ['messages', 0.15, 'rfc3164', 0, false],
    ['messages-20261114', 0.15, 'rfc3164', 1, false],
  ];
  for (const [name, share, style, age, gz] of plan) {
    writeFile(path.join(logdir, name), Math.floor(total * share), style, now - (age + 1) * 7 * day, gz);
  }
  fs.writeFileSync(marker, '');
}

function measure(cmd, argv) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let peak = 0;
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const poll = setInterval(() => {
      try {
        const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const m = /VmHWM:\s+(\d+) kB/.exec(status);
        if (m) peak = Math.max(peak, Number(m[1]));
      } catch {
        /* exited */
      }
    }, 50);
    child.on('exit', (code) => {
      clearInterval(poll);
      resolve({ code, seconds: Number(process.hrtime.bigint() - t0) / 1e9, peak_mib: peak / 1024, stderr });
    });
  });
}

buildTree();
const bytes = fs.readdirSync(logdir).reduce((a, f) => a + fs.statSync(path.join(logdir, f)).size, 0);
console.log(`tree: ${logdir} (${(bytes / 1048576).toFixed(0)} MiB on disk, ~${mb} MiB of text)`);
const db = path.join(root, 'bench.db');
for (const f of [db, db + '-wal', db + '-shm']) fs.rmSync(f, { force: true });
const cli = path.join(here, '../dist/cli/main.js');
const pf = await measure(process.execPath, [cli, 'ingest', logdir, '--db', db]);
console.log(
  `procforensics ingest: ${pf.seconds.toFixed(1)} s, ${(mb / pf.seconds).toFixed(1)} MiB/s, peak RSS ${pf.peak_mib.toFixed(0)} MiB (exit ${pf.code})`,
);
if (pf.stderr.trim()) console.log('  ' + pf.stderr.trim().split('\n').pop());
const hasLnav = spawnSync('sh', ['-c', 'command -v lnav'], { encoding: 'utf8' }).stdout.trim();
if (hasLnav) {
  const files = fs.readdirSync(logdir).map((f) => path.join(logdir, f));
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lnav-home-'));
  process.env.HOME = home;
  const ln = await measure(hasLnav, ['-n', '-c', ';SELECT count(*) FROM all_logs', ...files]);
  console.log(`lnav -n (index + count): ${ln.seconds.toFixed(1)} s, peak RSS ${ln.peak_mib.toFixed(0)} MiB (exit ${ln.code})`);
  console.log(pf.seconds < ln.seconds ? 'procforensics is faster than lnav' : 'procforensics is SLOWER than lnav');
} else {
  console.log('lnav not installed (apt-get install lnav) — no comparison');
}
console.log(pf.peak_mib < 256 ? 'peak RSS under 256 MiB' : 'peak RSS OVER 256 MiB');
