import { CORE_SCHEMA } from './core.js';
import { FACT_INDEXES, FACT_SCHEMA } from './facts.js';
import { DERIVED_SCHEMA } from './derived.js';

/** 2: notable_lines, segments and materialized incidents; fact indexes. */
export const SCHEMA_VERSION = 2;
export const SCHEMA_SQL = CORE_SCHEMA + FACT_SCHEMA + FACT_INDEXES + DERIVED_SCHEMA;

/** Tables whose rows carry (source_id, src_line) provenance and belong to a source. */
export const SOURCE_OWNED_TABLES = [
  'events',
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
