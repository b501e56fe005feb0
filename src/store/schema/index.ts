import { CORE_SCHEMA } from './core.js';
import { FACT_INDEXES, FACT_SCHEMA } from './facts.js';
import { DERIVED_SCHEMA } from './derived.js';

/** 2: notable_lines, segments and materialized incidents; fact indexes. 3: lines in deflated blocks (the events view). */
export const SCHEMA_VERSION = 3;
export const SCHEMA_SQL = CORE_SCHEMA + FACT_SCHEMA + FACT_INDEXES + DERIVED_SCHEMA;

/** Tables whose rows carry (source_id, src_line) provenance and belong to a source (the line blocks are cut by BlockEditor.truncate). */
export const SOURCE_OWNED_TABLES = [
  'warnings',
  'audit_records',
  'signals',
  'logins',
  'commands',
  'process_ends',
  'services',
  'utmp_records',
  'pacct_records',
  'ps_snapshot',
  'boot_anchors',
  'audit_loss',
  'tz_offsets',
  'notable_lines',
] as const;

/**
 * Tables whose `ts_utc_ms` is the time of the line each row came from: when a pass corrects a
 * line's time (alignment shifts a local file, anchoring re-times an uptime line), these rows
 * follow. boot_anchors is the exception for anchoring: its rows keep the syslog daemon's own
 * stamp, which is the evidence anchoring reads.
 */
export const LINE_TIMED_TABLES = [
  'signals', 'logins', 'commands', 'process_ends', 'services', 'audit_loss', 'audit_records', 'boot_anchors', 'notable_lines',
] as const;
