// Login sessions rebuilt from wtmp records and wtmpdb rows (the `utmp_records` facts), the way
// util-linux `last -x` does (login-utils/last.c; ../shared/formats.md §4.3, §4.5): a USER_PROCESS
// opens a session on its tty, the next DEAD_PROCESS on that tty (or with that pid) closes it, a
// shutdown record closes every open session ("down"), and a boot record without a shutdown before
// it closes them as "crash". A tty handed to a new login proves the previous session on it was over
// by then, which bounds sessions whose DEAD_PROCESS was never written.
import type { Db } from '../store/db.js';

export type SessionEnd = 'logout' | 'still logged in' | 'reboot' | 'crash' | 'unknown';

export interface SessionRow {
  source_id: number;
  src_line: number;
  path: string;
}

export interface Session {
  user: string;
  tty: string;
  /** ut_host / RemoteHost: the remote end, as the login program wrote it. */
  from_host: string | null;
  /** ut_addr_v6 decoded, when the writer filled it. */
  addr: string | null;
  pid: number | null;
  login_ms: number | null;
  logout_ms: number | null;
  end: SessionEnd;
  /** True when logout_ms is only a bound (tty reused by a later login, or the next boot after a crash). */
  logout_is_bound: boolean;
  file_kind: 'wtmp' | 'wtmpdb';
  /** The records that opened and closed the session. */
  rows: SessionRow[];
}

interface FactRec {
  source_id: number;
  src_line: number;
  path: string;
  family: string | null;
  rotation_rank: number | null;
  file_kind: string;
  ts_utc_ms: number | null;
  ut_type: number;
  pid: number | null;
  line: string | null;
  user: string | null;
  host: string | null;
  addr: string | null;
}

const USER_PROCESS = 7;
const DEAD_PROCESS = 8;
const BOOT_TIME = 2;
const RUN_LVL = 1;
/** RUN_LVL runlevel characters that mean the machine is going down (last.c treats them as shutdown). */
const HALT_RUNLEVELS: ReadonlySet<number> = new Set([0x30, 0x36]);

function loadFacts(db: Db, kind: 'wtmp' | 'wtmpdb'): FactRec[] {
  return db
    .prepare(
      `SELECT u.source_id, u.src_line, s.path, s.family, s.rotation_rank, u.file_kind, u.ts_utc_ms, u.ut_type, u.pid,
              u.line, u.user, u.host, u.addr
         FROM utmp_records u JOIN sources s ON s.id = u.source_id
        WHERE u.file_kind = ? AND s.status <> 'replaced'
        ORDER BY s.family, s.rotation_rank DESC, s.id, u.src_line, u.id`,
    )
    .all(kind) as FactRec[];
}

function rowOf(r: FactRec): SessionRow {
  return { source_id: r.source_id, src_line: r.src_line, path: r.path };
}

function isShutdown(r: FactRec): boolean {
  if (r.ut_type !== RUN_LVL) return false;
  if (r.user === 'shutdown') return true;
  return r.user === 'runlevel' && r.pid !== null && HALT_RUNLEVELS.has(r.pid & 0xff);
}

function isBoot(r: FactRec): boolean {
  return r.ut_type === BOOT_TIME || (r.user === 'reboot' && (r.line ?? '').startsWith('~'));
}

/** wtmp: one pass per rotation family, oldest file first, records in file order. */
function wtmpSessions(facts: FactRec[]): Session[] {
  const done: Session[] = [];
  let i = 0;
  while (i < facts.length) {
    const family = facts[i].family;
    const open = new Map<string, Session>();
    let shutdownMs: number | null = null;
    let sawLive = false;
    const closeAll = (end: SessionEnd, ms: number | null, bound: boolean, r: FactRec) => {
      for (const s of open.values()) {
        s.end = end;
        s.logout_ms = ms;
        s.logout_is_bound = bound;
        s.rows.push(rowOf(r));
        done.push(s);
      }
      open.clear();
    };
    for (; i < facts.length && facts[i].family === family; i++) {
      const r = facts[i];
      if (r.rotation_rank === 0) sawLive = true;
      const tty = r.line ?? '';
      if (r.ut_type === USER_PROCESS && r.user) {
        const prev = open.get(tty);
        if (prev) {
          prev.end = 'unknown';
          prev.logout_ms = r.ts_utc_ms;
          prev.logout_is_bound = true;
          done.push(prev);
        }
        open.set(tty, {
          user: r.user,
          tty,
          from_host: r.host || null,
          addr: r.addr || null,
          pid: r.pid,
          login_ms: r.ts_utc_ms,
          logout_ms: null,
          end: 'still logged in',
          logout_is_bound: false,
          file_kind: 'wtmp',
          rows: [rowOf(r)],
        });
      } else if (r.ut_type === DEAD_PROCESS) {
        let s = open.get(tty);
        let key = tty;
        if (!s && r.pid) {
          for (const [k, v] of open) {
            if (v.pid === r.pid) {
              s = v;
              key = k;
              break;
            }
          }
        }
        if (!s) continue;
        s.end = 'logout';
        s.logout_ms = r.ts_utc_ms;
        s.rows.push(rowOf(r));
        open.delete(key);
        done.push(s);
      } else if (isShutdown(r)) {
        closeAll('reboot', r.ts_utc_ms, false, r);
        shutdownMs = r.ts_utc_ms;
      } else if (isBoot(r)) {
        // Sessions still open at a boot were cut by it; a clean shutdown would have closed them.
        if (shutdownMs === null) closeAll('crash', r.ts_utc_ms, true, r);
        else closeAll('reboot', shutdownMs, false, r);
        shutdownMs = null;
      }
    }
    for (const s of open.values()) {
      // Without the live file the record that closed it may simply be in a newer rotation we lack.
      if (!sawLive) s.end = 'unknown';
      done.push(s);
    }
  }
  return done;
}

/** wtmpdb: each row already is a session; NULL Logout is resolved against the boot rows. */
function wtmpdbSessions(facts: FactRec[]): Session[] {
  const byRow = new Map<string, FactRec[]>();
  for (const r of facts) {
    const k = `${r.source_id}:${r.src_line}`;
    const list = byRow.get(k) ?? [];
    list.push(r);
    byRow.set(k, list);
  }
  const boots = new Map<number, Array<{ login: number; shutdown: number | null; row: FactRec }>>();
  for (const list of byRow.values()) {
    const first = list[0];
    if (first.ut_type !== BOOT_TIME || first.ts_utc_ms === null) continue;
    const b = boots.get(first.source_id) ?? [];
    b.push({ login: first.ts_utc_ms, shutdown: list.find((x) => x.ut_type === RUN_LVL)?.ts_utc_ms ?? null, row: first });
    boots.set(first.source_id, b);
  }
  for (const b of boots.values()) b.sort((x, y) => x.login - y.login);
  const out: Session[] = [];
  for (const list of byRow.values()) {
    const first = list[0];
    if (first.ut_type !== USER_PROCESS) continue;
    const dead = list.find((x) => x.ut_type === DEAD_PROCESS);
    const s: Session = {
      user: first.user ?? '',
      tty: first.line ?? '',
      from_host: first.host || null,
      addr: null,
      pid: null,
      login_ms: first.ts_utc_ms,
      logout_ms: dead?.ts_utc_ms ?? null,
      end: dead ? 'logout' : 'still logged in',
      logout_is_bound: false,
      file_kind: 'wtmpdb',
      rows: [rowOf(first)],
    };
    if (!dead && first.ts_utc_ms !== null) {
      const b = boots.get(first.source_id) ?? [];
      const login = first.ts_utc_ms;
      const within = [...b].reverse().find((x) => x.login <= login);
      const next = b.find((x) => x.login > login);
      if (next) {
        if (within?.shutdown != null && within.shutdown >= login) {
          s.end = 'reboot';
          s.logout_ms = within.shutdown;
          s.rows.push(rowOf(within.row));
        } else {
          s.end = 'crash';
          s.logout_ms = next.login;
          s.logout_is_bound = true;
          s.rows.push(rowOf(next.row));
        }
      }
    }
    out.push(s);
  }
  return out;
}

/** Every login session found in wtmp and wtmpdb, ordered by login time. */
export function reconstructSessions(db: Db): Session[] {
  const all = [...wtmpSessions(loadFacts(db, 'wtmp')), ...wtmpdbSessions(loadFacts(db, 'wtmpdb'))];
  return all.sort((a, b) => (a.login_ms ?? 0) - (b.login_ms ?? 0));
}

/** Who was logged in at `ts_ms`, and from where (sessions opened at or before it and not yet over). */
export function sessionsAt(db: Db, ts_ms: number, sessions: Session[] = reconstructSessions(db)): Session[] {
  return sessions.filter((s) => s.login_ms !== null && s.login_ms <= ts_ms && (s.logout_ms === null || s.logout_ms >= ts_ms));
}
