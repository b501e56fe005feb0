import type { Db } from './db.js';

/** The manifest fields, exactly as `procforensics sources --json` prints them. */
export interface SourceManifestEntry {
  path: string;
  format: string;
  compression: string;
  sha256: string | null;
  bytes: number | null;
  units: number;
  stored: number;
  skipped: number;
  warnings: number;
  status: string;
}

export function listSources(db: Db): SourceManifestEntry[] {
  return db
    .prepare(
      `SELECT path, format, compression, sha256, bytes, units, stored, skipped, warnings, status
       FROM sources WHERE status <> 'ingesting' ORDER BY family, rotation_rank DESC, path`,
    )
    .all() as SourceManifestEntry[];
}

export interface WarningRow {
  path: string;
  src_line: number | null;
  src_offset: number | null;
  message: string;
}

export function listWarnings(db: Db, limit = 1000): WarningRow[] {
  return db
    .prepare(
      `SELECT s.path, w.src_line, w.src_offset, w.message FROM warnings w JOIN sources s ON s.id = w.source_id
       ORDER BY s.path, w.src_line LIMIT ?`,
    )
    .all(limit) as WarningRow[];
}
