// Derived tables: written by ingest so that the reading commands (incidents, report) never scan
// the events table.
import { TIME_QUALITIES } from '../../formats/types.js';

/** The time-quality ranking (TIME_QUALITIES, best first) as an SQL expression over a column. */
function QUALITY_RANK_SQL(column: string): string {
  return `CASE ${column} ${TIME_QUALITIES.map((q, i) => `WHEN '${q}' THEN ${i}`).join(' ')} ELSE ${TIME_QUALITIES.length} END`;
}

export const DERIVED_SCHEMA = `
-- Stored lines the correlation reads by kind (the kernel OOM report, crash and panic lines, fork
-- rejections, rate-limit notices, shutdown markers, bare continuation lines), with the columns of
-- the line it reads: kept by the writer as the line is stored, so that no reading command opens
-- the line blocks for them. Times follow the line when alignment or anchoring corrects it.
CREATE TABLE IF NOT EXISTS notable_lines (
  source_id INTEGER NOT NULL, src_line INTEGER NOT NULL, src_offset INTEGER NOT NULL,
  kind TEXT NOT NULL,                 -- oom | crash | fork | panic | ratelimit | shutdown | bare
  ts_utc_ms INTEGER, ts_quality TEXT NOT NULL, host TEXT, program TEXT, pid INTEGER,
  uptime_s REAL, boot_key TEXT, message TEXT NOT NULL, raw TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS notable_lines_kind ON notable_lines(kind, source_id, src_line);
CREATE INDEX IF NOT EXISTS notable_lines_text ON notable_lines(kind, message);

-- The same kernel or daemon line copied into several files (kern.log, syslog, messages, a dmesg
-- dump): for each notable line but the bare ones, the copy a verdict cites, canonical_source_id
-- and canonical_src_line. Copies have the same kind and message (stamps stripped), no host
-- that differs, and the same printk uptime, or, without one, times within 2 s; the canonical
-- one has the best time quality (src/time/quality.ts), then the lowest source id and line.
CREATE VIEW IF NOT EXISTS notable_copies AS
SELECT n.source_id, n.src_line, n.kind, c.source_id AS canonical_source_id, c.src_line AS canonical_src_line,
       (c.source_id = n.source_id AND c.src_line = n.src_line) AS is_canonical
FROM notable_lines n
JOIN notable_lines c ON c.rowid = (
  SELECT x.rowid FROM notable_lines x
  WHERE x.kind = n.kind AND x.message = n.message
    AND (x.host IS NULL OR n.host IS NULL OR x.host = n.host)
    AND (CASE WHEN x.uptime_s IS NOT NULL AND n.uptime_s IS NOT NULL THEN abs(x.uptime_s - n.uptime_s) < 0.000002
              ELSE abs(x.ts_utc_ms - n.ts_utc_ms) <= 2000 END)
  ORDER BY ${QUALITY_RANK_SQL('x.ts_quality')}, x.source_id, x.src_line LIMIT 1)
WHERE n.kind <> 'bare';

-- One row per (source, boot segment): the time span, host and line counts the events show.
-- Summed by the writer as lines are stored; recomputed from the events of a source whose times
-- alignment or anchoring changed.
CREATE TABLE IF NOT EXISTS segments (
  source_id INTEGER NOT NULL,
  boot_key TEXT,
  host TEXT,                          -- MAX(host) of the segment's timed lines
  first_ms INTEGER, last_ms INTEGER,  -- of its timed lines
  timed_lines INTEGER NOT NULL,       -- lines with a time
  host_lines INTEGER NOT NULL,        -- timed lines that name a host
  kernel_lines INTEGER NOT NULL       -- lines of program 'kernel'
);
CREATE INDEX IF NOT EXISTS segments_src ON segments(source_id);

-- Every disappearance found, materialized at the end of ingest (newest first is by time_ms).
-- 'json' is the incident exactly as 'procforensics incidents --json' prints it.
CREATE TABLE IF NOT EXISTS incidents (
  id TEXT NOT NULL,                   -- host-pid-epochseconds, as 'report --incident' takes it
  pid INTEGER NOT NULL,
  comm TEXT,
  host TEXT,
  time_ms INTEGER,
  time_utc TEXT,                      -- ISO 8601 UTC of time_ms
  cause TEXT NOT NULL,
  signal INTEGER,
  confidence TEXT,
  summary TEXT,
  json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS incidents_pid ON incidents(pid);
CREATE INDEX IF NOT EXISTS incidents_id ON incidents(id);
CREATE INDEX IF NOT EXISTS incidents_time ON incidents(time_ms);

-- The incidents' evidence, alternatives and missing evidence, one row each, to join with sources
-- and events (source_path = sources.path, line = events.src_line):
--   SELECT i.id, e.role, e.line, e.text FROM incident_evidence e JOIN incidents i USING (id) WHERE i.pid = 14134
CREATE VIEW IF NOT EXISTS incident_evidence AS
SELECT i.id AS id, j.key AS ord, j.value ->> 'source' AS source_path, j.value ->> 'line' AS line,
       j.value ->> 'time' AS time_utc, j.value ->> 'time_quality' AS time_quality, j.value ->> 'role' AS role,
       coalesce(j.value ->> 'decisive', 0) AS decisive, j.value ->> 'text' AS text
FROM incidents i, json_each(i.json, '$.evidence') j;
CREATE VIEW IF NOT EXISTS incident_alternatives AS
SELECT i.id AS id, j.key AS ord, j.value AS text FROM incidents i, json_each(i.json, '$.alternatives') j;
CREATE VIEW IF NOT EXISTS incident_missing_evidence AS
SELECT i.id AS id, j.key AS ord, j.value AS text FROM incidents i, json_each(i.json, '$.missing_evidence') j;

-- What each cause module proposed (src/correlate/*.ts), materialized with the incidents so that
-- 'report --pid' and 'incidents --pid' read one pid's candidates by index. Ordinary pacct records
-- are not here: they are read by pid when asked.
CREATE TABLE IF NOT EXISTS candidates (
  pid INTEGER NOT NULL,
  cause TEXT NOT NULL,
  json TEXT NOT NULL                  -- the candidate, with the hosts of its evidence lines
);
CREATE INDEX IF NOT EXISTS candidates_pid ON candidates(pid);
`;
