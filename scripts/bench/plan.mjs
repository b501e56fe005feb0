// Everything in the bench tree that happens at a chosen instant, decided up front from the seed:
// cron jobs, systemd timers, daily log rotation, ssh sessions, and the 25 buried incidents. Each
// contributes syslog/kern.log/auth.log lines, audit events, pacct records and wtmp records, so the
// sources tell one coherent story (a login is in auth.log, audit and wtmp; a kill has its sudo
// line, its audit kill record and the victim's pacct record). The random filler around these is
// generated while the files are written (tree.mjs).
import { makeRng } from './rng.mjs';
import {
  AFORK, ASU, ACORE, AXSIG, AUTH, BOOT_MS, DAEMONS, DAY_MS, DAYS, KERN, KERNEL_RELEASE, PID_MAX, PID_MIN, Pids,
  SPAN_END_MS, SPAN_START_MS, SYS, UNSET, USERS, UT, execRecords, hexUpper, iso, killRecords, loginRecord, pacctEndMs,
  ptsTty, serviceRecord, uptimeStamp, userRecord,
} from './host.mjs';

const MIN = 60_000;
const HOUR = 3_600_000;

export const INCIDENT_MIX = [
  ['audited-kill', 10],
  ['oom', 8],
  ['segfault', 4],
  ['systemd-kill', 3],
];

const KILL_VICTIMS = ['worker', 'ingest-daemon', 'batch-runner', 'report-gen', 'etl-loader', 'transcoder', 'queue-worker', 'indexer', 'scraper', 'backup-agent'];
const OOM_VICTIMS = [
  ['search-indexer', 'Search index builder', true],
  ['ml-trainer', 'Model training worker', true],
  ['report-render', 'Report renderer', true],
  ['cache-warmer', 'Cache warmer', false],
  ['image-resizer', 'Image resize service', true],
  ['analytics-etl', 'Analytics ETL', false],
  ['pdf-builder', 'PDF builder', true],
  ['log-shipper', 'Log shipper', false],
];
const SEGV_VICTIMS = [
  ['parser-daemon', 'Feed parser', true],
  ['thumbnailer', 'Thumbnail generator', false],
  ['geoip-lookup', 'GeoIP lookup service', true],
  ['csv-import', 'CSV importer', false],
];
const SYSTEMD_VICTIMS = [
  ['queue-consumer', 'Queue consumer', 'timeout'],
  ['metrics-agent', 'Metrics agent', 'timeout'],
  ['mail-relay', 'Mail relay', 'killed'],
];

// Cron: every 5 minutes the app's scheduler (www-data), hourly run-parts (root), daily 06:25 (root).
const CRON_JOBS = [
  { every: 5, at: 0, user: 'www-data', uid: 33, cmd: 'php /var/www/app/artisan schedule:run >> /dev/null 2>&1', prog: ['php', '/usr/bin/php8.2', ['php', '/var/www/app/artisan', 'schedule:run']], ms: [250, 900] },
  { every: 60, at: 17, user: 'root', uid: 0, cmd: 'cd / && run-parts --report /etc/cron.hourly', prog: ['run-parts', '/usr/bin/run-parts', ['run-parts', '--report', '/etc/cron.hourly']], ms: [8, 30] },
  { every: 1440, at: 385, user: 'root', uid: 0, cmd: 'test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }', prog: ['run-parts', '/usr/bin/run-parts', ['run-parts', '--report', '/etc/cron.daily']], ms: [2000, 9000] },
];

export function buildPlan(opts) {
  const seed = opts.seed;
  const r = makeRng(seed, 'plan');
  const rp = makeRng(seed, 'plan-pids');
  const hex = (n) => r.hex(n);

  // Buried pids first: unique in the whole tree, every other pid is drawn around them.
  const reserved = new Set();
  const rb = makeRng(seed, 'buried-pids');
  while (reserved.size < 25) reserved.add(PID_MIN + Math.floor(rb.f() * (PID_MAX - PID_MIN)));
  const buriedPids = [...reserved];
  const pids = new Pids(rp, reserved);

  const text = [];
  const audit = [];
  const pacct = [];
  const wtmp = [];
  const buried = [];
  // Lines of one event are at least 0.2 ms apart; 0–150 µs of jitter keeps their order.
  const L = (ms, to, line) => text.push({ us: Math.round(ms * 1000) + r.int(0, 150), to, text: line });
  const A = (ms, recs, optional = false) => audit.push({ ms: Math.round(ms), recs, optional });
  const P = (rec, optional = false) => pacct.push({ ...rec, endMs: Math.round(rec.endMs), optional });

  // ---- ses numbers: every login (cron, ssh) takes the next audit session id, in time order.
  const logins = [];
  const cronRuns = [];
  for (let m = 0; m < DAYS * 1440; m++) {
    for (const job of CRON_JOBS) {
      if ((m - job.at) % job.every !== 0 || m < job.at) continue;
      const t = SPAN_START_MS + m * MIN + 1000 + r.int(0, 400);
      const run = { t, job };
      cronRuns.push(run);
      logins.push(run);
    }
  }
  const sessions = [];
  const nSessions = opts.sessions ?? 150;
  for (let i = 0; i < nSessions; i++) {
    const t = SPAN_START_MS + (i + r.f()) * ((SPAN_END_MS - SPAN_START_MS - 2 * HOUR) / nSessions) + 30 * MIN;
    const s = { t, user: r.pick(USERS), ip: `10.20.${r.int(0, 4)}.${r.int(2, 250)}`, dur: Math.max(20_000, r.exp(40 * MIN)) };
    sessions.push(s);
    logins.push(s);
  }

  // ---- incidents: 25 slots over the span, kinds shuffled; each kind's victims in order.
  const kinds = [];
  for (const [k, n] of INCIDENT_MIX) for (let i = 0; i < n; i++) kinds.push(k);
  r.shuffle(kinds);
  const slot = (SPAN_END_MS - SPAN_START_MS - 4 * HOUR) / kinds.length;
  const incidents = kinds.map((kind, i) => {
    let t = SPAN_START_MS + 2 * HOUR + (i + 0.1 + 0.8 * r.f()) * slot;
    const intoDay = (t - SPAN_START_MS) % DAY_MS;
    if (intoDay < 30 * MIN) t += 40 * MIN;
    if (intoDay > DAY_MS - 30 * MIN) t -= 40 * MIN;
    return { kind, t: Math.round(t), pid: buriedPids[i] };
  });
  for (const inc of incidents) {
    if (inc.kind === 'audited-kill') {
      inc.login = { t: inc.t - r.int(3 * MIN, 25 * MIN), user: USERS[r.int(0, 3)], ip: `10.20.${r.int(0, 4)}.${r.int(2, 250)}` };
      inc.login.dur = inc.t - inc.login.t + r.int(2 * MIN, 15 * MIN);
      logins.push(inc.login);
    }
  }
  logins.sort((a, b) => a.t - b.t);
  // Three days of cron sessions since boot come before the first one here.
  let ses = 940;
  for (const l of logins) l.ses = ses++;

  const ttys = { next: 0 };
  const nextTty = () => (ttys.next = (ttys.next + 1) % 6);

  // ---- daily: logrotate at midnight, rsyslog re-opens its files (first line of each rotation).
  for (let d = 0; d < DAYS; d++) {
    const t = SPAN_START_MS + d * DAY_MS;
    L(t + 40, SYS, `systemd[1]: Starting logrotate.service - Rotate log files...`);
    L(t + 320, SYS, `rsyslogd: [origin software="rsyslogd" swVersion="8.2302.0" x-pid="${DAEMONS.rsyslogd}" x-info="https://www.rsyslog.com"] rsyslogd was HUPed`);
    L(t + 410, SYS, `systemd[1]: logrotate.service: Deactivated successfully.`);
    L(t + 411, SYS, `systemd[1]: Finished logrotate.service - Rotate log files.`);
    A(t + 410, [serviceRecord('SERVICE_START', 'logrotate', 'success')], true);
    A(t + 411, [serviceRecord('SERVICE_STOP', 'logrotate', 'success')], true);
    // apt-daily at a random morning minute
    const ta = t + 6 * HOUR + r.int(0, 60 * MIN);
    L(ta, SYS, `systemd[1]: Starting apt-daily.service - Daily apt download activities...`);
    L(ta + 4100, SYS, `systemd[1]: apt-daily.service: Deactivated successfully.`);
    L(ta + 4101, SYS, `systemd[1]: Finished apt-daily.service - Daily apt download activities.`);
    L(ta + 4102, SYS, `systemd[1]: apt-daily.service: Consumed 3.412s CPU time.`);
  }

  // ---- sysstat every 10 minutes (systemd timer).
  for (let m = 0; m < DAYS * 1440; m += 10) {
    const t = SPAN_START_MS + m * MIN + r.int(0, 900);
    L(t, SYS, `systemd[1]: Starting sysstat-collect.service - system activity accounting tool...`);
    L(t + 38, SYS, `systemd[1]: sysstat-collect.service: Deactivated successfully.`);
    L(t + 39, SYS, `systemd[1]: Finished sysstat-collect.service - system activity accounting tool.`);
    A(t + 38, [serviceRecord('SERVICE_START', 'sysstat-collect', 'success')], true);
    A(t + 39, [serviceRecord('SERVICE_STOP', 'sysstat-collect', 'success')], true);
    const sa1 = pids.next();
    const sadc = pids.next();
    P({ endMs: t + 30, elapsedMs: 22, flags: 0, exit: 0, uid: 0, pid: sadc, ppid: sa1, comm: 'sadc', memKb: 4700, utime: 1, stime: 1 }, true);
    P({ endMs: t + 34, elapsedMs: 30, flags: 0, exit: 0, uid: 0, pid: sa1, ppid: 1, comm: 'sa1', memKb: 2480 }, true);
  }

  // ---- cron jobs.
  for (const run of cronRuns) {
    const { t, job } = run;
    const cp = pids.next();
    const sh = pids.next();
    const cmdPid = pids.next();
    const dur = r.int(job.ms[0], job.ms[1]);
    const user = job.user;
    L(t, SYS | AUTH, `CRON[${cp}]: pam_unix(cron:session): session opened for user ${user}(uid=${job.uid}) by (uid=0)`);
    L(t + 1, SYS, `CRON[${cp}]: (${user}) CMD (${job.cmd})`);
    L(t + dur + 3, SYS | AUTH, `CRON[${cp}]: pam_unix(cron:session): session closed for user ${user}`);
    const pam = (type, op, grantors) => userRecord(type, { pid: cp, uid: 0, auid: type === 'USER_ACCT' || type === 'CRED_ACQ' ? UNSET : job.uid, ses: type === 'USER_ACCT' || type === 'CRED_ACQ' ? UNSET : run.ses }, `op=PAM:${op} grantors=${grantors} acct="${user}" exe="/usr/sbin/cron" hostname=? addr=? terminal=cron res=success`);
    A(t - 1, [pam('USER_ACCT', 'accounting', 'pam_permit')], true);
    A(t - 1, [pam('CRED_ACQ', 'setcred', 'pam_permit,pam_cap')], true);
    A(t - 1, [loginRecord({ pid: cp, auid: job.uid, ses: run.ses })], true);
    A(t, [pam('USER_START', 'session_open', 'pam_loginuid,pam_env,pam_env,pam_permit,pam_unix,pam_limits')], true);
    A(t + 1, [userRecord('CRED_REFR', { pid: sh, uid: 0, auid: job.uid, ses: run.ses }, `op=PAM:setcred grantors=pam_permit,pam_cap acct="${user}" exe="/usr/sbin/cron" hostname=? addr=? terminal=cron res=success`)], true);
    const who = { uid: job.uid, auid: job.uid, ses: run.ses };
    A(t + 2, execRecords({ ...who, pid: sh, ppid: cp, comm: 'sh', exe: '/usr/bin/dash', path: '/bin/sh', argv: ['/bin/sh', '-c', job.cmd], cwd: job.uid ? '/var/www' : '/root' }, hex), true);
    A(t + 3, execRecords({ ...who, pid: cmdPid, ppid: sh, comm: job.prog[0], exe: job.prog[1], argv: job.prog[2], cwd: '/' }, hex), true);
    A(t + dur + 3, [pam('CRED_DISP', 'setcred', 'pam_permit')], true);
    A(t + dur + 3, [pam('USER_END', 'session_close', 'pam_loginuid,pam_env,pam_env,pam_permit,pam_unix,pam_limits')], true);
    P({ endMs: t + dur, elapsedMs: dur - 3, flags: 0, exit: 0, uid: job.uid, pid: cmdPid, ppid: sh, comm: job.prog[0], memKb: job.uid ? 98000 : 2400, utime: dur / 20, stime: dur / 80 }, true);
    P({ endMs: t + dur + 1, elapsedMs: dur, flags: 0, exit: 0, uid: job.uid, pid: sh, ppid: cp, comm: 'sh', memKb: 2480 }, true);
    P({ endMs: t + dur + 4, elapsedMs: dur + 5, flags: AFORK | ASU, exit: 0, uid: 0, pid: cp, ppid: DAEMONS.cron, comm: 'cron', memKb: 6800 }, true);
  }

  // ---- wtmp: boot record, getty login process, then the ssh sessions.
  wtmp.push({ ms: BOOT_MS + 2100, type: UT.BOOT_TIME, pid: 0, line: '~', id: '~~', user: 'reboot', host: KERNEL_RELEASE });
  wtmp.push({ ms: BOOT_MS + 5400, type: UT.LOGIN_PROCESS, pid: DAEMONS.getty, line: 'tty1', id: 'tty1', user: 'LOGIN' });

  /** One ssh login (auth.log, syslog, audit, wtmp, pacct); returns the session's processes. */
  function sshSession(s, during) {
    const { user, ip } = s;
    const t0 = Math.round(s.t);
    const t1 = Math.round(s.t + s.dur);
    const sp = pids.next(); // privileged monitor
    const sc = pids.next(); // user child
    const bash = pids.next();
    const port = r.int(32768, 61000);
    const k = nextTty();
    const tty = `pts/${k}`;
    const key = `SHA256:${Buffer.from(hex(64), 'hex').toString('base64').slice(0, 43)}`;
    const sshPam = (type, p, op, grantors, terminal = 'ssh') =>
      userRecord(type, p, `op=PAM:${op} grantors=${grantors} acct="${user.name}" exe="/usr/sbin/sshd" hostname=${ip} addr=${ip} terminal=${terminal} res=success`);
    const pre = { pid: sp, uid: 0, auid: UNSET, ses: UNSET };
    const post = { pid: sp, uid: 0, auid: user.uid, ses: s.ses };
    const stack = 'pam_selinux,pam_loginuid,pam_keyinit,pam_permit,pam_unix,pam_mail,pam_limits,pam_env,pam_env,pam_selinux';
    A(t0 - 4, [sshPam('USER_ACCT', pre, 'accounting', 'pam_permit')]);
    L(t0, SYS | AUTH, `sshd[${sp}]: Accepted publickey for ${user.name} from ${ip} port ${port} ssh2: ED25519 ${key}`);
    A(t0 + 1, [sshPam('CRED_ACQ', pre, 'setcred', 'pam_permit,pam_cap')]);
    A(t0 + 1, [loginRecord({ pid: sp, auid: user.uid, ses: s.ses })]);
    L(t0 + 3, SYS | AUTH, `sshd[${sp}]: pam_unix(sshd:session): session opened for user ${user.name}(uid=${user.uid}) by (uid=0)`);
    L(t0 + 5, SYS | AUTH, `systemd-logind[${DAEMONS.logind}]: New session ${s.ses} of user ${user.name}.`);
    L(t0 + 8, SYS, `systemd[1]: Started session-${s.ses}.scope - Session ${s.ses} of User ${user.name}.`);
    A(t0 + 12, [sshPam('USER_START', post, 'session_open', stack)]);
    A(t0 + 12, [sshPam('CRED_ACQ', { ...post, pid: sc }, 'setcred', 'pam_permit,pam_cap')]);
    const ul = userRecord('USER_LOGIN', post, `op=login id=${user.uid} exe="/usr/sbin/sshd" hostname=${ip} addr=${ip} terminal=/dev/${tty} res=success`);
    ul[2] += ` ID="${user.name}"`;
    A(t0 + 50, [ul]);
    A(t0 + 52, execRecords({ pid: bash, ppid: sc, uid: user.uid, auid: user.uid, ses: s.ses, tty: tty.replace('/', ''), comm: 'bash', exe: '/usr/bin/bash', path: '/bin/bash', argv: ['-bash'], cwd: `/home/${user.name}` }, hex));
    wtmp.push({ ms: t0 + 51, type: UT.USER_PROCESS, pid: sc, line: tty, id: `ts/${k}`, user: user.name, host: ip, addr: ip });
    const ctx = { sp, sc, bash, tty, ttyIndex: k, user, ip, ses: s.ses };
    if (during) during(ctx);
    L(t1, SYS | AUTH, `sshd[${sc}]: Received disconnect from ${ip} port ${port}:11: disconnected by user`);
    L(t1 + 1, SYS | AUTH, `sshd[${sc}]: Disconnected from user ${user.name} ${ip} port ${port}`);
    L(t1 + 3, SYS | AUTH, `sshd[${sp}]: pam_unix(sshd:session): session closed for user ${user.name}`);
    L(t1 + 4, SYS | AUTH, `systemd-logind[${DAEMONS.logind}]: Session ${s.ses} logged out. Waiting for processes to exit.`);
    L(t1 + 9, SYS, `systemd[1]: session-${s.ses}.scope: Deactivated successfully.`);
    L(t1 + 10, SYS | AUTH, `systemd-logind[${DAEMONS.logind}]: Removed session ${s.ses}.`);
    A(t1 + 3, [sshPam('USER_END', post, 'session_close', stack)]);
    A(t1 + 3, [sshPam('CRED_DISP', post, 'setcred', 'pam_permit')]);
    wtmp.push({ ms: t1 + 2, type: UT.DEAD_PROCESS, pid: sc, line: tty, id: `ts/${k}`, user: '', host: '' });
    P({ endMs: t1 - 1, elapsedMs: s.dur - 60, flags: 0, exit: 0, uid: user.uid, pid: bash, ppid: sc, comm: 'bash', tty: ptsTty(k), memKb: 8600, utime: 12, stime: 4 });
    P({ endMs: t1 + 1, elapsedMs: s.dur, flags: AFORK, exit: 0, uid: user.uid, pid: sc, ppid: sp, comm: 'sshd', memKb: 17000 });
    P({ endMs: t1 + 4, elapsedMs: s.dur + 8, flags: ASU, exit: 0, uid: 0, pid: sp, ppid: DAEMONS.sshd, comm: 'sshd', memKb: 17000 });
    return ctx;
  }

  for (const s of sessions) sshSession(s);

  /** A process that starts at `t0` and writes a few lines of its own until `t1`. */
  function lifeLines(comm, pid, t0, t1, first, periodic) {
    L(t0, SYS, `${comm}[${pid}]: ${first}`);
    const n = Math.min(10, Math.max(1, Math.floor((t1 - t0) / (25 * MIN))));
    for (let i = 1; i <= n; i++) L(t0 + ((t1 - t0) * i) / (n + 1), SYS, `${comm}[${pid}]: ${periodic(i)}`);
  }

  const counters = { kill: 0, oom: 0, segv: 0, sysd: 0 };
  const kernelLines = (t, lines) => {
    // One printk burst: each line a few µs after the previous one, all with uptime stamps.
    let us = Math.round(t * 1000);
    for (const l of lines) {
      us += r.int(3, 40);
      text.push({ us, to: SYS | KERN, text: `kernel: ${uptimeStamp(us)} ${l}` });
    }
    return us / 1000;
  };

  for (const inc of incidents) {
    const T = inc.t;
    const pid = inc.pid;
    if (inc.kind === 'audited-kill') {
      const comm = KILL_VICTIMS[counters.kill++];
      const vuid = r.pick([0, 998]);
      const start = Math.max(SPAN_START_MS + MIN, T - r.int(1 * HOUR, 6 * HOUR));
      lifeLines(comm, pid, start, T - 30_000, `starting ${comm} 2.4.1 (workers=4, batch=500)`, (i) => `processed ${r.int(400, 5000)} items in ${(r.f() * 90 + 5).toFixed(1)} s, backlog ${r.int(1000, 90000) * i}`);
      let buriedUser = null;
      sshSession(inc.login, (s) => {
        buriedUser = s.user.name;
        const ts = T - 1000 - r.int(0, 200);
        const sudoPid = pids.next();
        const sudoMon = pids.next();
        const killPid = pids.next();
        const u = s.user;
        const cmd = `kill -9 ${pid}`;
        A(ts - 9, execRecords({ pid: sudoPid, ppid: s.bash, uid: u.uid, euid: 0, gid: u.uid, auid: u.uid, ses: s.ses, tty: s.tty.replace('/', ''), comm: 'sudo', exe: '/usr/bin/sudo', argv: ['sudo', 'kill', '-9', String(pid)], cwd: `/home/${u.name}` }, hex));
        L(ts, SYS | AUTH, `sudo: ${u.name.padStart(8)} : TTY=${s.tty} ; PWD=/home/${u.name} ; USER=root ; COMMAND=/usr/bin/kill -9 ${pid}`);
        const sp = { pid: sudoPid, uid: u.uid, auid: u.uid, ses: s.ses };
        A(ts + 4, [userRecord('USER_ACCT', sp, `op=PAM:accounting grantors=pam_permit acct="${u.name}" exe="/usr/bin/sudo" hostname=? addr=? terminal=/dev/${s.tty} res=success`)]);
        A(ts + 4, [userRecord('USER_CMD', sp, `cwd="/home/${u.name}" cmd=${hexUpper(cmd)} exe="/usr/bin/sudo" terminal=${s.tty} res=success`)]);
        A(ts + 4, [userRecord('CRED_REFR', sp, `op=PAM:setcred grantors=pam_permit,pam_cap acct="root" exe="/usr/bin/sudo" hostname=? addr=? terminal=/dev/${s.tty} res=success`)]);
        L(ts + 5, SYS | AUTH, `sudo: pam_unix(sudo:session): session opened for user root(uid=0) by ${u.name}(uid=${u.uid})`);
        A(ts + 5, [userRecord('USER_START', sp, `op=PAM:session_open grantors=pam_limits,pam_permit,pam_unix acct="root" exe="/usr/bin/sudo" hostname=? addr=? terminal=/dev/${s.tty} res=success`)]);
        const killer = { pid: killPid, ppid: sudoMon, uid: 0, auid: u.uid, ses: s.ses, tty: `pts${s.ttyIndex + 1}`, comm: 'kill', exe: '/usr/bin/kill', argv: ['kill', '-9', String(pid)], cwd: `/home/${u.name}` };
        A(T - 3, execRecords(killer, hex));
        A(T, killRecords({ ...killer, signal: 9 }, { pid, uid: vuid, comm }, hex));
        A(T + 4, [userRecord('USER_END', sp, `op=PAM:session_close grantors=pam_limits,pam_permit,pam_unix acct="root" exe="/usr/bin/sudo" hostname=? addr=? terminal=/dev/${s.tty} res=success`)]);
        A(T + 4, [userRecord('CRED_DISP', sp, `op=PAM:setcred grantors=pam_permit acct="root" exe="/usr/bin/sudo" hostname=? addr=? terminal=/dev/${s.tty} res=success`)]);
        L(T + 5, SYS | AUTH, `sudo: pam_unix(sudo:session): session closed for user root`);
        P({ endMs: T + 1, elapsedMs: T + 1 - start, flags: AXSIG, exit: 9, uid: vuid, pid, ppid: 1, comm, memKb: 412000, utime: 90000, stime: 4000, minflt: 90000 });
        P({ endMs: T + 2, elapsedMs: 6, flags: 0, exit: 0, uid: 0, pid: killPid, ppid: sudoMon, comm: 'kill', tty: ptsTty(s.ttyIndex + 1), memKb: 2500 });
        P({ endMs: T + 4, elapsedMs: 1010, flags: AFORK, exit: 0, uid: 0, pid: sudoMon, ppid: sudoPid, comm: 'sudo', tty: ptsTty(s.ttyIndex + 1), memKb: 9800 });
        P({ endMs: T + 6, elapsedMs: 1015, flags: ASU, exit: 0, uid: u.uid, pid: sudoPid, ppid: s.bash, comm: 'sudo', tty: ptsTty(s.ttyIndex), memKb: 9800 });
      });
      buried.push({ kind: inc.kind, pid, comm, cause: 'signal', accept: ['signal'], time_ms: T, actor: buriedUser, signal: 9, pacct_end_ms: pacctEndMs(T + 1, T + 1 - start) });
    } else if (inc.kind === 'oom') {
      const [comm, desc, isService] = OOM_VICTIMS[counters.oom++];
      const unit = `${comm}.service`;
      const vuid = isService ? 998 : 0;
      const start = Math.max(SPAN_START_MS + MIN, T - r.int(2 * HOUR, 10 * HOUR));
      if (isService) L(start - 20, SYS, `systemd[1]: Started ${unit} - ${desc}.`);
      lifeLines(comm, pid, start, T - 20_000, `${comm} 3.2.0 starting (heap limit 6g)`, (i) => `rss ${800 + i * 650} MiB, ${r.int(20, 400)} jobs queued`);
      const totalVm = r.int(2_200_000, 2_600_000);
      const rss = totalVm - r.int(150_000, 400_000);
      const pgBytes = Math.round(rss / 470) * 4096;
      const trigger = r.chance(0.5) ? { comm, pid } : { comm: 'app', pid: r.pick(DAEMONS.appWorkers) };
      const rows = [
        [DAEMONS.journald, 0, 24650, 6120, 221184, -250, 'systemd-journal'],
        [DAEMONS.udevd, 0, 6580, 1650, 77824, -1000, 'systemd-udevd'],
        [DAEMONS.timesyncd, 997, 22360, 1480, 81920, 0, 'systemd-timesyn'],
        [DAEMONS.resolved, 991, 6220, 3050, 90112, 0, 'systemd-resolve'],
        [DAEMONS.auditd, 0, 22110, 640, 65536, -1000, 'auditd'],
        [DAEMONS.cron, 0, 1650, 660, 53248, 0, 'cron'],
        [DAEMONS.dbus, 101, 2300, 1010, 57344, -900, 'dbus-daemon'],
        [DAEMONS.logind, 0, 4640, 1880, 77824, 0, 'systemd-logind'],
        [DAEMONS.rsyslogd, 0, 55460, 1400, 81920, 0, 'rsyslogd'],
        [DAEMONS.sshd, 0, 3920, 2140, 73728, -1000, 'sshd'],
        [DAEMONS.nginx, 0, 13800, 1530, 94208, 0, 'nginx'],
        ...DAEMONS.nginxWorkers.map((p) => [p, 33, 14100, 1900 + r.int(0, 400), 98304, 0, 'nginx']),
        [DAEMONS.appMaster, 33, 61200, 9800, 159744, 0, 'app'],
        ...DAEMONS.appWorkers.map((p) => [p, 33, 98000 + r.int(0, 20000), 41000 + r.int(0, 20000), 499712, 0, 'app']),
        [DAEMONS.getty, 0, 1470, 440, 53248, 0, 'agetty'],
        [pid, vuid, totalVm, rss, pgBytes, 0, comm],
      ].sort((a, b) => a[0] - b[0]);
      const reg = () => hex(16);
      const lines = [
        `${trigger.comm} invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0`,
        `CPU: ${r.int(0, 4)} PID: ${trigger.pid} Comm: ${trigger.comm} Not tainted ${KERNEL_RELEASE} #1  Debian 6.1.115-1`,
        `Hardware name: QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.16.2-debian-1.16.2-1 04/01/2014`,
        `Call Trace:`,
        ` <TASK>`,
        ` dump_stack_lvl+0x44/0x5c`,
        ` dump_header+0x4a/0x211`,
        ` oom_kill_process.cold+0xb/0x10`,
        ` out_of_memory+0x1fd/0x4c0`,
        ` __alloc_pages_slowpath.constprop.0+0xc9b/0xe00`,
        ` __alloc_pages+0x305/0x330`,
        ` __folio_alloc+0x16/0x40`,
        ` vma_alloc_folio+0x8f/0x350`,
        ` __handle_mm_fault+0x8b5/0xfa0`,
        ` handle_mm_fault+0xdb/0x2d0`,
        ` do_user_addr_fault+0x19c/0x570`,
        ` exc_page_fault+0x70/0x170`,
        ` asm_exc_page_fault+0x22/0x30`,
        `RIP: 0033:0x7f${hex(10)}`,
        `Code: Unable to access opcode bytes at 0x7f${hex(10)}.`,
        `RSP: 002b:00007ff${hex(9)} EFLAGS: 00010206`,
        `RAX: ${reg()} RBX: ${reg()} RCX: ${reg()}`,
        `RDX: ${reg()} RSI: ${reg()} RDI: ${reg()}`,
        `RBP: ${reg()} R08: 0000000000000000 R09: ${reg()}`,
        `R10: 0000000000000022 R11: 0000000000000246 R12: ${reg()}`,
        `R13: ${reg()} R14: ${reg()} R15: ${reg()}`,
        ` </TASK>`,
        `Mem-Info:`,
        `active_anon:${rss + 41000} inactive_anon:${r.int(10000, 30000)} isolated_anon:0`,
        ` active_file:${r.int(200, 900)} inactive_file:${r.int(200, 900)} isolated_file:0`,
        ` unevictable:0 dirty:0 writeback:0`,
        ` slab_reclaimable:${r.int(8000, 12000)} slab_unreclaimable:${r.int(18000, 26000)}`,
        ` mapped:${r.int(900, 2000)} shmem:${r.int(2000, 3000)} pagetables:${Math.round(pgBytes / 4096) + 3100}`,
        ` sec_pagetables:0 bounce:0`,
        ` kernel_misc_reclaimable:0`,
        ` free:${r.int(24000, 26000)} free_pcp:${r.int(0, 200)} free_cma:0`,
        `Node 0 active_anon:${(rss + 41000) * 4}kB inactive_anon:${r.int(40000, 120000)}kB active_file:1608kB inactive_file:1508kB unevictable:0kB isolated(anon):0kB isolated(file):0kB mapped:4936kB dirty:0kB writeback:0kB shmem:9380kB shmem_thp: 0kB shmem_pmdmapped: 0kB anon_thp: 0kB writeback_tmp:0kB kernel_stack:4512kB pagetables:${Math.round(pgBytes / 1024) + 12400}kB sec_pagetables:0kB all_unreclaimable? yes`,
        `Node 0 DMA free:14336kB boost:0kB min:128kB low:160kB high:192kB reserved_highatomic:0KB active_anon:0kB inactive_anon:0kB active_file:0kB inactive_file:0kB unevictable:0kB writepending:0kB present:15992kB managed:15360kB mlocked:0kB bounce:0kB free_pcp:0kB local_pcp:0kB free_cma:0kB`,
        `lowmem_reserve[]: 0 2951 9887 9887 9887`,
        `Node 0 DMA32 free:44516kB boost:0kB min:24912kB low:31140kB high:37368kB reserved_highatomic:0KB active_anon:2960112kB inactive_anon:20320kB active_file:0kB inactive_file:240kB unevictable:0kB writepending:0kB present:3129212kB managed:3063676kB mlocked:0kB bounce:0kB free_pcp:128kB local_pcp:0kB free_cma:0kB`,
        `lowmem_reserve[]: 0 0 6936 6936 6936`,
        `Node 0 Normal free:41084kB boost:0kB min:58548kB low:73184kB high:87820kB reserved_highatomic:0KB active_anon:${(rss + 41000) * 4 - 2960112}kB inactive_anon:27816kB active_file:1608kB inactive_file:1268kB unevictable:0kB writepending:0kB present:7340032kB managed:7102956kB mlocked:0kB bounce:0kB free_pcp:372kB local_pcp:0kB free_cma:0kB`,
        `lowmem_reserve[]: 0 0 0 0 0`,
        `Node 0 DMA: 0*4kB 0*8kB 0*16kB 0*32kB 0*64kB 0*128kB 0*256kB 0*512kB 0*1024kB 1*2048kB (M) 3*4096kB (M) = 14336kB`,
        `Node 0 DMA32: 129*4kB (UME) 102*8kB (UME) 91*16kB (UME) 64*32kB (UME) 47*64kB (UME) 38*128kB (UM) 29*256kB (UM) 17*512kB (UM) 8*1024kB (M) 0*2048kB 0*4096kB = 44516kB`,
        `Node 0 Normal: 1021*4kB (UME) 684*8kB (UME) 390*16kB (UME) 211*32kB (UME) 96*64kB (UME) 33*128kB (UM) 10*256kB (UM) 3*512kB (M) 0*1024kB 0*2048kB 0*4096kB = 41084kB`,
        `Node 0 hugepages_total=0 hugepages_free=0 hugepages_surp=0 hugepages_size=1048576kB`,
        `Node 0 hugepages_total=0 hugepages_free=0 hugepages_surp=0 hugepages_size=2048kB`,
        `${r.int(2500, 4500)} total pagecache pages`,
        `0 pages in swap cache`,
        `Free swap  = 0kB`,
        `Total swap = 0kB`,
        `2621306 pages RAM`,
        `0 pages HighMem/MovableOnly`,
        `60146 pages reserved`,
        `0 pages hwpoisoned`,
        `Tasks state (memory values in pages):`,
        `[  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name`,
        ...rows.map(([p, uid, vm, rs, pg, adj, name]) => `[${String(p).padStart(7)}] ${String(uid).padStart(5)} ${String(p).padStart(5)} ${String(vm).padStart(8)} ${String(rs).padStart(8)} ${String(pg).padStart(8)} ${'0'.padStart(8)}         ${String(adj).padStart(5)} ${name}`),
        `oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/system.slice/${unit},task=${comm},pid=${pid},uid=${vuid}`,
        `Out of memory: Killed process ${pid} (${comm}) total-vm:${totalVm * 4}kB, anon-rss:${rss * 4}kB, file-rss:0kB, shmem-rss:0kB, UID:${vuid} pgtables:${pgBytes / 1024}kB oom_score_adj:0`,
      ];
      const tKilled = kernelLines(T, lines);
      L(T + 58, SYS | KERN, `kernel: ${uptimeStamp((T + 58) * 1000)} oom_reaper: reaped process ${pid} (${comm}), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB`);
      const end = Math.round(tKilled) + 19;
      P({ endMs: end, elapsedMs: end - start, flags: AXSIG, exit: 9, uid: vuid, pid, ppid: 1, comm, memKb: totalVm * 4, utime: 300000, stime: 20000, minflt: 2_000_000, majflt: 300 });
      if (isService) {
        L(T + 70, SYS, `systemd[1]: ${unit}: A process of this unit has been killed by the OOM killer.`);
        L(T + 75, SYS, `systemd[1]: ${unit}: Main process exited, code=killed, status=9/KILL`);
        L(T + 76, SYS, `systemd[1]: ${unit}: Failed with result 'oom-kill'.`);
        L(T + 77, SYS, `systemd[1]: ${unit}: Consumed ${r.int(1, 9)}h ${r.int(1, 59)}min ${(r.f() * 59).toFixed(3)}s CPU time.`);
        A(T + 76, [serviceRecord('SERVICE_STOP', comm, 'failed')]);
        const p2 = pids.next();
        L(T + 5150, SYS, `systemd[1]: ${unit}: Scheduled restart job, restart counter is at 1.`);
        L(T + 5152, SYS, `systemd[1]: Stopped ${unit} - ${desc}.`);
        L(T + 5160, SYS, `systemd[1]: Started ${unit} - ${desc}.`);
        A(T + 5160, [serviceRecord('SERVICE_START', comm, 'success')]);
        L(T + 5230, SYS, `${comm}[${p2}]: ${comm} 3.2.0 starting (heap limit 6g)`);
      }
      buried.push({ kind: inc.kind, pid, comm, cause: 'oom-kill', accept: ['oom-kill'], time_ms: T, unit: isService ? unit : null, signal: 9, pacct_end_ms: pacctEndMs(end, end - start) });
    } else if (inc.kind === 'segfault') {
      const [comm, desc, isService] = SEGV_VICTIMS[counters.segv++];
      const unit = `${comm}.service`;
      const start = Math.max(SPAN_START_MS + MIN, T - r.int(10 * MIN, 4 * HOUR));
      if (isService) L(start - 20, SYS, `systemd[1]: Started ${unit} - ${desc}.`);
      lifeLines(comm, pid, start, T - 5000, `${comm} 1.8.3 ready`, () => `handled ${r.int(100, 9000)} records, ${r.int(0, 12)} rejected`);
      const base = `55${hex(7)}000`;
      const ip = `0000${base.slice(0, 9)}${hex(3)}`;
      kernelLines(T, [
        `${comm}[${pid}]: segfault at 0 ip ${ip} sp 00007ff${hex(9)} error 6 in ${comm}[${base}+${r.pick(['1000', '3000', '1d000'])}] likely on CPU ${r.int(0, 4)} (core ${r.int(0, 4)}, socket 0)`,
        `Code: ${Array.from({ length: 64 }, () => hex(2)).map((h, i) => (i === 42 ? `<${h}>` : h)).join(' ')}`,
      ]);
      A(T + 1, [['ANOM_ABEND', `auid=4294967295 uid=0 gid=0 ses=4294967295 pid=${pid} comm="${comm}" exe="/usr/local/bin/${comm}" sig=11 res=1`, 'AUID="unset" UID="root" GID="root"']]);
      const end = T + 240;
      P({ endMs: end, elapsedMs: end - start, flags: AXSIG | ACORE, exit: 11 | 0x80, uid: 0, pid, ppid: 1, comm, memKb: 182000, utime: 5000, stime: 600 });
      if (isService) {
        const cd = pids.next();
        L(T + 320, SYS, `systemd-coredump[${cd}]: Process ${pid} (${comm}) of user 0 dumped core.#012#012Stack trace of thread ${pid}:#012#0  0x${ip.slice(4)} n/a (/usr/local/bin/${comm} + 0x136e)#012ELF object binary architecture: AMD x86-64`);
        L(T + 330, SYS, `systemd[1]: ${unit}: Main process exited, code=dumped, status=11/SEGV`);
        L(T + 331, SYS, `systemd[1]: ${unit}: Failed with result 'core-dump'.`);
        A(T + 331, [serviceRecord('SERVICE_STOP', comm, 'failed')]);
        P({ endMs: T + 322, elapsedMs: 300, flags: 0, exit: 0, uid: 0, pid: cd, ppid: 1, comm: 'systemd-coredum', memKb: 22000 });
      }
      buried.push({ kind: inc.kind, pid, comm, cause: 'crash', accept: ['crash'], time_ms: T, unit: isService ? unit : null, signal: 11, pacct_end_ms: pacctEndMs(end, end - start) });
    } else {
      const [comm, desc, mode] = SYSTEMD_VICTIMS[counters.sysd++];
      const unit = `${comm}.service`;
      const start = Math.max(SPAN_START_MS + MIN, T - r.int(1 * HOUR, 8 * HOUR));
      L(start - 20, SYS, `systemd[1]: Started ${unit} - ${desc}.`);
      lifeLines(comm, pid, start, T - 120_000, `${comm} 0.9.7 connected`, (i) => `${r.int(1000, 90000) * i} messages processed`);
      let end;
      let actor = null;
      if (mode === 'timeout') {
        const u = r.pick(USERS);
        actor = u.name;
        const tStop = T - 90_000 - r.int(0, 400);
        const ctl = pids.next();
        const sudoPid = pids.next();
        L(tStop - 30, SYS | AUTH, `sudo: ${u.name.padStart(8)} : TTY=pts/${r.int(0, 4)} ; PWD=/home/${u.name} ; USER=root ; COMMAND=/usr/bin/systemctl stop ${comm}`);
        L(tStop, SYS, `systemd[1]: Stopping ${unit} - ${desc}...`);
        L(tStop + 2, SYS, `${comm}[${pid}]: received SIGTERM, draining ${r.int(100, 3000)} in-flight messages`);
        L(T, SYS, `systemd[1]: ${unit}: State 'stop-sigterm' timed out. Killing.`);
        L(T + 0.2, SYS, `systemd[1]: ${unit}: Killing process ${pid} (${comm}) with signal SIGKILL.`);
        L(T + 3, SYS, `systemd[1]: ${unit}: Main process exited, code=killed, status=9/KILL`);
        L(T + 4, SYS, `systemd[1]: ${unit}: Failed with result 'timeout'.`);
        L(T + 5, SYS, `systemd[1]: Stopped ${unit} - ${desc}.`);
        L(T + 6, SYS, `systemd[1]: ${unit}: Consumed ${r.int(1, 59)}min ${(r.f() * 59).toFixed(3)}s CPU time.`);
        A(T + 5, [serviceRecord('SERVICE_STOP', comm, 'failed')]);
        end = T + 2;
        P({ endMs: T + 7, elapsedMs: 90_040, flags: 0, exit: 0, uid: 0, pid: ctl, ppid: sudoPid, comm: 'systemctl', memKb: 15000 });
        P({ endMs: T + 9, elapsedMs: 90_060, flags: ASU, exit: 0, uid: u.uid, pid: sudoPid, ppid: pids.next(), comm: 'sudo', memKb: 9800 });
      } else {
        L(T + 1, SYS, `systemd[1]: ${unit}: Main process exited, code=killed, status=9/KILL`);
        L(T + 2, SYS, `systemd[1]: ${unit}: Failed with result 'signal'.`);
        A(T + 2, [serviceRecord('SERVICE_STOP', comm, 'failed')]);
        L(T + 5101, SYS, `systemd[1]: ${unit}: Scheduled restart job, restart counter is at 1.`);
        L(T + 5103, SYS, `systemd[1]: Stopped ${unit} - ${desc}.`);
        L(T + 5110, SYS, `systemd[1]: Started ${unit} - ${desc}.`);
        A(T + 5110, [serviceRecord('SERVICE_START', comm, 'success')]);
        L(T + 5190, SYS, `${comm}[${pids.next()}]: ${comm} 0.9.7 connected`);
        end = T;
      }
      P({ endMs: end, elapsedMs: end - start, flags: AXSIG, exit: 9, uid: 998, pid, ppid: 1, comm, memKb: 96000, utime: 40000, stime: 9000 });
      buried.push({ kind: inc.kind, pid, comm, cause: 'systemd', accept: ['systemd', 'signal'], time_ms: T, unit, mode, actor, signal: 9, pacct_end_ms: pacctEndMs(end, end - start) });
    }
  }

  text.sort((a, b) => a.us - b.us);
  audit.sort((a, b) => a.ms - b.ms);
  pacct.sort((a, b) => a.endMs - b.endMs);
  wtmp.sort((a, b) => a.ms - b.ms);
  buried.sort((a, b) => a.time_ms - b.time_ms);
  for (const b of buried) b.time = iso(b.time_ms);
  return { text, audit, pacct, wtmp, buried, reserved, lastSes: ses };
}
