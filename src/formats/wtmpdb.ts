// wtmpdb (thkukuk/wtmpdb): the SQLite successor of wtmp, `/var/lib/wtmpdb/wtmp.db` (and rotated
// `wtmp_<yyyymmdd>.db`), one row per session or boot.
//
//   INSERT INTO wtmp (Type,User,Login,Logout,TTY,RemoteHost,Service) VALUES (3,'mallory',1788260000000000,NULL,'pts/2','203.0.113.66','sshd');
//   (real fixture, formats.md §4.5)
//
// Schema (lib/sqlite.c): wtmp(ID INTEGER PRIMARY KEY, Type INTEGER, User TEXT NOT NULL, Login INTEGER,
// Logout INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT) [STRICT]. Type uses wtmpdb's own numbers
// (include/wtmpdb.h: EMPTY 0, BOOT_TIME 1, RUNLEVEL 2, USER_PROCESS 3), not utmp's. Login/Logout are
// MICROseconds since the epoch; Logout is filled in later, so NULL means still open or never closed
// (a boot row with NULL Logout followed by another boot = unclean shutdown). Boot rows: User
// 'reboot' (or 'soft-reboot'), TTY '~', RemoteHost = kernel release, Login = kernel boot time.
//
// The file is SQLite, not a byte stream: `readUnits` yields one unit per row (bytes = the row as
// JSON), read with better-sqlite3 in read-only mode. A WAL database (or one with a -wal file next to
// it) is copied to a temporary directory first, because even a read-only open would create a -shm
// file beside the evidence.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { byteSource, isEntry } from '../sources/bytes.js';
import type { FormatModule, ParseOutput, Unit, UnitParser } from './types.js';
import { UT_TYPE, type UtTypeName } from './utmp.js';

const SQLITE_MAGIC = 'SQLite format 3\0';

/** wtmpdb Type numbers (include/wtmpdb.h) and the utmp type each one corresponds to. */
export const WTMPDB_TYPE: Readonly<Record<number, { name: string; utType: UtTypeName }>> = {
  0: { name: 'EMPTY', utType: 'EMPTY' },
  1: { name: 'BOOT_TIME', utType: 'BOOT_TIME' },
  2: { name: 'RUNLEVEL', utType: 'RUN_LVL' },
  3: { name: 'USER_PROCESS', utType: 'USER_PROCESS' },
};

export interface WtmpdbRow {
  ID: number;
  Type: number | null;
  User: string | null;
  Login: number | null;
  Logout: number | null;
  TTY: string | null;
  RemoteHost: string | null;
  Service: string | null;
}

/** A unit that carries a read error instead of a row (readUnits must not throw into the pipeline). */
interface ErrorUnit {
  __error: string;
}

function unitOf(index: number, obj: unknown): Unit {
  const text = JSON.stringify(obj);
  return { index, offset: 0, bytes: Buffer.from(text, 'utf8'), text, truncated: false };
}

function isWalMode(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const h = Buffer.alloc(20);
    fs.readSync(fd, h, 0, 20, 0);
    // Bytes 18/19: file format write/read version, 2 = WAL (sqlite fileformat2 §1.3).
    return h[18] === 2 || h[19] === 2;
  } finally {
    fs.closeSync(fd);
  }
}

/** An archived wtmpdb is read in memory up to this size (a year of logins is a few MiB). */
const WTMPDB_MAX_BYTES = 128 * 1024 * 1024;

export async function* readWtmpdbRows(file: string): AsyncGenerator<Unit> {
  let index = 0;
  let tmpDir: string | null = null;
  let db: Database.Database | null = null;
  try {
    let target = file;
    if (isEntry(file)) {
      // An archive entry: SQLite reads it from memory (a WAL-mode header is read as rollback mode,
      // since a -wal beside it is not part of this entry).
      const src = byteSource(file);
      if (src.size > WTMPDB_MAX_BYTES) throw new Error(`${src.size} bytes inside an archive, more than the ${WTMPDB_MAX_BYTES} read in memory`);
      const bytes = Buffer.from(await src.read(0, src.size));
      if (bytes.length > 19 && (bytes[18] === 2 || bytes[19] === 2)) bytes[18] = bytes[19] = 1;
      db = new Database(bytes, { readonly: true });
    } else if (fs.existsSync(file + '-wal') || isWalMode(file)) {
      tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'procforensics-wtmpdb-'));
      target = path.join(tmpDir, 'wtmp.db');
      fs.copyFileSync(file, target);
      if (fs.existsSync(file + '-wal')) fs.copyFileSync(file + '-wal', target + '-wal');
      db = new Database(target, { fileMustExist: true }); // our copy: may replay the WAL
    } else {
      db = new Database(target, { readonly: true, fileMustExist: true });
    }
    const stmt = db.prepare('SELECT ID, Type, User, Login, Logout, TTY, RemoteHost, Service FROM wtmp ORDER BY ID');
    for (const row of stmt.iterate()) {
      index++;
      yield unitOf(index, row);
    }
  } catch (err) {
    index++;
    const e: ErrorUnit = { __error: `cannot read wtmpdb ${file}: ${(err as Error).message}` };
    yield unitOf(index, e);
  } finally {
    try {
      db?.close();
    } catch {
      /* already closed */
    }
    if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
  }
}

function usecToMs(us: number | null): number | null {
  return typeof us === 'number' && Number.isFinite(us) && us > 0 ? Math.floor(us / 1000) : null;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

class WtmpdbParser implements UnitParser {
  parse(unit: Unit, out: ParseOutput): void {
    let obj: Partial<WtmpdbRow> & Partial<ErrorUnit>;
    try {
      obj = JSON.parse(unit.text || unit.bytes.toString('utf8'));
    } catch {
      out.skip('wtmpdb unit is not a JSON row');
      return;
    }
    if (obj.__error) {
      out.warn(obj.__error);
      out.skip('wtmpdb could not be read');
      return;
    }
    const type = typeof obj.Type === 'number' ? obj.Type : -1;
    const known = WTMPDB_TYPE[type];
    const user = obj.User ?? '';
    const tty = obj.TTY ?? '';
    const remote = obj.RemoteHost ?? '';
    const service = obj.Service ?? '';
    const loginMs = usecToMs(obj.Login ?? null);
    const logoutMs = usecToMs(obj.Logout ?? null);
    const utName: UtTypeName | null = known ? known.utType : null;
    const isBoot = utName === 'BOOT_TIME';
    const parts: string[] = [known ? known.name : `TYPE_${type}`, user];
    if (isBoot) {
      parts.push('system boot');
      if (remote) parts.push(`kernel ${remote}`);
      parts.push(logoutMs !== null ? `shutdown ${iso(logoutMs)}` : 'no shutdown recorded');
    } else {
      if (tty) parts.push(tty);
      if (remote) parts.push(`from ${remote}`);
      if (service) parts.push(`via ${service}`);
      parts.push(logoutMs !== null ? `logout ${iso(logoutMs)}` : 'no logout recorded');
    }
    out.event({
      ts_utc_ms: loginMs,
      ts_quality: loginMs === null ? 'unknown' : 'exact',
      host: null,
      program: 'wtmpdb',
      pid: null,
      message: parts.filter(Boolean).join(' '),
    });
    if (!known) out.warn(`wtmpdb Type ${type} is not one of 0..3`);
    const base = { file_kind: 'wtmpdb', ut_id: String(obj.ID ?? ''), pid: null, session: null, record_size: null };
    out.fact('utmp_records', {
      ...base,
      ts_utc_ms: loginMs,
      ut_type: utName ? UT_TYPE[utName] : type,
      type_name: utName ?? `WTMPDB_TYPE_${type}`,
      line: tty,
      user,
      host: remote,
      addr: null,
    });
    // The logout (or shutdown) is a second moment of the same row: stored as the record utmp would
    // have written then, so sessions are rebuilt the same way for both sources.
    if (logoutMs !== null) {
      out.fact('utmp_records', {
        ...base,
        ts_utc_ms: logoutMs,
        ut_type: isBoot ? UT_TYPE.RUN_LVL : UT_TYPE.DEAD_PROCESS,
        type_name: isBoot ? 'RUN_LVL' : 'DEAD_PROCESS',
        line: isBoot ? '~' : tty,
        user: isBoot ? 'shutdown' : user,
        host: remote,
        addr: null,
      });
    }
    if (isBoot && loginMs !== null) {
      // wtmpdb boot Login = realtime - CLOCK_BOOTTIME: the kernel's boot instant, uptime 0.
      out.fact('boot_anchors', { host: null, boot_key: null, uptime_s: 0, ts_utc_ms: loginMs, kind: 'wtmpdb-boot', text_key: remote || null });
    }
  }

  timeNotes(): string {
    return 'wtmpdb: Login/Logout are epoch microseconds (exact)';
  }
}

export const wtmpdb: FormatModule = {
  name: 'wtmpdb',
  description: 'wtmpdb SQLite login database (/var/lib/wtmpdb/wtmp.db): one row per session or boot',
  // Units are JSON rows, treated like lines (no fixed record size).
  unit: 'line',
  order: 0,
  detect(probe) {
    if (probe.head.length < 100 || probe.head.toString('latin1', 0, 16) !== SQLITE_MAGIC) return 0;
    // sqlite_master lives on page 1: the CREATE TABLE text is in the first bytes.
    const text = probe.head.toString('latin1');
    return /CREATE TABLE[^(]*\bwtmp\s*\(\s*ID INTEGER PRIMARY KEY/i.test(text) && /\bLogout\b/.test(text) && /\bRemoteHost\b/.test(text) ? 80 : 0;
  },
  readUnits: readWtmpdbRows,
  createParser: () => new WtmpdbParser(),
  samples: [
    {
      note: 'formats.md §4.5 fixture row: open sshd session of mallory',
      input: JSON.stringify({ ID: 7, Type: 3, User: 'mallory', Login: 1788260000000000, Logout: null, TTY: 'pts/2', RemoteHost: '203.0.113.66', Service: 'sshd' }),
      event: { ts_utc_ms: 1788260000000, ts_quality: 'exact', program: 'wtmpdb', message: 'USER_PROCESS mallory pts/2 from 203.0.113.66 via sshd no logout recorded' },
      facts: [{ table: 'utmp_records', row: { file_kind: 'wtmpdb', ut_type: 7, type_name: 'USER_PROCESS', user: 'mallory', line: 'pts/2', host: '203.0.113.66', ut_id: '7' } }],
    },
    {
      note: 'boot row closed by wtmpdb shutdown',
      input: JSON.stringify({ ID: 1, Type: 1, User: 'reboot', Login: 1788250000123456, Logout: 1788259999000000, TTY: '~', RemoteHost: '6.12.0-1-amd64', Service: null }),
      event: { ts_utc_ms: 1788250000123, message: 'BOOT_TIME reboot system boot kernel 6.12.0-1-amd64 shutdown 2026-09-01T10:53:19.000Z' },
      facts: [
        { table: 'utmp_records', row: { type_name: 'BOOT_TIME', ut_type: 2, ts_utc_ms: 1788250000123 } },
        { table: 'utmp_records', row: { type_name: 'RUN_LVL', user: 'shutdown', ts_utc_ms: 1788259999000 } },
        { table: 'boot_anchors', row: { kind: 'wtmpdb-boot', uptime_s: 0, ts_utc_ms: 1788250000123 } },
      ],
    },
  ],
};
