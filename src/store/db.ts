import Database from 'better-sqlite3';
import { SCHEMA_SQL, SCHEMA_VERSION } from './schema/index.js';
import { registerLineFunctions } from './lines.js';

export type Db = Database.Database;

export class CaseDbError extends Error {}

/** Opens (creating if needed) a case database with WAL and the schema applied. */
export function openCaseDb(file: string, opts: { readonly?: boolean } = {}): Db {
  let db: Db;
  try {
    db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  } catch (err) {
    throw new CaseDbError(`cannot open case database ${file}: ${(err as Error).message}`);
  }
  registerLineFunctions(db);
  if (!opts.readonly) {
    // The version is checked before the schema is applied: an older case is refused untouched.
    const hasMeta = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'`).get();
    const row = hasMeta
      ? (db.prepare(`SELECT value FROM meta WHERE key='schema_version'`).get() as { value: string } | undefined)
      : undefined;
    if (row && Number(row.value) !== SCHEMA_VERSION) {
      db.close();
      throw new CaseDbError(`case database ${file} has schema ${row.value}, this procforensics writes ${SCHEMA_VERSION}`);
    }
    db.pragma('journal_mode = WAL');
    // WAL keeps every committed transaction atomic when the process is killed; an OS crash of the
    // analyst's laptop may lose the last batches, which a rerun restores (sources stay 'ingesting').
    db.pragma('synchronous = OFF');
    db.pragma('foreign_keys = OFF');
    db.exec(SCHEMA_SQL);
    if (!row) db.prepare(`INSERT INTO meta(key, value) VALUES ('schema_version', ?)`).run(String(SCHEMA_VERSION));
  }
  db.pragma('cache_size = -32768'); // 32 MiB page cache, whatever the case size
  return db;
}

export function getMeta(db: Db, key: string): string | null {
  const row = db.prepare(`SELECT value FROM meta WHERE key=?`).get(key) as { value: string } | undefined;
  return row ? row.value : null;
}

export function setMeta(db: Db, key: string, value: string): void {
  db.prepare(`INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value`).run(key, value);
}
