// Linux audit logs: /var/log/audit/audit.log written by auditd (RAW or ENRICHED), with or without
// `node=` prefixes, and saved `ausearch` output.
//
//   type=SYSCALL msg=audit(1795297725.047:327): arch=c000003e syscall=62 success=yes exit=0 a0=4020 a1=9 a2=0 a3=7fd8fc060ac0 items=0 ppid=16429 pid=16430 auid=1001 uid=0 … tty=pts1 ses=21 comm="kill" exe="/usr/bin/kill" key="lab_signal"^]ARCH=x86_64 SYSCALL=kill AUID="alice" UID="root" …
//   type=OBJ_PID msg=audit(1795297725.047:327): opid=16416 oauid=-1 ouid=0 oses=-1 ocomm="ingest-daemon"^]OAUID="unset" OUID="root"
//   node=host1 type=USER_CMD msg=audit(1783414573.687:423): pid=2100 uid=0 auid=0 ses=6 msg='cwd="/root" cmd="true" exe="/usr/bin/sudo" terminal=? res=success'
//
// Fields: optional `node=<name>` (auditd name_format), `type=<NAME>` (or `UNKNOWN[n]`, or a number
// in the printk fallback), the stamp `audit(<epoch secs>.<millis>:<serial>)` which is the event id
// (all records of one event share it; serials restart at each boot; auditd never writes EOE), then
// `key=value` pairs. Kernel untrusted strings are "quoted" or upper-case hex (comm, exe, proctitle
// = argv joined by NULs…); user-space records wrap their text in msg='…'. ENRICHED logs append
// 0x1D then upper-case `NAME="resolved"` pairs (UID="root" AUID="alice" SYSCALL=kill).
// Old (auditd 1.x, 2007–2013) user records begin with `user pid=…` and use `msg='PAM: session open
// acct=root : exe=… (hostname=…, addr=…, terminal=… res=success)'`; old LOGIN records say
// `old auid=X new auid=Y old ses=A new ses=B`. ausearch output separates events with `----` and
// `time-><ctime>` lines (skipped: the stamps carry the time); `ausearch -i` renders the stamp as a
// local date (stored as local_assumed).
// Source: audit-userspace src/auditd-event.c format_raw()/format_enrich(), kernel/audit.c and
// kernel/auditsc.c (see ../shared/formats.md §3).
//
// Provenance of derived facts: per-record facts (audit_records, logins, services, USER_CMD
// commands, ANOM_ABEND process_ends, audit_loss of DAEMON_* records) carry the record's own line.
// Facts built from a whole event (signals, EXECVE commands) are emitted when the event's group is
// flushed: on its PROCTITLE/EOE record (the kernel writes PROCTITLE last), on an ausearch `----`, or
// when the group is stale. They then carry the provenance of the unit being parsed at that moment,
// which is the PROCTITLE line in the usual case; each such row also holds `audit_stamp`, which joins
// it to the exact audit_records rows (host, audit_stamp) of every record of the event.
import type { EventRow, FactRow, FormatModule, ParseContext, ParseOutput, Unit, UnitParser } from './types.js';
import { civilToMs, isoUtc, ZoneConverter } from '../time/civil.js';
import { offsetForLocal } from '../time/zone-inference.js';
import { SIGNAL_SYSCALLS, auditArchName, syscallName, type KnownSyscall } from '../lookups/syscalls.js';
import { signalNumber } from '../lookups/signals.js';

/** 0x1D, AUDIT_INTERP_SEPARATOR: raw fields left of it, interpreted (ENRICHED) fields right. */
const INTERP_SEPARATOR = '\x1d';

/** Record type numbers → names, for printk-fallback lines (`type=1300`). linux/audit.h, lib/audit-records.h. */
export const AUDIT_TYPE_NAMES: Readonly<Record<number, string>> = {
  1006: 'LOGIN',
  1100: 'USER_AUTH',
  1101: 'USER_ACCT',
  1103: 'CRED_ACQ',
  1104: 'CRED_DISP',
  1105: 'USER_START',
  1106: 'USER_END',
  1109: 'USER_ERR',
  1110: 'CRED_REFR',
  1112: 'USER_LOGIN',
  1113: 'USER_LOGOUT',
  1123: 'USER_CMD',
  1127: 'SYSTEM_BOOT',
  1128: 'SYSTEM_SHUTDOWN',
  1130: 'SERVICE_START',
  1131: 'SERVICE_STOP',
  1300: 'SYSCALL',
  1302: 'PATH',
  1305: 'CONFIG_CHANGE',
  1306: 'SOCKADDR',
  1307: 'CWD',
  1309: 'EXECVE',
  1318: 'OBJ_PID',
  1320: 'EOE',
  1326: 'SECCOMP',
  1327: 'PROCTITLE',
  1700: 'ANOM_PROMISCUOUS',
  1701: 'ANOM_ABEND',
  2000: 'KERNEL',
};

/**
 * Fields whose value the writer passes through audit_log_untrustedstring() (kernel) or
 * audit_encode_nv_string() (libaudit): either "quoted" or upper-case hex. Only these are
 * hex-decoded; `a0=1dfd` or `inode=14911367` must stay as written.
 */
const UNTRUSTED_FIELDS: ReadonlySet<string> = new Set([
  'comm', 'ocomm', 'exe', 'cwd', 'name', 'key', 'proctitle', 'acct', 'cmd', 'data', 'path',
  'grp', 'new_group', 'old-chardev', 'new-chardev', 'old-disk', 'new-disk', 'root_dir', 'id_name',
  'old_name', 'new_name', 'watch', 'dir', 'file', 'old-rng', 'new-rng',
]);

/** Login-related record types that become `logins` rows (kind 'audit_<TYPE>'). */
const LOGIN_TYPES: ReadonlySet<string> = new Set([
  'USER_LOGIN', 'USER_LOGOUT', 'USER_START', 'USER_END', 'USER_AUTH', 'USER_ACCT', 'USER_ERR',
  'CRED_ACQ', 'CRED_DISP', 'CRED_REFR', 'LOGIN',
]);

/** Fields that hold a login uid or session id; 4294967295 (u32) or -1 (OBJ_PID's %d) = unset. */
const UNSET_ABLE: ReadonlySet<string> = new Set(['auid', 'ses', 'oauid', 'oses', 'old-auid', 'old-ses']);

/** An open event group is flushed when a record this much later (stamp time) arrives… */
const GROUP_STALE_MS = 2000;
/** …or this many units after its last record. */
const GROUP_STALE_UNITS = 200;
/** A kernel serial this far below the highest seen means a new boot (serials restart at 1). */
const SERIAL_RESTART_DROP = 200;
/** Stamp time jumps that mean another log segment (excerpts, long auditd outage), not a gap. */
const SERIAL_SEGMENT_JUMP_MS = 24 * 3600 * 1000;
const SERIAL_SEGMENT_BACK_MS = 60 * 1000;
/** A missing serial range is final (reported) once the highest serial is this far past it. */
const SERIAL_GAP_SETTLE = 500;

const HEADER = /^(?:audit: )?(?:node=(\S*) )?type=(\S*) (?:msg=)?audit\(([^)]*)\)\s?:?\s?(.*)$/s;
const STAMP_EPOCH = /^(\d{1,12})\.(\d{1,9}):(\d+)$/;
/** `ausearch -i` renders the stamp in local time with strftime %x: en_US `01/10/2018`, or ISO. */
const STAMP_LOCAL = /^(?:(\d\d)\/(\d\d)\/(\d{4})|(\d{4})-(\d\d)-(\d\d)) (\d\d):(\d\d):(\d\d)\.(\d{3}):(\d+)$/;
const HEX_UPPER = /^(?:[0-9A-F]{2})+$/;
const HEX_NUM = /^(?:0x)?[0-9a-fA-F]+$/;
const EXECVE_ARG = /^a(\d+)(?:\[(\d+)\])?$/;

export type AuditFields = Record<string, string>;

/** raw: kernel/libaudit fields; execve: aN are untrusted strings too; enriched: after 0x1D. */
type FieldMode = 'raw' | 'execve' | 'enriched';

export interface AuditRecord {
  node: string | null;
  type: string;
  /** 'secs.millis:serial' as written, or the local form for `ausearch -i`. */
  stamp: string;
  serial: number;
  ts_utc_ms: number;
  ts_quality: EventRow['ts_quality'];
  /** Decoded raw fields, then ENRICHED fields under their upper-case names. */
  fields: AuditFields;
  /** Text of the record (the raw part and the interpreted part, separator shown as a space). */
  text: string;
  interpreted: boolean;
}

/** Hex of bytes → text; NULs (argv separators) become spaces, a trailing one is dropped. */
function hexToText(hex: string, nulAs = ' '): string {
  const s = Buffer.from(hex, 'hex').toString('utf8');
  if (!s.includes('\0')) return s;
  return s.replace(/\0+$/, '').replaceAll('\0', nulAs);
}

/** Decodes one untrusted-string value per §3.4: "quoted" → text; (null)/(none)/? literal; else hex. */
export function decodeUntrusted(value: string, field: string): string {
  if (value.length >= 2 && value[0] === '"' && value.endsWith('"')) return value.slice(1, -1);
  if (value[0] === '"') return value.slice(1);
  // Seen in real data (go-libaudit ubuntu17 fixture): hex key followed by a stray quote.
  const v = value.endsWith('"') ? value.slice(0, -1) : value;
  if (HEX_UPPER.test(v)) {
    if (field === 'key') return Buffer.from(v, 'hex').toString('utf8').split('\x01').join(',');
    return hexToText(v);
  }
  return v;
}

/**
 * Splits `k=v k2="v 2" msg='…'` into fields. Tolerates the old user-message syntax (`PAM: setcred
 * acct=root : exe=… (hostname=?, addr=?, terminal=cron res=success)`) and AVC prose
 * (`avc:  denied  { read } for  pid=…`). Inner msg='…' fields are merged; an inner field whose name
 * is already taken by the kernel prefix is kept as `msg.<name>`. Bare words before the first
 * field of msg='…' are kept as `op` when no op= exists (old PAM syntax: 'PAM: session open').
 */
export function parseFields(body: string, into: AuditFields = {}, mode: FieldMode = 'raw', inner = false): AuditFields {
  const n = body.length;
  let i = 0;
  let pendingOldNew: string | null = null;
  let words: string[] | null = null;
  let sawField = false;
  while (i < n) {
    while (i < n && (body.charCodeAt(i) === 32 || body.charCodeAt(i) === 9)) i++;
    if (i >= n) break;
    let j = i;
    while (j < n && body[j] !== '=' && body[j] !== ' ' && body[j] !== '\t') j++;
    if (j >= n || body[j] !== '=') {
      const word = body.slice(i, j);
      if (word === 'old' || word === 'new') pendingOldNew = word;
      else if (inner && !sawField && word !== ':') (words ??= []).push(word);
      i = j;
      continue;
    }
    let key = body.slice(i, j);
    if (key.startsWith('(')) key = key.slice(1);
    i = j + 1;
    let value: string;
    const q = body[i];
    if (q === '{') {
      // ENRICHED SADDR={ fam=inet laddr=… }: one value, spaces inside.
      const close = body.indexOf('}', i);
      const end = close < 0 ? n : close + 1;
      value = body.slice(i, end);
      i = end;
    } else if (q === '"') {
      const close = body.indexOf('"', i + 1);
      const end = close < 0 ? n : close + 1;
      value = body.slice(i, end);
      i = end;
    } else if (q === "'") {
      // msg='…' runs to the last quote: libaudit encodes any value holding a quote.
      const close = key === 'msg' ? body.lastIndexOf("'") : body.indexOf("'", i + 1);
      const end = close <= i ? n : close;
      value = body.slice(i + 1, end);
      i = Math.min(n, end + 1);
      if (key === 'msg' && !inner) {
        parseFields(value, into, mode, true);
        continue;
      }
    } else {
      let k = i;
      while (k < n && body[k] !== ' ' && body[k] !== '\t') k++;
      value = body.slice(i, k);
      i = k;
      // Old syntax decorations: `uid=0:` `(hostname=?,` `res=success)`.
      if (value.endsWith(',')) value = value.slice(0, -1);
      if (value.endsWith(')') && !value.includes('(')) value = value.slice(0, -1);
      if (value.endsWith(':') && /^-?\d+:$/.test(value)) value = value.slice(0, -1);
    }
    if (pendingOldNew) {
      if (key === 'auid' || key === 'ses') key = pendingOldNew === 'old' ? `old-${key}` : key;
      pendingOldNew = null;
    }
    sawField = true;
    if (
      UNTRUSTED_FIELDS.has(key) ||
      (mode === 'execve' && EXECVE_ARG.test(key)) ||
      (mode === 'enriched' && key !== 'ARCH' && key !== 'SYSCALL' && q !== '{')
    )
      value = decodeUntrusted(value, key);
    else if (value.length >= 2 && value[0] === '"' && value.endsWith('"')) value = value.slice(1, -1);
    if (inner && key in into) into[`msg.${key}`] = value;
    else into[key] = value;
  }
  if (words && words.length && !('op' in into)) into.op = words.join(' ');
  return into;
}

/** Decimal or hex ('0x…' in ausearch -i) integer; null when absent or not a number. */
function int(v: string | undefined): number | null {
  if (v === undefined || v === '') return null;
  if (/^-?\d+$/.test(v)) return Number(v);
  if (/^0x[0-9a-fA-F]+$/.test(v)) return Number.parseInt(v.slice(2), 16);
  return null;
}

/** auid/ses style: 4294967295 or -1 = unset → null. */
function idOrUnset(v: string | undefined): number | null {
  const n = int(v);
  if (n === null || n === 4294967295 || n === -1) return null;
  return n;
}

/** Syscall argument (hex, unsigned long) read as the C int it carries (pid_t, int sig). */
export function argAsInt32(v: string | undefined): number | null {
  if (v === undefined || !HEX_NUM.test(v)) return null;
  const hex = v.startsWith('0x') ? v.slice(2) : v;
  const low = Number.parseInt(hex.length > 8 ? hex.slice(-8) : hex, 16);
  return low | 0;
}

/** '?', '(none)', '(null)', '' → null. */
function text(v: string | undefined): string | null {
  if (v === undefined || v === '' || v === '?' || v === '(none)' || v === '(null)') return null;
  return v;
}

/** Enriched user name, with auditd's "unset" meaning no login uid. */
function enrichedName(v: string | undefined): string | null {
  const t = text(v);
  return t === null || t === 'unset' ? null : t;
}

/** LOGIN's res=1/0 and user records' res=success/failed → 'success' | 'failed'. */
function result(v: string | undefined): string | null {
  if (v === undefined) return null;
  if (v === '1' || v === 'success' || v === 'yes') return 'success';
  if (v === '0' || v === 'failed' || v === 'no') return 'failed';
  return v;
}

interface Group {
  node: string | null;
  stamp: string;
  ts_utc_ms: number;
  records: AuditRecord[];
  lastUnit: number;
}

interface SerialState {
  node: string | null;
  max: number;
  /** Missing ranges [lo, hi] not yet filled by late records, with the time they were noticed. */
  maxTs: number;
  gaps: Array<{ lo: number; hi: number; ts: number; afterTs: number }>;
}

export class AuditParser implements UnitParser {
  private readonly groups = new Map<string, Group>();
  private readonly serials = new Map<string, SerialState>();
  private readonly zone: ZoneConverter | null;
  /** Once a `----`/`time->` line is seen: groups end at separators, not at PROCTITLE. */
  private ausearch = false;
  private sawLocalStamp = false;
  /** Number of event groups flushed (one per distinct (node, stamp) seen together). */
  groupsFlushed = 0;

  constructor(private readonly ctx: ParseContext) {
    this.zone = ctx.tz && ZoneConverter.isValid(ctx.tz) ? new ZoneConverter(ctx.tz) : null;
  }

  parse(unit: Unit, out: ParseOutput): void {
    let line = unit.text;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (!line.trim()) {
      out.skip('empty line', true);
      return;
    }
    if (line.startsWith('----')) {
      this.ausearch = true;
      this.flushAll(out);
      out.skip('ausearch event separator');
      return;
    }
    if (line.startsWith('time->')) {
      this.ausearch = true;
      out.skip('ausearch time header (the record stamps carry the time)');
      return;
    }
    if (line === '<no matches>') {
      out.skip('ausearch: no matches');
      return;
    }
    const rec = this.parseRecord(line, out);
    if (!rec) return;
    if (unit.truncated) out.warn('audit record cut at the line length cap; trailing fields lost');

    out.event({
      ts_utc_ms: rec.ts_utc_ms,
      ts_quality: rec.ts_quality,
      host: rec.node,
      program: 'audit',
      pid: int(rec.fields.pid),
      message: rec.text,
    });
    out.fact('audit_records', {
      ts_utc_ms: rec.ts_utc_ms,
      host: rec.node,
      audit_stamp: rec.stamp,
      audit_serial: rec.serial,
      record_type: rec.type,
      fields_json: JSON.stringify(rec.fields),
    });
    this.recordFacts(rec, out);
    // DAEMON_* records carry auditd's own serials, not the kernel's.
    if (rec.type === 'DAEMON_START') this.serialBaselineReset(rec, out);
    else if (!rec.interpreted && !rec.type.startsWith('DAEMON_')) this.trackSerial(rec, out);
    this.group(rec, unit.index, out);
  }

  /** Parses one line into a record, or skips it with the reason. */
  parseRecord(line: string, out: ParseOutput): AuditRecord | null {
    const m = HEADER.exec(line);
    if (!m) {
      if (/^(?:node=\S* )?type=\S/.test(line)) out.skip('audit record without a msg=audit(secs.millis:serial) stamp');
      else out.skip(line.includes('audit(') ? 'audit line without a type= field' : 'not an audit record');
      return null;
    }
    const node = m[1] === undefined ? null : m[1] || null;
    let type = m[2];
    if (!type) {
      out.skip('audit record with an empty type=');
      return null;
    }
    if (/^\d+$/.test(type)) type = AUDIT_TYPE_NAMES[Number(type)] ?? `UNKNOWN[${type}]`;
    const stampText = m[3];
    let ts: number;
    let quality: EventRow['ts_quality'] = 'exact';
    let serial: number;
    let interpreted = false;
    const e = STAMP_EPOCH.exec(stampText);
    if (e) {
      // The kernel prints exactly three fraction digits; read others as a decimal fraction.
      const frac = e[2].length === 3 ? Number(e[2]) : Math.floor(Number(`0.${e[2]}`) * 1000);
      ts = Number(e[1]) * 1000 + frac;
      serial = Number(e[3]);
    } else {
      const l = STAMP_LOCAL.exec(stampText);
      if (!l) {
        out.skip(stampText ? `audit stamp not secs.millis:serial (${stampText.slice(0, 40)})` : 'empty audit stamp');
        return null;
      }
      const [y, mo, d] = l[3] ? [+l[3], +l[1], +l[2]] : [+l[4], +l[5], +l[6]];
      const local = civilToMs(y, mo, d, +l[7], +l[8], +l[9], +l[10]);
      if (this.zone) {
        ts = this.zone.toUtc(local);
        quality = 'year_inferred';
      } else {
        ts = local - (this.ctx.assumedOffset ? offsetForLocal(this.ctx.assumedOffset, local) : 0) * 60000;
        quality = 'local_assumed';
      }
      this.sawLocalStamp = true;
      serial = Number(l[11]);
      interpreted = true;
    }
    const body = m[4];
    const sep = body.indexOf(INTERP_SEPARATOR);
    const raw = sep < 0 ? body : body.slice(0, sep);
    const fields: AuditFields = {};
    parseFields(raw, fields, type === 'EXECVE' ? 'execve' : 'raw');
    // Interpreted names are upper case, so they never collide with raw fields.
    if (sep >= 0) parseFields(body.slice(sep + 1), fields, 'enriched');
    const head = line.slice(node !== null || line.startsWith('node=') ? line.indexOf('type=') : 0);
    return {
      node,
      type,
      stamp: stampText,
      serial,
      ts_utc_ms: ts,
      ts_quality: quality,
      fields,
      text: sep < 0 ? head : head.replace(INTERP_SEPARATOR, ' '),
      interpreted,
    };
  }

  /** Facts that one record fully describes. */
  private recordFacts(rec: AuditRecord, out: ParseOutput): void {
    const f = rec.fields;
    const t = rec.type;
    if (LOGIN_TYPES.has(t)) {
      out.fact('logins', this.loginRow(rec));
    } else if (t === 'USER_CMD') {
      const exe = text(f.exe);
      out.fact('commands', {
        ts_utc_ms: rec.ts_utc_ms,
        ts_quality: rec.ts_quality,
        host: rec.node,
        // USER_CMD is sudo's record (audit_log_user_command); old sudo wrote it without exe=.
        via: exe === null || /(^|\/)sudo$/.test(exe) ? 'sudo' : 'user_cmd',
        user: enrichedName(f.UID) ?? enrichedName(f.AUID),
        uid: int(f.uid),
        auid: idOrUnset(f.auid),
        ses: idOrUnset(f.ses),
        pid: int(f.pid),
        tty: text(f.terminal),
        pwd: text(f.cwd),
        command: text(f.cmd),
        result: result(f.res),
      });
    } else if (t === 'SERVICE_START' || t === 'SERVICE_STOP') {
      out.fact('services', {
        ts_utc_ms: rec.ts_utc_ms,
        host: rec.node,
        unit: text(f.unit),
        action: t === 'SERVICE_START' ? 'start' : 'stop',
        pid: int(f.pid),
        result: result(f.res),
      });
    } else if (t === 'ANOM_ABEND') {
      out.fact('process_ends', {
        ts_utc_ms: rec.ts_utc_ms,
        ts_quality: rec.ts_quality,
        host: rec.node,
        kind: 'anom_abend',
        pid: int(f.pid),
        comm: text(f.comm),
        exe: text(f.exe),
        uid: int(f.uid),
        auid: idOrUnset(f.auid),
        ses: idOrUnset(f.ses),
        signal: int(f.sig),
        detail: text(f.reason),
      });
    } else if (t.startsWith('DAEMON_') || t.includes('LOST')) {
      // auditd's own records: DAEMON_ERR/DAEMON_ABORT (disk full, errors), and any daemon record
      // reporting failure mean the log may be missing records.
      const failed = f.res === 'failed' || f.res === '0';
      if (t === 'DAEMON_ERR' || t === 'DAEMON_ABORT' || t.includes('LOST') || failed || (int(f.lost) ?? 0) > 0) {
        out.fact('audit_loss', {
          ts_utc_ms: rec.ts_utc_ms,
          host: rec.node,
          kind: t.toLowerCase(),
          detail: rec.text.slice(0, 500),
        });
      }
    }
  }

  private loginRow(rec: AuditRecord): FactRow {
    const f = rec.fields;
    const isLogin = rec.type === 'LOGIN';
    const detail: string[] = [];
    if (f.grantors) detail.push(`grantors=${f.grantors}`);
    if (isLogin) detail.push(`old-auid=${f['old-auid'] ?? '?'} old-ses=${f['old-ses'] ?? '?'}`);
    return {
      ts_utc_ms: rec.ts_utc_ms,
      host: rec.node,
      kind: `audit_${rec.type}`,
      user: text(f.acct) ?? enrichedName(f.ID) ?? enrichedName(f.AUID),
      uid: int(f.id) ?? int(f.uid),
      auid: idOrUnset(f.auid),
      ses: idOrUnset(f.ses),
      pid: int(f.pid),
      from_host: text(f.addr) ?? text(f.hostname),
      tty: text(f.terminal) ?? text(f.tty),
      service: text(f.exe),
      method: text(f.op),
      result: result(f.res),
      detail: detail.length ? detail.join(' ') : null,
    };
  }

  /**
   * Serial bookkeeping per node: a gap within one boot means records that never reached this file
   * (backlog overflow, rate limit, auditd down with records going to printk) — or a file that is
   * an excerpt. Serials restart at each boot, so a big drop, a DAEMON_START, a jump of more than
   * a day or a step back in time starts a new baseline instead of reporting a gap.
   */
  private trackSerial(rec: AuditRecord, out: ParseOutput): void {
    const s = rec.serial;
    if (s <= 0) return; // the kernel's serials start at 1; 0 only in hand-made lines
    const key = rec.node ?? '';
    const st = this.serials.get(key);
    if (!st) {
      this.serials.set(key, { node: rec.node, max: s, maxTs: rec.ts_utc_ms, gaps: [] });
      return;
    }
    const newSegment =
      st.max < 0 ||
      s < st.max - SERIAL_RESTART_DROP ||
      (s <= 3 && st.max > s + 3) ||
      rec.ts_utc_ms > st.maxTs + SERIAL_SEGMENT_JUMP_MS ||
      rec.ts_utc_ms < st.maxTs - SERIAL_SEGMENT_BACK_MS;
    if (newSegment) {
      this.reportGaps(st, out, Infinity);
      st.max = s;
      st.maxTs = rec.ts_utc_ms;
      return;
    }
    if (s > st.max + 1) {
      st.gaps.push({ lo: st.max + 1, hi: s - 1, ts: rec.ts_utc_ms, afterTs: st.maxTs });
      if (st.gaps.length > 1000) this.reportGaps(st, out, st.gaps[0].hi + 1);
    } else if (s < st.max) {
      // A late record (interleaving): fill the gap that holds it, if any.
      for (let i = st.gaps.length - 1; i >= 0; i--) {
        const g = st.gaps[i];
        if (s < g.lo || s > g.hi) continue;
        if (g.lo === g.hi) st.gaps.splice(i, 1);
        else if (s === g.lo) g.lo++;
        else if (s === g.hi) g.hi--;
        else st.gaps.splice(i, 1, { ...g, hi: s - 1 }, { ...g, lo: s + 1 });
        break;
      }
    }
    if (s > st.max) {
      st.max = s;
      st.maxTs = rec.ts_utc_ms;
    }
    if (st.gaps.length && st.gaps[0].hi < st.max - SERIAL_GAP_SETTLE) this.reportGaps(st, out, st.max - SERIAL_GAP_SETTLE);
  }

  /** auditd (re)started: serials may have restarted (boot) without a visible drop. */
  private serialBaselineReset(rec: AuditRecord, out: ParseOutput): void {
    const st = this.serials.get(rec.node ?? '');
    if (!st) return;
    this.reportGaps(st, out, Infinity);
    st.max = -1;
  }

  /** Reports (and forgets) gaps that end below `below`. */
  private reportGaps(st: SerialState, out: ParseOutput, below: number): void {
    while (st.gaps.length && st.gaps[0].hi < below) {
      const g = st.gaps.shift()!;
      const n = g.hi - g.lo + 1;
      out.fact('audit_loss', {
        ts_utc_ms: g.ts,
        host: st.node,
        kind: 'serial_gap',
        detail: `${n === 1 ? `audit serial ${g.lo}` : `audit serials ${g.lo}-${g.hi} (${n})`} missing between records of ${isoOrNull(g.afterTs)} and ${isoOrNull(g.ts)}`,
      });
    }
  }

  private group(rec: AuditRecord, unitIndex: number, out: ParseOutput): void {
    // Stale groups first, oldest first (Map keeps insertion order).
    for (const [k, g] of this.groups) {
      if (rec.ts_utc_ms - g.ts_utc_ms <= GROUP_STALE_MS && unitIndex - g.lastUnit <= GROUP_STALE_UNITS) break;
      this.groups.delete(k);
      this.flush(g, out);
    }
    const key = `${rec.node ?? ''}|${rec.stamp}`;
    let g = this.groups.get(key);
    if (!g) {
      g = { node: rec.node, stamp: rec.stamp, ts_utc_ms: rec.ts_utc_ms, records: [], lastUnit: unitIndex };
      this.groups.set(key, g);
    }
    g.records.push(rec);
    g.lastUnit = unitIndex;
    // auditd writes PROCTITLE last for a syscall event and never EOE, but extracted logs may have
    // EOE; ausearch prints records in another order, so there only `----` ends an event.
    const complete = rec.type === 'EOE' || (!this.ausearch && rec.type === 'PROCTITLE') || isStandalone(rec.type);
    if (complete) {
      this.groups.delete(key);
      this.flush(g, out);
    }
  }

  private flushAll(out: ParseOutput): void {
    for (const g of this.groups.values()) this.flush(g, out);
    this.groups.clear();
  }

  /** Facts that need the whole event: signals (SYSCALL + OBJ_PID + PROCTITLE), EXECVE commands. */
  private flush(g: Group, out: ParseOutput): void {
    this.groupsFlushed++;
    const sys = g.records.find((r) => r.type === 'SYSCALL');
    if (!sys) return;
    const f = sys.fields;
    const name = this.syscallOf(f);
    if (!name) return;
    const proctitle = g.records.find((r) => r.type === 'PROCTITLE')?.fields.proctitle ?? null;
    if (SIGNAL_SYSCALLS.has(name)) this.signalFacts(g, sys, name, proctitle, out);
    else if (name === 'execve' || name === 'execveat') this.execFacts(g, sys, proctitle, out);
  }

  private syscallOf(f: AuditFields): KnownSyscall | null {
    const nr = int(f.syscall);
    if (nr !== null && f.arch) {
      const byTable = syscallName(f.arch, nr);
      if (byTable) return byTable;
    }
    // ENRICHED SYSCALL=kill, or `ausearch -i` syscall=kill.
    const named = f.SYSCALL ?? (nr === null ? f.syscall : undefined);
    if (named && (SIGNAL_SYSCALLS.has(named as KnownSyscall) || named === 'execve' || named === 'execveat')) return named as KnownSyscall;
    return null;
  }

  private signalFacts(g: Group, sys: AuditRecord, name: KnownSyscall, proctitle: string | null, out: ParseOutput): void {
    const f = sys.fields;
    // kill/tkill/rt_sigqueueinfo(pid, sig…); tgkill/rt_tgsigqueueinfo(tgid, tid, sig…);
    // pidfd_send_signal(pidfd, sig…): a0 is a descriptor, only OBJ_PID names the target.
    const sigArg = name === 'tgkill' || name === 'rt_tgsigqueueinfo' ? f.a2 : f.a1;
    const signal = sigArg !== undefined && /^SIG/.test(sigArg) ? signalNumber(sigArg) : argAsInt32(sigArg);
    const arch = f.arch ? (auditArchName(f.arch) ?? f.arch) : null;
    const auid = idOrUnset(f.auid);
    const base: FactRow = {
      ts_utc_ms: sys.ts_utc_ms,
      host: g.node,
      audit_stamp: g.stamp,
      syscall: name,
      arch,
      success: text(f.success),
      exit_code: int(f.exit),
      sender_pid: int(f.pid),
      sender_ppid: int(f.ppid),
      sender_comm: text(f.comm),
      sender_exe: text(f.exe),
      sender_uid: int(f.uid),
      sender_user: enrichedName(f.UID) ?? (int(f.uid) === null ? text(f.uid) : null),
      sender_auid: auid,
      sender_auser: enrichedName(f.AUID) ?? (int(f.auid) === null ? enrichedName(f.auid) : null),
      sender_ses: idOrUnset(f.ses),
      sender_tty: text(f.tty),
      sender_proctitle: proctitle,
      signal,
      audit_key: text(f.key),
      pid_arg: name === 'pidfd_send_signal' ? null : argAsInt32(f.a0),
    };
    const targets = g.records.filter((r) => r.type === 'OBJ_PID');
    if (targets.length) {
      for (const t of targets) {
        out.fact('signals', {
          ...base,
          target_pid: int(t.fields.opid),
          target_comm: text(t.fields.ocomm),
          target_uid: int(t.fields.ouid),
          target_ses: idOrUnset(t.fields.oses),
        });
      }
      return;
    }
    // No OBJ_PID (failed kill, or no signal rule loaded): the target is what the caller asked for,
    // possibly negative (process group) or -1 (every process). tgkill's tgid is a0, like opid.
    out.fact('signals', {
      ...base,
      target_pid: name === 'pidfd_send_signal' ? null : argAsInt32(f.a0),
      target_comm: null,
      target_uid: null,
      target_ses: null,
    });
  }

  private execFacts(g: Group, sys: AuditRecord, proctitle: string | null, out: ParseOutput): void {
    const ex = g.records.find((r) => r.type === 'EXECVE');
    const f = sys.fields;
    let command: string | null = null;
    if (ex) command = execveArgv(ex.fields);
    command ??= proctitle;
    if (command === null) return;
    out.fact('commands', {
      ts_utc_ms: sys.ts_utc_ms,
      ts_quality: sys.ts_quality,
      host: g.node,
      via: 'execve',
      user: enrichedName(f.UID) ?? (int(f.uid) === null ? text(f.uid) : null),
      uid: int(f.uid),
      auid: idOrUnset(f.auid),
      ses: idOrUnset(f.ses),
      pid: int(f.pid),
      ppid: int(f.ppid),
      tty: text(f.tty),
      pwd: text(g.records.find((r) => r.type === 'CWD')?.fields.cwd),
      command,
      result: result(f.success),
    });
  }

  end(out: ParseOutput): void {
    this.flushAll(out);
    for (const st of this.serials.values()) this.reportGaps(st, out, Infinity);
  }

  timeNotes(): string | null {
    if (!this.sawLocalStamp) return null;
    const zone = this.zone
      ? `in ${this.zone.name} (--tz)`
      : this.ctx.assumedOffset
        ? `(${this.ctx.assumedOffset.why})`
        : 'assumed UTC (no --tz, no offset in the evidence)';
    return `ausearch -i stamps are local times ${zone}`;
  }
}

function isoOrNull(ms: number): string {
  return isoUtc(ms) ?? '?';
}

/** Kernel records that are whole events by themselves, and every user-space record (1100–2999). */
function isStandalone(type: string): boolean {
  if (type.startsWith('USER_') || type.startsWith('CRED_') || type.startsWith('DAEMON_') || type.startsWith('SERVICE_')) return true;
  return type === 'SYSTEM_BOOT' || type === 'SYSTEM_SHUTDOWN' || type === 'SYSTEM_RUNLEVEL' || type === 'ANOM_ABEND';
}

/** EXECVE a0..aN (with aN[i] chunks of long arguments) → argv joined by spaces. */
export function execveArgv(f: AuditFields): string {
  const args: string[] = [];
  const chunks = new Map<number, string[]>();
  for (const [k, v] of Object.entries(f)) {
    const m = EXECVE_ARG.exec(k);
    if (!m) continue;
    const idx = Number(m[1]);
    if (m[2] === undefined) args[idx] = v;
    else {
      let c = chunks.get(idx);
      if (!c) chunks.set(idx, (c = []));
      c[Number(m[2])] = v;
    }
  }
  for (const [idx, c] of chunks) args[idx] = c.join('');
  return args.filter((a) => a !== undefined).join(' ');
}

const DETECT_LINE = /^(?:node=\S* )?type=\S+ msg=audit\(/;

export const audit: FormatModule = {
  name: 'audit',
  description: 'Linux audit log (auditd RAW/ENRICHED, node= prefixes, ausearch output)',
  unit: 'line',
  order: 0,
  detect(probe) {
    const lines = probe.head.toString('latin1').split('\n').slice(0, 30);
    if (lines.length > 1 && probe.head.length >= 65536) lines.pop(); // last one may be cut
    let hits = 0;
    let seen = 0;
    for (const l of lines) {
      if (!l.trim()) continue;
      seen++;
      if (DETECT_LINE.test(l) || l.startsWith('----') || l.startsWith('time->')) hits++;
    }
    if (!seen || !hits) return 0;
    return hits / seen >= 0.5 ? 80 : 0;
  },
  createParser: (ctx) => new AuditParser(ctx),
  samples: [
    {
      note: 'ENRICHED kill syscall + OBJ_PID + PROCTITLE (lab Debian 12, auditd 3.0.9)',
      input: [
        'type=SYSCALL msg=audit(1795297725.047:327): arch=c000003e syscall=62 success=yes exit=0 a0=4020 a1=9 a2=0 a3=7fd8fc060ac0 items=0 ppid=16429 pid=16430 auid=1001 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts1 ses=21 comm="kill" exe="/usr/bin/kill" key="lab_signal"\x1dARCH=x86_64 SYSCALL=kill AUID="alice" UID="root" GID="root" EUID="root" SUID="root" FSUID="root" EGID="root" SGID="root" FSGID="root"',
        'type=OBJ_PID msg=audit(1795297725.047:327): opid=16416 oauid=-1 ouid=0 oses=-1 ocomm="ingest-daemon"\x1dOAUID="unset" OUID="root"',
        'type=PROCTITLE msg=audit(1795297725.047:327): proctitle=6B696C6C002D39003136343136',
      ].join('\n'),
      event: { ts_utc_ms: 1795297725047, ts_quality: 'exact', host: null, program: 'audit' },
      facts: [
        { table: 'audit_records', row: { audit_stamp: '1795297725.047:327', audit_serial: 327, record_type: 'SYSCALL' } },
        {
          table: 'signals',
          row: {
            syscall: 'kill', arch: 'x86_64', success: 'yes', sender_pid: 16430, sender_comm: 'kill', sender_user: 'root',
            sender_auid: 1001, sender_auser: 'alice', sender_ses: 21, sender_tty: 'pts1', sender_proctitle: 'kill -9 16416',
            target_pid: 16416, target_comm: 'ingest-daemon', target_ses: null, signal: 9, audit_key: 'lab_signal',
          },
        },
      ],
    },
    {
      note: 'node= prefix, hex proctitle',
      input: 'node=auditdtest.a1959.org type=PROCTITLE msg=audit(1451781471.394:194435): proctitle=737368643A206275726E205B707269765D',
      event: { ts_utc_ms: 1451781471394, host: 'auditdtest.a1959.org', message: 'type=PROCTITLE msg=audit(1451781471.394:194435): proctitle=737368643A206275726E205B707269765D' },
      facts: [{ table: 'audit_records', row: { host: 'auditdtest.a1959.org', fields_json: '{"proctitle":"sshd: burn [priv]"}' } }],
    },
    {
      note: 'sshd USER_LOGIN, ENRICHED (RHEL 9)',
      input: `type=USER_LOGIN msg=audit(1683526166.810:490): pid=13862 uid=0 auid=0 ses=6 subj=system_u:system_r:sshd_t:s0-s0:c0.c1023 msg='op=login id=0 exe="/usr/sbin/sshd" hostname=? addr=192.168.1.8 terminal=/dev/pts/1 res=success'\x1dUID="root" AUID="root" ID="root"`,
      event: { ts_utc_ms: 1683526166810, pid: 13862 },
      facts: [
        {
          table: 'logins',
          row: { kind: 'audit_USER_LOGIN', user: 'root', uid: 0, auid: 0, ses: 6, pid: 13862, from_host: '192.168.1.8', tty: '/dev/pts/1', service: '/usr/sbin/sshd', result: 'success' },
        },
      ],
    },
    {
      note: 'sudo USER_CMD with hex cmd, old sudo without exe= (RHEL 6, go-libaudit)',
      input: `type=USER_CMD msg=audit(1488862769.030:19469538): user pid=3027 uid=497 auid=700 ses=11988 msg='cwd="/" cmd=2F7573722F6C696236342F6E6167696F732F706C7567696E732F636865636B5F617374657269736B5F7369705F7065657273202D7020313037 terminal=? res=success'`,
      facts: [{ table: 'commands', row: { via: 'sudo', uid: 497, auid: 700, ses: 11988, pid: 3027, pwd: '/', tty: null, command: '/usr/lib64/nagios/plugins/check_asterisk_sip_peers -p 107', result: 'success' } }],
    },
    {
      note: 'ANOM_ABEND, RHEL 7 form with reason=',
      input: 'type=ANOM_ABEND msg=audit(1423234994.398:911150): auid=4294967295 uid=48 gid=48 ses=4294967295 subj=system_u:system_r:httpd_t:s0 pid=31242 comm="httpd" reason="memory violation" sig=11',
      facts: [{ table: 'process_ends', row: { kind: 'anom_abend', pid: 31242, comm: 'httpd', uid: 48, auid: null, signal: 11, detail: 'memory violation' } }],
    },
    {
      note: 'old (auditd 1.x) LOGIN syntax',
      input: 'type=LOGIN msg=audit(1337845201.174:94983): pid=25443 uid=0 old auid=4294967295 new auid=0 old ses=4294967295 new ses=1165',
      facts: [{ table: 'logins', row: { kind: 'audit_LOGIN', pid: 25443, auid: 0, ses: 1165 } }],
    },
    {
      note: 'SERVICE_STOP res=failed',
      input: `type=SERVICE_STOP msg=audit(1682200516.830:27): pid=1 uid=0 auid=4294967295 ses=4294967295 subj=system_u:system_r:init_t:s0 msg='unit=mcelog comm="systemd" exe="/usr/lib/systemd/systemd" hostname=? addr=? terminal=? res=failed'\x1dUID="root" AUID="unset"`,
      facts: [{ table: 'services', row: { unit: 'mcelog', action: 'stop', pid: 1, result: 'failed' } }],
    },
    { note: 'stamp without milliseconds', input: 'type=WRONGDATE msg=audit(1337845201): missing milliseconds', skipped: true },
  ],
};
