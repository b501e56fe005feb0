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
  skipped INTEGER NOT NULL DEFAULT 0, -- units not stored, each with a warning
  warnings INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL,               -- ingesting | ok | damaged | duplicate | unknown-format | not-regular | unreadable
  duplicate_of INTEGER,               -- source whose rows already hold this content (prefix)
  dedup_units INTEGER NOT NULL DEFAULT 0, -- leading units found already stored under duplicate_of
  mtime_ms INTEGER,
  time_notes TEXT,                    -- how times were obtained (year inference, zone assumed)
  family TEXT,                        -- rotation family (e.g. /var/log/syslog)
  rotation_rank INTEGER,              -- 0 = live file, higher = older
  note TEXT,
  complete_units INTEGER,             -- units ending in a newline (a torn last line is redone on growth)
  local_lines INTEGER NOT NULL DEFAULT 0, -- stored lines with a local or year-inferred time (what alignment may shift)
  attempt_from INTEGER,               -- set while an ingest of this source is in progress: units kept on rollback
  ingested_at_ms INTEGER
);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY,
  source_id INTEGER NOT NULL REFERENCES sources(id),
  src_line INTEGER NOT NULL,          -- line or record number in the decompressed stream (1-based)
  src_offset INTEGER NOT NULL,        -- byte offset in the decompressed stream
  ts_utc_ms INTEGER,                  -- UTC milliseconds since the epoch
  ts_quality TEXT NOT NULL,           -- exact | year_inferred | local_assumed | uptime_anchored | unknown
  host TEXT,
  program TEXT,
  pid INTEGER,
  uptime_s REAL,                      -- kernel printk time (seconds since boot)
  boot_key TEXT,                      -- boot segment inside the source, or journal boot id
  severity INTEGER,
  raw TEXT NOT NULL,                  -- the unit as read (records: hex)
  msg_start INTEGER,                  -- the message is raw from this character on (not stored twice)
  message_text TEXT,                  -- the message, when it is not a suffix of raw
  message TEXT GENERATED ALWAYS AS (coalesce(message_text, substr(raw, msg_start + 1))) VIRTUAL
);
CREATE INDEX IF NOT EXISTS events_ts ON events(ts_utc_ms);
CREATE INDEX IF NOT EXISTS events_pid ON events(pid);
CREATE INDEX IF NOT EXISTS events_src ON events(source_id, src_line);
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
