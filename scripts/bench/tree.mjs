// Writes the bench tree: <root>/var/log with the syslog family (syslog + syslog.1.gz … syslog.7.gz,
// one day each), auth.log, kern.log, audit/audit.log, account/pacct and wtmp, plus <root>/buried.json
// (the incidents hidden in it) and <root>/tree.json (sizes and line counts). Everything follows from
// the seed and the options; the tree is reused while <root>/.complete names the same options.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeRng, weighted } from './rng.mjs';
import { CHUNK, TextOut } from './out.mjs';
import { buildPlan } from './plan.mjs';
import {
  AFORK, ASU, AUTH, AXSIG, Clock, DAEMONS, DAY_MS, DAYS, HOST, KERN, PACCT_BYTES, Pids, SPAN_END_MS, SPAN_START_MS, SYS,
  USERS, auditLine, execRecords, iso, ptsTty, uptimeStamp, utmpRecord, writePacct,
} from './host.mjs';

/** Bumped whenever the generated content changes, so cached trees are rebuilt. */
export const GENERATOR_VERSION = 8;
const MiB = 1024 * 1024;

export function treeRoot(o) {
  return path.join(os.tmpdir(), `procforensics-bench-${o.mb}mb-${o.pacct}p-${o.seed}`);
}

/** The tree for these options, generated unless a complete one is already there. */
export async function ensureTree(o, log = () => {}) {
  const root = treeRoot(o);
  const marker = path.join(root, '.complete');
  const want = JSON.stringify({ generator: GENERATOR_VERSION, mb: o.mb, pacct: o.pacct, audit: o.audit, seed: o.seed });
  if (fs.existsSync(marker)) {
    if (fs.readFileSync(marker, 'utf8') === want) {
      const tree = JSON.parse(fs.readFileSync(path.join(root, 'tree.json'), 'utf8'));
      return { ...tree, root, cached: true };
    }
    log(`cached tree at ${root} was made with other options or an older generator: rebuilding`);
  }
  const t0 = process.hrtime.bigint();
  fs.rmSync(root, { recursive: true, force: true });
  const logdir = path.join(root, 'var/log');
  fs.mkdirSync(path.join(logdir, 'audit'), { recursive: true });
  fs.mkdirSync(path.join(logdir, 'account'), { recursive: true });
  log(`generating ${root} (~${o.mb} MiB of syslog text, ${o.audit} audit records, ${o.pacct} pacct records, seed ${o.seed}) …`);
  const plan = buildPlan(o);
  const files = [];
  files.push(...(await writeText(logdir, plan, o)));
  files.push(await writeAudit(logdir, plan, o));
  files.push(await writePacctFile(logdir, plan, o));
  files.push(await writeWtmp(logdir, plan));
  for (const f of files) f.disk_bytes = fs.statSync(path.join(logdir, f.path)).size;
  const generatedS = Number(process.hrtime.bigint() - t0) / 1e9;
  const tree = { logdir, options: { mb: o.mb, pacct: o.pacct, audit: o.audit, seed: o.seed }, generated_s: generatedS, files };
  fs.writeFileSync(path.join(root, 'tree.json'), JSON.stringify(tree, null, 2) + '\n');
  fs.writeFileSync(
    path.join(root, 'buried.json'),
    JSON.stringify(
      plan.buried.map(({ kind, pid, comm, cause, accept, time, signal, actor, unit, mode, pacct_end_ms }) => ({ pid, comm, cause, accept, kind, time, signal, actor, unit, mode, pacct_end: iso(pacct_end_ms) })),
      null,
      2,
    ) + '\n',
  );
  fs.writeFileSync(marker, want);
  return { ...tree, root, cached: false };
}

// ---------------------------------------------------------------------------------------------
// syslog family + auth.log + kern.log, in one pass in time order.

const METHODS = ['GET', 'GET', 'GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE'];
const PATHS = ['/api/v1/orders', '/api/v1/items', '/api/v1/users/me', '/api/v2/search', '/health', '/api/v1/cart', '/api/v1/invoices', '/api/v1/items/'];
const STATUS = [200, 200, 200, 200, 200, 200, 200, 200, 201, 204, 304, 400, 401, 404, 500];
const SUDO_CMDS = [
  '/usr/bin/systemctl status nginx',
  '/usr/bin/journalctl -u app --since today',
  '/usr/bin/apt update',
  '/usr/bin/tail -n 200 /var/log/nginx/error.log',
  '/usr/sbin/ufw status verbose',
  '/usr/bin/docker ps',
  '/usr/bin/cat /etc/app/app.env',
  '/usr/bin/du -sh /var/www/app/storage',
];
const SCAN_USERS = ['admin', 'test', 'oracle', 'ubuntu', 'user', 'git', 'postgres', 'deploy', 'ftpuser', 'guest'];
const DPORTS = [23, 445, 3389, 8080, 5900, 1433, 3306, 6379, 8443, 2375, 5060, 9200];

async function writeText(logdir, plan, o) {
  const r = makeRng(o.seed, 'syslog-noise');
  const pids = new Pids(makeRng(o.seed, 'syslog-pids'), plan.reserved);
  const clock = new Clock();
  const kern = new TextOut(path.join(logdir, 'kern.log'));
  const auth = new TextOut(path.join(logdir, 'auth.log'));
  const sched = plan.text;
  let si = 0;
  const perDay = Math.max(1, Math.floor((o.mb * MiB) / DAYS));
  const workers = DAEMONS.appWorkers;
  const sep = ` ${HOST} `;
  let prev = 0;
  let out = null;
  const put = (us, to, text) => {
    if (us <= prev) us = prev + 1;
    prev = us;
    const line = clock.at(us) + sep + text;
    if (to & SYS) out.line(line);
    if (to & KERN) kern.line(line);
    if (to & AUTH) auth.line(line);
  };
  // Second lines of a noise event (the sshd close, the sudo session end) wait here for their time.
  const pending = [];
  const later = (us, to, text) => {
    let i = pending.length;
    while (i > 0 && pending[i - 1].us > us) i--;
    pending.splice(i, 0, { us, to, text });
  };
  /** Emits the scheduled and pending lines up to `us`, in time order. */
  const drainUntil = (us) => {
    for (;;) {
      const s = si < sched.length && sched[si].us <= us ? sched[si] : null;
      const p = pending.length && pending[0].us <= us ? pending[0] : null;
      if (!s && !p) return;
      if (s && (!p || s.us <= p.us)) {
        si++;
        put(s.us, s.to, s.text);
      } else {
        pending.shift();
        put(p.us, p.to, p.text);
      }
      if (out.buf.length >= CHUNK || kern.buf.length >= CHUNK || auth.buf.length >= CHUNK) return 'flush';
    }
  };
  const publicIp = () => `${r.pick([45, 61, 92, 103, 112, 141, 159, 185, 193, 218])}.${r.int(1, 255)}.${r.int(0, 255)}.${r.int(1, 255)}`;
  const noise = (us) => {
    const x = r.f();
    if (x < 0.78) {
      const path = PATHS[(x * 1e4) & 7];
      put(us, SYS, `app[${workers[(x * 1e6) & 7]}]: request ${r.hex(8)} ${METHODS[(x * 1e5) & 7]} ${path}${path.endsWith('/') ? r.int(1, 99999) : ''} handled in ${r.int(1, 400)} ms status=${STATUS[r.int(0, STATUS.length)]} bytes=${r.int(120, 65536)}`);
    } else if (x < 0.83) {
      const w = workers[r.int(0, 8)];
      const y = r.f();
      if (y < 0.5) put(us, SYS, `app[${w}]: cache refresh completed in ${r.int(2, 900)} ms (keys=${r.int(100, 50000)})`);
      else if (y < 0.8) put(us, SYS, `app[${w}]: slow query (${r.int(500, 4000)} ms): SELECT * FROM orders WHERE customer_id = ? AND status IN (?, ?) ORDER BY created_at DESC LIMIT 50`);
      else if (y < 0.95) put(us, SYS, `app[${w}]: WARNING upstream payments responded 502, retry ${r.int(1, 4)}/3`);
      else put(us, SYS, `app[${DAEMONS.appMaster}]: heartbeat ok: 8 workers, ${r.int(0, 8)} busy, queue ${r.int(0, 200)}`);
    } else if (x < 0.855) {
      const sp = pids.next();
      const ip = publicIp();
      const port = r.int(1024, 65535);
      const y = r.f();
      if (y < 0.45) {
        const u = SCAN_USERS[r.int(0, SCAN_USERS.length)];
        put(us, SYS | AUTH, `sshd[${sp}]: Invalid user ${u} from ${ip} port ${port}`);
        later(us + r.int(100, 900000), SYS | AUTH, `sshd[${sp}]: Connection closed by invalid user ${u} ${ip} port ${port} [preauth]`);
      } else if (y < 0.7) {
        put(us, SYS | AUTH, `sshd[${sp}]: Received disconnect from ${ip} port ${port}:11: Bye Bye [preauth]`);
        later(us + r.int(50, 500), SYS | AUTH, `sshd[${sp}]: Disconnected from authenticating user root ${ip} port ${port} [preauth]`);
      } else if (y < 0.9) {
        put(us, SYS | AUTH, `sshd[${sp}]: Connection closed by authenticating user root ${ip} port ${port} [preauth]`);
      } else {
        put(us, SYS | AUTH, `sshd[${sp}]: error: kex_exchange_identification: Connection closed by remote host`);
        later(us + r.int(10, 200), SYS | AUTH, `sshd[${sp}]: Connection closed by ${ip} port ${port}`);
      }
    } else if (x < 0.875) {
      const body = `[UFW BLOCK] IN=ens3 OUT= MAC=52:54:00:8a:3b:1c:fe:54:00:12:34:56:08:00 SRC=${publicIp()} DST=10.20.0.5 LEN=${r.pick([40, 44, 52, 60])} TOS=0x00 PREC=0x00 TTL=${r.int(30, 250)} ID=${r.int(1, 65535)} PROTO=TCP SPT=${r.int(1024, 65535)} DPT=${DPORTS[r.int(0, DPORTS.length)]} WINDOW=${r.pick([1024, 29200, 65535])} RES=0x00 SYN URGP=0`;
      put(us, SYS | KERN, r.f() < 0.7 ? `kernel: ${uptimeStamp(us)} ${body}` : `kernel: ${body}`);
    } else if (x < 0.88) {
      // sudo, about 1 line in 200 (three lines per command)
      const u = USERS[r.int(0, USERS.length)];
      put(us, SYS | AUTH, `sudo: ${u.name.padStart(8)} : TTY=pts/${r.int(0, 6)} ; PWD=/home/${u.name} ; USER=root ; COMMAND=${SUDO_CMDS[r.int(0, SUDO_CMDS.length)]}`);
      later(us + 420, SYS | AUTH, `sudo: pam_unix(sudo:session): session opened for user root(uid=0) by ${u.name}(uid=${u.uid})`);
      later(us + r.int(2000, 900000), SYS | AUTH, `sudo: pam_unix(sudo:session): session closed for user root`);
    } else if (x < 0.885) {
      const y = r.f();
      if (y < 0.4) put(us, SYS | KERN, `kernel: ${uptimeStamp(us)} perf: interrupt took too long (${r.int(2501, 4000)} > 2500), lowering kernel.perf_event_max_sample_rate to ${r.int(40000, 79000)}`);
      else if (y < 0.7) put(us, SYS | KERN, `kernel: ${uptimeStamp(us)} TCP: request_sock_TCP: Possible SYN flooding on port 443. Sending cookies.  Check SNMP counters.`);
      else put(us, SYS | KERN, `kernel: nf_conntrack: nf_conntrack: table full, dropping packet`);
    } else if (x < 0.92) {
      const y = r.f();
      if (y < 0.3) put(us, SYS, `systemd-resolved[${DAEMONS.resolved}]: Using degraded feature set UDP instead of UDP+EDNS0 for DNS server 10.20.0.1.`);
      else if (y < 0.5) put(us, SYS, `dbus-daemon[${DAEMONS.dbus}]: [system] Successfully activated service 'org.freedesktop.hostname1'`);
      else if (y < 0.6) put(us, SYS, `systemd-timesyncd[${DAEMONS.timesyncd}]: Initial synchronization to time server 10.20.0.1:123 (ntp.internal).`);
      else put(us, SYS, `nginx[${DAEMONS.nginxWorkers[r.int(0, 2)]}]: ${iso(us / 1000).slice(0, 19).replace(/-/g, '/').replace('T', ' ')} [warn] ${r.int(690, 693)}#${r.int(690, 693)}: *${r.int(1, 9e6)} an upstream response is buffered to a temporary file /var/cache/nginx/proxy_temp/${r.int(1, 9)}/0${r.int(1, 9)}/00000${r.int(10000, 99999)} while reading upstream`);
    } else {
      put(us, SYS, `app[${workers[r.int(0, 8)]}]: job ${r.hex(12)} done: queue=${r.pick(['default', 'mail', 'thumbs', 'reports'])} runtime=${(r.f() * 3).toFixed(3)}s attempts=1`);
    }
  };
  const flushAll = async () => {
    if (out.buf.length >= CHUNK) await out.flush();
    if (kern.buf.length >= CHUNK) await kern.flush();
    if (auth.buf.length >= CHUNK) await auth.flush();
  };
  const files = [];
  for (let d = 0; d < DAYS; d++) {
    const name = d === DAYS - 1 ? 'syslog' : `syslog.${DAYS - 1 - d}.gz`;
    out = new TextOut(path.join(logdir, name), { gzip: d < DAYS - 1 });
    const d0 = (SPAN_START_MS + d * DAY_MS) * 1000;
    const d1 = d0 + DAY_MS * 1000;
    const scale = (DAY_MS * 1000) / perDay;
    for (;;) {
      const us = d0 + Math.floor((out.bytes + r.f() * 60) * scale);
      if (us >= d1) break;
      while (drainUntil(us)) await flushAll();
      noise(us);
      if (out.buf.length >= CHUNK || kern.buf.length >= CHUNK || auth.buf.length >= CHUNK) await flushAll();
    }
    while (drainUntil(d1 - 1)) await flushAll();
    await out.close();
    files.push({ path: name, format: 'syslog', compression: d < DAYS - 1 ? 'gzip' : 'none', content_bytes: out.bytes, units: out.lines, text: true });
  }
  await kern.close();
  await auth.close();
  files.push({ path: 'auth.log', format: 'syslog', compression: 'none', content_bytes: auth.bytes, units: auth.lines, text: true });
  files.push({ path: 'kern.log', format: 'syslog', compression: 'none', content_bytes: kern.bytes, units: kern.lines, text: true });
  return files;
}

// ---------------------------------------------------------------------------------------------
// audit/audit.log

const EXEC_NOISE = [
  [30, 33, 'php', '/usr/bin/php8.2', (r) => ['php', '/var/www/app/artisan', 'queue:work', '--once', `--queue=${r.pick(['default', 'mail', 'thumbs'])}`], '/var/www/app'],
  [14, 33, 'convert', '/usr/bin/convert-im6.q16', (r) => { const h = r.hex(10); return ['convert', `/tmp/upload-${h}.png`, '-resize', '800x600', `/var/www/app/storage/thumbs/${h}.jpg`]; }, '/var/www/app'],
  [10, 0, 'sh', '/usr/bin/dash', () => ['/bin/sh', '-c', '/usr/lib/sysstat/debian-sa1 1 1'], '/'],
  [8, 0, 'curl', '/usr/bin/curl', () => ['curl', '-fsS', '-m', '5', 'http://127.0.0.1:8080/health'], '/'],
  [6, 0, 'git', '/usr/bin/git', () => ['git', '-C', '/srv/deploy/app', 'fetch', '--quiet', 'origin'], '/srv/deploy'],
  [6, 0, 'find', '/usr/bin/find', () => ['find', '/var/www/app/storage/tmp', '-type', 'f', '-mmin', '+60', '-delete'], '/'],
  [6, 0, 'python3', '/usr/bin/python3.11', () => ['python3', '/opt/agent/collect.py', '--interval', '60'], '/opt/agent'],
  [5, 0, 'systemctl', '/usr/bin/systemctl', () => ['systemctl', 'is-active', '--quiet', 'nginx'], '/'],
  [4, 0, 'logger', '/usr/bin/logger', () => ['logger', '-t', 'backup', 'snapshot ok'], '/'],
  [4, 0, 'ls', '/usr/bin/ls', () => ['ls', '-1', '/var/backups'], '/root'],
  [3, 0, 'date', '/usr/bin/date', () => ['date', '+%s'], '/'],
  [3, 0, 'gzip', '/usr/bin/gzip', (r) => ['gzip', '-9', `/var/backups/db-${r.int(1000, 9999)}.sql`], '/var/backups'],
  [1, 1000, 'vim', '/usr/bin/vim.basic', () => ['vim', 'config.yaml'], '/home/alice/app'],
];
const pickExec = weighted(EXEC_NOISE.map((e) => [e, e[0]]));

async function writeAudit(logdir, plan, o) {
  const r = makeRng(o.seed, 'audit-noise');
  const pids = new Pids(makeRng(o.seed, 'audit-pids'), plan.reserved);
  const hex = (n) => r.hex(n);
  const file = 'audit/audit.log';
  const out = new TextOut(path.join(logdir, file));
  // Optional scheduled events (cron, timers) are thinned so they take at most 40% of the budget.
  const mandatory = plan.audit.filter((e) => !e.optional).reduce((a, e) => a + e.recs.length, 0);
  const optional = plan.audit.filter((e) => e.optional).reduce((a, e) => a + e.recs.length, 0);
  const keep = optional ? Math.min(1, Math.max(0, 0.4 * o.audit - mandatory) / optional) : 1;
  const rk = makeRng(o.seed, 'audit-keep');
  const sched = plan.audit.filter((e) => !e.optional || rk.f() < keep);
  let si = 0;
  let serial = 482_113;
  let prevMs = 0;
  const span = SPAN_END_MS - SPAN_START_MS;
  const scale = span / Math.max(1, o.audit);
  const emit = (ms, recs) => {
    if (ms < prevMs) ms = prevMs;
    prevMs = ms;
    serial++;
    for (const [type, body, enrich] of recs) out.line(auditLine(type, ms, serial, body, enrich));
  };
  for (;;) {
    const ms = SPAN_START_MS + Math.floor((out.lines + r.f() * 6) * scale);
    if (ms >= SPAN_END_MS - 1000 || out.lines >= o.audit) break;
    while (si < sched.length && sched[si].ms <= ms) emit(sched[si].ms, sched[si++].recs);
    const [, uid, comm, exe, argv, cwd] = pickExec(r);
    const p = { pid: pids.next(), ppid: uid === 33 ? DAEMONS.appWorkers[r.int(0, 8)] : pids.next(), uid, auid: uid === 1000 ? 1000 : 4294967295, ses: uid === 1000 ? plan.lastSes - 1 : 4294967295, tty: uid === 1000 ? 'pts0' : '(none)', comm, exe, argv: argv(r), cwd };
    emit(ms, execRecords(p, hex));
    if (out.buf.length >= CHUNK) await out.flush();
  }
  while (si < sched.length) {
    emit(sched[si].ms, sched[si++].recs);
    if (out.buf.length >= CHUNK) await out.flush();
  }
  await out.close();
  return { path: file, format: 'audit', compression: 'none', content_bytes: out.bytes, units: out.lines, text: true };
}

// ---------------------------------------------------------------------------------------------
// account/pacct

const PACCT_COMMS = weighted([
  [['sh', 0], 14], [['php', 33], 12], [['bash', 0], 3], [['ls', 0], 4], [['cat', 0], 5], [['grep', 0], 6], [['sed', 0], 4],
  [['awk', 0], 3], [['date', 0], 4], [['sleep', 0], 3], [['curl', 0], 5], [['git', 0], 2], [['find', 0], 2], [['python3', 0], 3],
  [['convert', 33], 4], [['systemctl', 0], 3], [['sadc', 0], 2], [['gzip', 0], 1], [['tar', 0], 1], [['ps', 0], 2], [['id', 0], 2],
  [['uname', 0], 2], [['run-parts', 0], 1], [['basename', 0], 2], [['dirname', 0], 1], [['mktemp', 0], 1], [['rm', 0], 2],
  [['mv', 0], 1], [['wc', 0], 2], [['head', 0], 2], [['tail', 0], 2], [['sort', 0], 1], [['xargs', 0], 1], [['flock', 0], 1],
  [['logger', 0], 1], [['ssh', 1000], 1], [['vim', 1000], 0.2], [['less', 1001], 0.3],
]);

async function writePacctFile(logdir, plan, o) {
  const r = makeRng(o.seed, 'pacct-noise');
  const pids = new Pids(makeRng(o.seed, 'pacct-pids'), plan.reserved);
  const file = 'account/pacct';
  const stream = fs.createWriteStream(path.join(logdir, file));
  const perChunk = CHUNK / PACCT_BYTES;
  let chunk = Buffer.alloc(CHUNK);
  let n = 0;
  let total = 0;
  const push = async (p) => {
    writePacct(chunk, n * PACCT_BYTES, p);
    n++;
    total++;
    if (n === perChunk) {
      const full = chunk;
      chunk = Buffer.alloc(CHUNK);
      n = 0;
      if (!stream.write(full)) await new Promise((res) => stream.once('drain', res));
    }
  };
  const mandatory = plan.pacct.filter((e) => !e.optional).length;
  const optional = plan.pacct.length - mandatory;
  const keep = optional ? Math.min(1, Math.max(0, 0.5 * o.pacct - mandatory) / optional) : 1;
  const rk = makeRng(o.seed, 'pacct-keep');
  const sched = plan.pacct.filter((e) => !e.optional || rk.f() < keep);
  let si = 0;
  let prev = 0;
  const span = SPAN_END_MS - SPAN_START_MS;
  const scale = span / Math.max(1, o.pacct);
  const emit = async (p) => {
    if (p.endMs < prev) p.endMs = prev;
    prev = p.endMs;
    await push(p);
  };
  for (;;) {
    const end = SPAN_START_MS + Math.floor((total + r.f()) * scale);
    if (end >= SPAN_END_MS - 1000 || total >= o.pacct) break;
    while (si < sched.length && sched[si].endMs <= end) await emit(sched[si++]);
    const [comm, uid0] = PACCT_COMMS(r);
    const uid = uid0 === 0 && r.f() < 0.1 ? r.pick([33, 1000, 1001]) : uid0;
    const y = r.f();
    const elapsed = y < 0.85 ? r.exp(300) : y < 0.98 ? r.exp(20_000) : r.int(60_000, 6 * 3_600_000);
    const z = r.f();
    let exit = 0;
    let flags = uid === 0 ? ASU : 0;
    if (z < 0.004) {
      exit = 13; // SIGPIPE: `… | head`
      flags |= AXSIG;
    } else if (z < 0.0045) {
      exit = 15; // SIGTERM: timeout(1), service stop
      flags |= AXSIG;
    } else if (z < 0.08) exit = 1 << 8;
    else if (z < 0.1) exit = 2 << 8;
    if (r.f() < 0.2) flags |= AFORK;
    const pid = pids.next();
    await emit({
      endMs: end, elapsedMs: Math.round(elapsed), flags, exit, uid, pid, ppid: r.f() < 0.3 ? 1 : pids.next(), comm,
      tty: uid >= 1000 ? ptsTty(r.int(0, 6)) : 0, memKb: r.int(1800, 120000), utime: r.int(0, 40), stime: r.int(0, 10), minflt: r.int(80, 4000),
    });
  }
  while (si < sched.length) await emit(sched[si++]);
  const tail = chunk.subarray(0, n * PACCT_BYTES);
  await new Promise((res) => stream.end(tail, res));
  return { path: file, format: 'pacct', compression: 'none', content_bytes: total * PACCT_BYTES, units: total, text: false };
}

// ---------------------------------------------------------------------------------------------
// wtmp

async function writeWtmp(logdir, plan) {
  const file = 'wtmp';
  const bufs = plan.wtmp.map(utmpRecord);
  fs.writeFileSync(path.join(logdir, file), Buffer.concat(bufs));
  return { path: file, format: 'wtmp', compression: 'none', content_bytes: bufs.length * 384, units: bufs.length, text: false };
}
