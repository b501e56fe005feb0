// The simulated host of the bench tree: a Debian 12 server ("benchhost", kernel 6.1, rsyslog
// RSYSLOG_FileFormat stamps in UTC, auditd 3.0 ENRICHED log, acct v3, glibc x86_64 wtmp), and the
// encoders of its record formats. Formats: ../shared/formats.md, samples/lab-debian12/var/log.

export const HOST = 'benchhost';
export const KERNEL_RELEASE = '6.1.0-27-amd64';
export const KERNEL_BUILD = '#1 SMP PREEMPT_DYNAMIC Debian 6.1.115-1 (2024-11-01)';
export const DAY_MS = 86_400_000;
/** Days of syslog: syslog.7.gz (oldest) … syslog.1.gz, syslog (live). */
export const DAYS = 8;
export const SPAN_START_MS = Date.UTC(2026, 10, 14);
export const SPAN_END_MS = SPAN_START_MS + DAYS * DAY_MS;
/** The host booted three days before the oldest syslog day (wtmp boot record, kernel uptimes). */
export const BOOT_MS = SPAN_START_MS - 3 * DAY_MS + 7_654_321;
/** printk time runs this far ahead of rsyslog's reception stamp (µs). */
const PRINTK_LEAD_US = 180;

export const SYS = 1;
export const KERN = 2;
export const AUTH = 4;

/** Noise pids are drawn from [PID_MIN, PID_MAX); boot-time daemons below PID_MIN keep their pids. */
export const PID_MIN = 1200;
export const PID_MAX = 600_000;

/** Long-running processes started at boot (pids below PID_MIN, never drawn for anything else). */
export const DAEMONS = {
  systemd: 1,
  journald: 288,
  udevd: 311,
  timesyncd: 402,
  resolved: 415,
  cron: 598,
  dbus: 601,
  logind: 605,
  rsyslogd: 612,
  auditd: 577,
  sshd: 688,
  appMaster: 702,
  appWorkers: [731, 732, 733, 734, 735, 736, 737, 738],
  nginx: 690,
  nginxWorkers: [691, 692],
  getty: 640,
};

export const USERS = [
  { name: 'alice', uid: 1000 },
  { name: 'bob', uid: 1001 },
  { name: 'carol', uid: 1002 },
  { name: 'dave', uid: 1003 },
];

const NAMES = { 0: 'root', 33: 'www-data', 998: 'svc-batch', 1000: 'alice', 1001: 'bob', 1002: 'carol', 1003: 'dave' };
export const UNSET = 4294967295;

export function userName(uid) {
  if (uid === UNSET || uid === -1) return 'unset';
  return NAMES[uid] ?? String(uid);
}

/** Pid allocator: uniform in the noise range, never one of the reserved (buried) pids. */
export class Pids {
  constructor(rng, reserved) {
    this.r = rng;
    this.reserved = reserved;
  }
  next() {
    for (;;) {
      const p = PID_MIN + Math.floor(this.r.f() * (PID_MAX - PID_MIN));
      if (!this.reserved.has(p)) return p;
    }
  }
}

function pad2(n) {
  return n < 10 ? '0' + n : String(n);
}

function pad6(n) {
  return String(n).padStart(6, '0');
}

/** RFC 3339 µs stamps (`2026-11-21T06:25:01.123456+00:00`), the date part cached per second. */
export class Clock {
  constructor() {
    this.sec = -1;
    this.prefix = '';
  }
  at(us) {
    const sec = Math.floor(us / 1e6);
    if (sec !== this.sec) {
      this.sec = sec;
      const d = new Date(sec * 1000);
      this.prefix = `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}T${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}.`;
    }
    return this.prefix + pad6(us - sec * 1e6) + '+00:00';
  }
}

/** The printk `[%5lu.%06lu]` stamp of a kernel line received at `us`. */
export function uptimeStamp(us) {
  const up = us - BOOT_MS * 1000 - PRINTK_LEAD_US;
  const s = Math.floor(up / 1e6);
  return `[${String(s).padStart(5, ' ')}.${pad6(up - s * 1e6)}]`;
}

export function iso(ms) {
  return new Date(ms).toISOString();
}

// ---------------------------------------------------------------------------------------------
// auditd (formats.md §3): `type=T msg=audit(sec.ms:serial): body` + 0x1D + interpreted fields.

export function hexUpper(s) {
  return Buffer.from(s, 'latin1').toString('hex').toUpperCase();
}

/** Kernel untrusted-string rule: quoted when every byte is in 0x21..0x7e and not '"', else hex. */
export function auditValue(s) {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 34 || c < 0x21 || c > 0x7e) return hexUpper(s);
  }
  return `"${s}"`;
}

export function auditLine(type, ms, serial, body, enrich) {
  const sec = Math.floor(ms / 1000);
  const frac = String(ms - sec * 1000).padStart(3, '0');
  return `type=${type} msg=audit(${sec}.${frac}:${serial}): ${body}${enrich ? '\x1d' + enrich : ''}`;
}

function ids(p) {
  const uid = p.uid ?? 0;
  const euid = p.euid ?? uid;
  const gid = p.gid ?? uid;
  const egid = p.egid ?? gid;
  return { uid, euid, gid, egid, auid: p.auid ?? UNSET, ses: p.ses ?? UNSET };
}

function syscallEnrich(name, p) {
  const i = ids(p);
  const u = userName(i.uid);
  const e = userName(i.euid);
  const g = userName(i.gid);
  const eg = userName(i.egid);
  return `ARCH=x86_64 SYSCALL=${name} AUID="${userName(i.auid)}" UID="${u}" GID="${g}" EUID="${e}" SUID="${e}" FSUID="${e}" EGID="${eg}" SGID="${eg}" FSGID="${eg}"`;
}

function syscallTask(p) {
  const i = ids(p);
  return (
    `ppid=${p.ppid} pid=${p.pid} auid=${i.auid} uid=${i.uid} gid=${i.gid} euid=${i.euid} suid=${i.euid} fsuid=${i.euid} ` +
    `egid=${i.egid} sgid=${i.egid} fsgid=${i.egid} tty=${p.tty ?? '(none)'} ses=${i.ses} comm=${auditValue(p.comm)} exe=${auditValue(p.exe)}`
  );
}

const LD_SO = 'item=1 name="/lib64/ld-linux-x86-64.so.2" inode=1704290 dev=fe:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0';

/**
 * One execve event: SYSCALL + EXECVE + CWD + PATH (binary, loader) + PROCTITLE, as an exec rule
 * (`-a always,exit -F arch=b64 -S execve -k exec`) logs it. `hex` gives the pointer arguments.
 */
export function execRecords(p, hex) {
  const argv = p.argv;
  let args = `argc=${argv.length}`;
  for (let i = 0; i < argv.length; i++) args += ` a${i}=${auditValue(argv[i])}`;
  return [
    [
      'SYSCALL',
      `arch=c000003e syscall=59 success=yes exit=0 a0=${hex(12)} a1=${hex(12)} a2=${hex(12)} a3=8 items=2 ${syscallTask(p)} key="exec"`,
      syscallEnrich('execve', p),
    ],
    ['EXECVE', args, null],
    ['CWD', `cwd=${auditValue(p.cwd ?? '/')}`, null],
    [
      'PATH',
      `item=0 name=${auditValue(p.path ?? p.exe)} inode=${p.inode ?? 1700000 + (p.exe.length * 7919) % 90000} dev=fe:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0`,
      'OUID="root" OGID="root"',
    ],
    ['PATH', LD_SO, 'OUID="root" OGID="root"'],
    ['PROCTITLE', `proctitle=${auditValue(argv.join('\0').slice(0, 128))}`, null],
  ];
}

/** kill(2) audited by `-a always,exit -F arch=b64 -S kill,tkill,tgkill -k kill`: SYSCALL + OBJ_PID + PROCTITLE. */
export function killRecords(p, target, hex) {
  return [
    [
      'SYSCALL',
      `arch=c000003e syscall=62 success=yes exit=0 a0=${target.pid.toString(16)} a1=${p.signal.toString(16)} a2=0 a3=${hex(12)} items=0 ${syscallTask(p)} key="kill"`,
      syscallEnrich('kill', p),
    ],
    [
      'OBJ_PID',
      `opid=${target.pid} oauid=${target.auid ?? -1} ouid=${target.uid} oses=${target.ses ?? -1} obj=unconfined ocomm=${auditValue(target.comm)}`,
      `OAUID="${userName(target.auid ?? -1)}" OUID="${userName(target.uid)}"`,
    ],
    ['PROCTITLE', `proctitle=${auditValue(p.argv.join('\0'))}`, null],
  ];
}

/** A userspace PAM/login record (USER_ACCT, CRED_ACQ, USER_START, USER_END, CRED_DISP, USER_LOGIN …). */
export function userRecord(type, p, msg) {
  const uid = p.uid ?? 0;
  const auid = p.auid ?? UNSET;
  return [type, `pid=${p.pid} uid=${uid} auid=${auid} ses=${p.ses ?? UNSET} msg='${msg}'`, `UID="${userName(uid)}" AUID="${userName(auid)}"`];
}

export function loginRecord(p) {
  return [
    'LOGIN',
    `pid=${p.pid} uid=0 old-auid=4294967295 auid=${p.auid} tty=(none) old-ses=4294967295 ses=${p.ses} res=1`,
    `UID="root" OLD-AUID="unset" AUID="${userName(p.auid)}"`,
  ];
}

export function serviceRecord(type, unit, res) {
  return [
    type,
    `pid=1 uid=0 auid=4294967295 ses=4294967295 msg='unit=${unit} comm="systemd" exe="/usr/lib/systemd/systemd" hostname=? addr=? terminal=? res=${res}'`,
    'UID="root" AUID="unset"',
  ];
}

// ---------------------------------------------------------------------------------------------
// acct v3 (formats.md §7.1, src/formats/pacct.ts): 64-byte little-endian records.

export const AFORK = 0x01;
export const ASU = 0x02;
export const ACORE = 0x08;
export const AXSIG = 0x10;
export const PACCT_BYTES = 64;

/** comp_t: 13-bit mantissa, 3-bit base-8 exponent, rounded as kernel/acct.c encode_comp_t does. */
export function compT(value) {
  let v = Math.max(0, Math.round(value));
  let exp = 0;
  let rnd = 0;
  while (v > 0x1fff) {
    rnd = v & 4;
    v >>>= 3;
    exp++;
  }
  if (rnd && ++v > 0x1fff) {
    v >>>= 3;
    exp++;
  }
  return Math.min(7, exp) * 0x2000 + v;
}

/**
 * Writes one record at `off` of `b`. The process ended at `endMs` after `elapsedMs`: the kernel
 * stores ac_btime (whole seconds) and ac_etime (AHZ=100 ticks), so the end is kept to 10 ms.
 */
export function writePacct(b, off, p) {
  const btime = Math.floor((p.endMs - p.elapsedMs) / 1000);
  const ticks = Math.max(0, Math.round((p.endMs - btime * 1000) / 10));
  b[off] = p.flags;
  b[off + 1] = 3;
  b.writeUInt16LE(p.tty ?? 0, off + 2);
  b.writeUInt32LE(p.exit, off + 4);
  b.writeUInt32LE(p.uid, off + 8);
  b.writeUInt32LE(p.gid ?? p.uid, off + 12);
  b.writeUInt32LE(p.pid, off + 16);
  b.writeUInt32LE(p.ppid, off + 20);
  b.writeUInt32LE(btime, off + 24);
  b.writeFloatLE(ticks, off + 28);
  b.writeUInt16LE(compT(p.utime ?? 0), off + 32);
  b.writeUInt16LE(compT(p.stime ?? 0), off + 34);
  b.writeUInt16LE(compT(p.memKb ?? 0), off + 36);
  b.writeUInt16LE(0, off + 38);
  b.writeUInt16LE(0, off + 40);
  b.writeUInt16LE(compT(p.minflt ?? 0), off + 42);
  b.writeUInt16LE(compT(p.majflt ?? 0), off + 44);
  b.writeUInt16LE(0, off + 46);
  b.fill(0, off + 48, off + 64);
  b.write(p.comm.slice(0, 15), off + 48, 15, 'latin1');
}

/** The exact end instant a record written by writePacct decodes to (btime + ticks). */
export function pacctEndMs(endMs, elapsedMs) {
  const btime = Math.floor((endMs - elapsedMs) / 1000);
  return btime * 1000 + Math.max(0, Math.round((endMs - btime * 1000) / 10)) * 10;
}

/** ac_tty of /dev/pts/N: old_encode_dev(136, N). */
export function ptsTty(n) {
  return (136 << 8) | n;
}

// ---------------------------------------------------------------------------------------------
// wtmp (formats.md §4.1): glibc x86_64 struct utmp, 384 bytes.

export const UTMP_BYTES = 384;
export const UT = { BOOT_TIME: 2, LOGIN_PROCESS: 6, USER_PROCESS: 7, DEAD_PROCESS: 8 };

export function utmpRecord(p) {
  const b = Buffer.alloc(UTMP_BYTES);
  b.writeInt16LE(p.type, 0);
  b.writeInt32LE(p.pid, 4);
  b.write(p.line ?? '', 8, 32, 'latin1');
  b.write(p.id ?? '', 40, 4, 'latin1');
  b.write(p.user ?? '', 44, 32, 'latin1');
  b.write(p.host ?? '', 76, 256, 'latin1');
  b.writeInt32LE(p.session ?? 0, 336);
  b.writeInt32LE(Math.floor(p.ms / 1000), 340);
  b.writeInt32LE((p.ms % 1000) * 1000 + (p.usecExtra ?? 0), 344);
  if (p.addr) p.addr.split('.').forEach((octet, i) => (b[348 + i] = Number(octet)));
  return b;
}
