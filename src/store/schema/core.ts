// Core tables: the manifest of what was read, every unit stored as an event with its provenance,
// and the warnings. Columns are documented in the README's schema section.
export const CORE_SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT
);
CREATE TABLE IF NOT EXISTS sources (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL UNIQUE,          -- absolute path of the evidence file
  format TEXT NOT NULL,               -- format module name, or 'unknown' / 'not-regular'
  compression TEXT NOT NULL,          -- none | gzip | bzip2 | xz | zstd
  sha256 TEXT,                        -- of the file as stored on disk
  quick_sha256 TEXT,                  -- of its size, first MiB and last MiB (the unchanged check)
  bytes INTEGER,                      -- size on disk
  content_bytes INTEGER,              -- decompressed bytes consumed (whole units only)
  content_sha256 TEXT,                -- sha256 of those decompressed bytes
  first_unit_sha256 TEXT,             -- sha256 of the first unit, to find rotated copies
  units INTEGER NOT NULL DEFAULT 0,   -- lines (text) or records (binary)
  stored INTEGER NOT NULL DEFAULT 0,  -- units present in events (here or in the copy it duplicates)
  skipped INTEGER NOT NULL DEFAULT 0, -- units not stored: with a warning, or normal non-records (empty_units)
  empty_units INTEGER NOT NULL DEFAULT 0, -- skipped units that are normal non-records (blank lines, headers, empty lastlog slots): no warning
  warnings INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL,               -- ingesting | ok | damaged | duplicate | unknown-format | not-regular | unreadable | outside-evidence
  duplicate_of INTEGER,               -- source whose rows already hold this content (prefix)
  dedup_units INTEGER NOT NULL DEFAULT 0, -- leading units found already stored under duplicate_of
  mtime_ms INTEGER,
  time_notes TEXT,                    -- how times were obtained (year inference, zone assumed)
  family TEXT,                        -- rotation family (e.g. /var/log/syslog)
  rotation_rank INTEGER,              -- 0 = live file, higher = older
  note TEXT,
  complete_units INTEGER,             -- units ending in a newline (a torn last line is redone on growth)
  local_lines INTEGER NOT NULL DEFAULT 0, -- stored lines with a local or year-inferred time (what alignment may shift)
  shift_ms INTEGER NOT NULL DEFAULT 0, -- what alignment subtracted from those times (new lines of a grown file get it too)
  host_hint TEXT,                     -- the host of a file that names none (pacct, wtmp, dmesg, audit without node=)
  host_hint_how TEXT,                 -- 'given with --host', or the sibling files it was taken from
  attempt_from INTEGER,               -- set while an ingest of this source is in progress: units kept on rollback
  ingested_at_ms INTEGER
);
-- Stored lines, a block of up to 1000 consecutive lines of one source per row (src/store/lines.ts):
-- these columns say which block holds a line, a time or a pid; the lines are in event_block_data.
CREATE TABLE IF NOT EXISTS event_blocks (
  id INTEGER PRIMARY KEY,
  source_id INTEGER NOT NULL REFERENCES sources(id),
  first_line INTEGER NOT NULL,        -- src_line of its first and last line
  last_line INTEGER NOT NULL,
  lines INTEGER NOT NULL,
  timed INTEGER NOT NULL,             -- lines with a time
  anchorable INTEGER NOT NULL,        -- lines whose time is (to be) taken from their kernel uptime
  ts_min INTEGER, ts_max INTEGER,     -- of its timed lines
  pids BLOB,                          -- its distinct pids, sorted int32 little-endian (NULL: open it to know)
  programs TEXT NOT NULL              -- its distinct program names, each between newlines
);
CREATE INDEX IF NOT EXISTS event_blocks_src ON event_blocks(source_id, first_line);
CREATE INDEX IF NOT EXISTS event_blocks_ts_min ON event_blocks(ts_min);
CREATE INDEX IF NOT EXISTS event_blocks_ts_max ON event_blocks(ts_max);
CREATE TABLE IF NOT EXISTS event_block_data (
  block_id INTEGER PRIMARY KEY,       -- event_blocks.id
  json_bytes INTEGER NOT NULL,        -- size of the JSON text
  data BLOB NOT NULL                  -- zlib of a JSON array of rows (see the events view)
);
-- Every stored line, one row each, as the blocks hold them (decoded by sqlar_uncompress, which the
-- sqlite3 shell has built in). Columns:
--   source_id, src_line (line or record number in the decompressed stream, 1-based), src_offset
--   (byte offset there), ts_utc_ms (UTC ms since the epoch), ts_quality (exact | year_inferred |
--   local_assumed | uptime_anchored | unknown), host, program, pid, uptime_s (printk seconds since
--   boot), boot_key (boot segment in the source, or journal boot id), severity, raw (the unit as
--   read; binary records as hex), message, time_utc (ts_utc_ms as ISO 8601 UTC).
CREATE VIEW IF NOT EXISTS events AS
SELECT b.source_id AS source_id,
  j.value ->> 0 AS src_line, j.value ->> 1 AS src_offset, j.value ->> 2 AS ts_utc_ms, j.value ->> 3 AS ts_quality,
  j.value ->> 4 AS host, j.value ->> 5 AS program, j.value ->> 6 AS pid, j.value ->> 7 AS uptime_s,
  j.value ->> 8 AS boot_key, j.value ->> 9 AS severity, j.value ->> 10 AS raw,
  coalesce(j.value ->> 12, substr(j.value ->> 10, (j.value ->> 11) + 1)) AS message,
  strftime('%Y-%m-%dT%H:%M:%fZ', (j.value ->> 2) / 1000.0, 'unixepoch') AS time_utc
FROM event_blocks b JOIN event_block_data d ON d.block_id = b.id,
  json_each(CAST(sqlar_uncompress(d.data, d.json_bytes) AS TEXT)) j;
CREATE TABLE IF NOT EXISTS warnings (
  id INTEGER PRIMARY KEY,
  source_id INTEGER REFERENCES sources(id),
  src_line INTEGER,                   -- unit number, null for file-level warnings
  src_offset INTEGER,                 -- byte offset (decompressed, or compressed for stream damage)
  message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS warnings_src ON warnings(source_id);
CREATE TABLE IF NOT EXISTS boots (
  id INTEGER PRIMARY KEY,
  host TEXT,
  source_id INTEGER,
  boot_key TEXT,                      -- boot segment key as used in events.boot_key
  boot_utc_ms INTEGER,                -- wall-clock instant of uptime 0
  method TEXT NOT NULL,               -- how the anchor was found
  samples INTEGER
);
`;
