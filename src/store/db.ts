import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SCHEMA_SQL, SCHEMA_VERSION } from './schema/index.js';
import { registerLineFunctions } from './lines.js';

export type Db = Database.Database;

export class CaseDbError extends Error {}

/** Opens (creating if needed) a case database with WAL and the schema applied. */
export function openCaseDb(file: string, opts: { readonly?: boolean } = {}): Db {
  let db: Db;
  if (opts.readonly && !fs.existsSync(file)) {
    throw new CaseDbError(`no case database at ${file}: run 'procforensics ingest EVIDENCE --db ${file}' first`);
  }
  try {
    db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  } catch (err) {
    const dir = path.dirname(path.resolve(file));
    let why = (err as Error).message;
    if (!opts.readonly && !fs.existsSync(file)) {
      try {
        fs.accessSync(dir, fs.constants.W_OK);
      } catch {
        why = `the directory ${dir} is not writable (name a case file elsewhere with --db)`;
      }
    }
    throw new CaseDbError(`cannot open case database ${file}: ${why}`);
  }
  registerLineFunctions(db);
  // The version is checked before anything is written: another version's case is refused untouched.
  let version: number | null;
  try {
    version = schemaVersion(db);
  } catch (err) {
    db.close();
    throw new CaseDbError(`${file} is not a procforensics case database (${(err as Error).message})`);
  }
  if (version !== null && version !== SCHEMA_VERSION) {
    db.close();
    throw new CaseDbError(
      version > SCHEMA_VERSION
        ? `case database ${file} was written by a newer procforensics (schema ${version}; this one reads ${SCHEMA_VERSION}): use that version or a newer one`
        : `case database ${file} has schema ${version}, older than this procforensics's ${SCHEMA_VERSION}: ingest the evidence again into a new case (procforensics ingest EVIDENCE --db NEW.db); the old case is left as it is`,
    );
  }
  if (opts.readonly && version === null) {
    db.close();
    throw new CaseDbError(`${file} is not a procforensics case database (no schema version)`);
  }
  if (!opts.readonly) {
    // WAL with NORMAL: every committed transaction survives the process being killed, and an OS
    // crash or power loss of the analyst's laptop loses at most the last batches (which a rerun
    // restores: their sources stay 'ingesting'), never the database's consistency.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = OFF');
    // Only a new case is written to here: an existing one may be in the middle of another
    // process's ingest (whose write lock a schema statement would wait on); ingest itself applies
    // the schema again once it holds the case (src/store/lock.ts).
    if (version === null) {
      db.pragma('journal_mode = WAL');
      db.exec(SCHEMA_SQL);
      db.prepare(`INSERT INTO meta(key, value) VALUES ('schema_version', ?)`).run(String(SCHEMA_VERSION));
    }
  }
  db.pragma('cache_size = -32768'); // 32 MiB page cache, whatever the case size
  return db;
}

/**
 * A case at rest is a rollback-journal file, not WAL: a WAL database cannot be read by a user who
 * cannot create its `-shm` beside it (another analyst, a read-only copy or mount), and SQLite's
 * `immutable` URI is not open to better-sqlite3. Ingest turns WAL on while it writes. Another
 * process still reading keeps the case in WAL (SQLite refuses the switch then); the next ingest
 * tries again.
 */
export function restCase(db: Db): void {
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.pragma('journal_mode = DELETE');
  } catch {
    /* busy: a reader holds the WAL open */
  }
}

/** The case's schema version, or null for an empty (new) database; throws when the file is not SQLite. */
function schemaVersion(db: Db): number | null {
  const hasMeta = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'`).get();
  if (!hasMeta) {
    const any = db.prepare(`SELECT 1 FROM sqlite_master LIMIT 1`).get();
    if (any) throw new Error('it holds other tables');
    return null;
  }
  const row = db.prepare(`SELECT value FROM meta WHERE key='schema_version'`).get() as { value: string } | undefined;
  return row ? Number(row.value) : null;
}

export function getMeta(db: Db, key: string): string | null {
  const row = db.prepare(`SELECT value FROM meta WHERE key=?`).get(key) as { value: string } | undefined;
  return row ? row.value : null;
}

export function setMeta(db: Db, key: string, value: string): void {
  db.prepare(`INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value`).run(key, value);
}
