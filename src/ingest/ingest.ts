// The ingest pipeline: discover → order rotations → detect format → parse units → batched
// writes, one source at a time, with idempotence (unchanged files are skipped, grown files
// resume, rotated copies are recognised) and crash safety (a source is 'ingesting' until the
// transaction that completes it; a rerun removes what an interrupted attempt left).
import crypto from 'node:crypto';
import fs from 'node:fs';
import { discover, type FoundFile } from '../sources/discover.js';
import { DEFAULT_DECODE_LIMITS, openDecoded, gzipHeaderMtime, type Compression, type DecodeLimits } from '../sources/decompress.js';
import { listTar, listZip, isTar, isZip, type ArchiveListing } from '../sources/archive.js';
import { byteSource, releaseEntry } from '../sources/bytes.js';
import { commandOutput, findSupportconfigs, parseDate, parseDateUtc, parseTimedatectl, parseUptime, selectSosReports, type SosReport, type Supportconfig } from '../sources/sosreport.js';
import path from 'node:path';
import { orderRotations, stripCompressionSuffix, type Rotation } from '../sources/rotation.js';
import { oneByOne, splitLineBatches, splitRecordBatches } from '../sources/units.js';
import { isLineNumbered, unnumberedBatches, unnumberedProbe } from '../sources/numbered.js';
import { FORMATS } from '../formats/registry.js';
import { detectBest, type EventRow, type FactRow, type FactTable, type FormatModule, type ParseContext, type ParseOutput, type Probe, type RecordStart, type Unit } from '../formats/types.js';
import { getMeta, openCaseDb, restCase, setMeta, type Db } from '../store/db.js';
import { refreshDerived, refreshSegments } from './derived.js';
import { refreshHostHints, setGivenHost } from './hosts.js';
import { UsageError } from '../errors.js';
import { BatchWriter } from '../store/writer.js';
import { BlockEditor } from '../store/lines.js';
import { claimWriter } from '../store/lock.js';
import { SCHEMA_SQL, SOURCE_OWNED_TABLES } from '../store/schema/index.js';
import { runPostPasses } from './postpasses.js';
import { inferOffsetContext } from '../time/zone-inference.js';
import { civilToMs, ZoneConverter } from '../time/civil.js';
import { parseBootTime } from '../time/anchor.js';

export { UsageError };

/**
 * Indexes a first ingest builds once at the end (a sorted build is cheaper than keeping B-trees up
 * to date row by row): every index of the schema but the few that ingest itself looks up.
 */
const INGEST_TIME_INDEXES: ReadonlySet<string> = new Set(['warnings_src', 'incidents_pid', 'incidents_time', 'incidents_id', 'candidates_pid', 'segments_src']);
const DEFERRED_INDEXES = [...SCHEMA_SQL.matchAll(/CREATE INDEX IF NOT EXISTS (\w+)/g)].map((m) => m[1]!).filter((n) => !INGEST_TIME_INDEXES.has(n));

export interface IngestOptions {
  db: string;
  tz?: string | null;
  /** Boot time (ISO 8601 or epoch seconds) given by the user for uptime-only kernel lines. */
  bootTime?: string | null;
  onProgress?: (p: IngestProgress) => void;
  /** Called once per file when it is done. */
  onFile?: (s: SourceSummary) => void;
  /** Hash every file in full, even those whose size, mtime and ends match what is stored. */
  verify?: boolean;
  /** Where `tz` came from when the user did not give it (the evidence's etc/timezone or etc/localtime). */
  tzFrom?: string;
  /** The host of the files of this run that name none (pacct, wtmp, dmesg, audit without node=). */
  host?: string | null;
  /** Caps on what one compressed file may expand to (DEFAULT_DECODE_LIMITS when not given). */
  maxDecompressedBytes?: number;
  maxRatio?: number;
  /** Bytes of compressed-tar entries kept in memory (tests lower it to read every entry by the cursor). */
  archiveMemoryBytes?: number;
}

export interface IngestProgress {
  filesDone: number;
  filesTotal: number;
  /** Bytes of the files done, plus what was read of the current one. */
  bytesDone: number;
  bytesTotal: number;
  unitsDone: number;
  current: string | null;
}

export interface SourceSummary {
  path: string;
  format: string;
  compression: Compression | 'none';
  status: string;
  units: number;
  stored: number;
  skipped: number;
  /** Of the skipped units, those that are normal non-records (blank lines, headers, empty lastlog slots). */
  empty?: number;
  warnings: number;
  newEvents: number;
}

export interface IngestResult {
  files: number;
  newEvents: number;
  units: number;
  skipped: number;
  /** Of the skipped units, the normal non-records (no warning). */
  empty: number;
  warnings: number;
  damaged: number;
  unknown: number;
  unchanged: number;
  elapsed_ms: number;
  sources: SourceSummary[];
}

/** Cap on warning rows kept per source and message kind; the count in `sources.warnings` stays exact. */
const WARNINGS_PER_KIND = 50;
const PROBE_BYTES = 64 * 1024;
const SPARSE_HASH_LIMIT = 64 * 1024 * 1024;

function decodeLimits(opts: IngestOptions): DecodeLimits {
  return {
    maxBytes: opts.maxDecompressedBytes ?? DEFAULT_DECODE_LIMITS.maxBytes,
    maxRatio: opts.maxRatio ?? DEFAULT_DECODE_LIMITS.maxRatio,
  };
}

class RestartAttempt extends Error {
  constructor(readonly excludeSource: number) {
    super('restart');
  }
}

export async function ingest(inputs: string[], given: IngestOptions): Promise<IngestResult> {
  const started = Date.now();
  let opts = given;
  if (opts.tz && !ZoneConverter.isValid(opts.tz)) throw new UsageError(`--tz: unknown IANA time zone '${opts.tz}'`);
  if (opts.bootTime && parseBootTime(opts.bootTime) === null) {
    throw new UsageError(`--boot-time: '${opts.bootTime}' is neither epoch seconds nor an ISO 8601 time with a UTC offset (e.g. 2026-11-21T08:00:00Z)`);
  }
  for (const p of inputs) {
    if (!fs.existsSync(p)) throw new UsageError(`no such file or directory: ${p}`);
  }
  const db = openCaseDb(opts.db);
  let release: (() => void) | null = null;
  const archives: ArchiveListing[] = [];
  try {
    // Before recovery: what looks interrupted may be another ingest's work in progress.
    release = claimWriter(db, opts.db);
    // While it is written the case is WAL, so readers keep reading (src/store/db.ts says why it rests in rollback mode).
    db.pragma('journal_mode = WAL');
    // The schema once more, now that the case is ours: a killed first run gets its deferred indexes back.
    db.exec(SCHEMA_SQL);
    recoverInterrupted(db);
    const fresh = !db.prepare(`SELECT 1 FROM event_blocks LIMIT 1`).get();
    if (fresh) for (const ix of DEFERRED_INDEXES) db.exec(`DROP INDEX IF EXISTS ${ix}`);
    // New options change what the whole-case passes conclude, even over unchanged files.
    let optionsChanged = false;
    if (opts.tz && getMeta(db, 'tz') !== opts.tz) {
      setMeta(db, 'tz', opts.tz);
      optionsChanged = true;
    }
    if (opts.bootTime && getMeta(db, 'boot_time') !== opts.bootTime) {
      setMeta(db, 'boot_time', opts.bootTime);
      optionsChanged = true;
    }
    // The case keeps what it was told: --tz and --boot-time given once hold for later runs.
    opts = { ...opts, tz: opts.tz ?? getMeta(db, 'tz'), bootTime: opts.bootTime ?? getMeta(db, 'boot_time') };
    const found = await discover(inputs);
    const dbReal = safeRealpath(opts.db);
    const inputFiles = found.filter((f) => f.path !== dbReal && !f.path.startsWith(dbReal + '-'));
    // An archive stored before and unchanged is not decoded again: its entries' rows stand (reused).
    const reused: SourceSummary[] = [];
    const expanded = await expandArchives(db, inputFiles, decodeLimits(opts), archives, {
      memoryBytes: opts.archiveMemoryBytes,
      onProgress: opts.onProgress,
      reuse: !opts.verify,
      reused,
    });
    // A sosreport among them: its logs are read, the rest counted (src/sources/sosreport.ts).
    const sos = selectSosReports(expanded);
    const files = sos.files;
    const timeFiles = sos.reports.flatMap((r) => [...r.timeFiles.values()]);
    // The host's own zone, when the evidence carries it (a sosreport's etc/timezone or its
    // etc/localtime link): used for local stamps when --tz is not given.
    if (!opts.tz) {
      // Else what an archive not read again this time said of it.
      const zone = (await evidenceZone([...files, ...timeFiles])) ?? (reused.length ? storedZone(db) : null);
      if (zone) opts = useZone(db, opts, zone);
    }
    const bundles: Array<{ prefix: string; told: BundleTimes }> = [];
    for (const rep of sos.reports) bundles.push({ prefix: rep.prefix, told: await recordSosReport(db, rep, opts.tz ?? null) });
    for (const scc of findSupportconfigs(files)) {
      const told = await recordSupportconfig(db, scc);
      bundles.push({ prefix: scc.prefix, told });
      if (!opts.tz && told.zone) opts = useZone(db, opts, told.zone);
    }
    for (const { prefix, told } of bundles) {
      if (told.collected_ms !== null) for (const f of files) if (f.path.startsWith(prefix)) f.collected_ms = told.collected_ms;
      if (told.boot && !opts.bootTime) setMeta(db, 'boot_evidence', JSON.stringify(told.boot));
    }
    const jobs = await planJobs(files);
    // A damaged archive (cut short, its compression broken) counts as a damaged input of its own.
    const damagedArchives = archives.filter((a) => a.damage).length;
    const result: IngestResult = {
      files: jobs.length + reused.length,
      newEvents: 0,
      units: 0,
      skipped: 0,
      empty: 0,
      warnings: damagedArchives,
      damaged: damagedArchives,
      unknown: 0,
      unchanged: 0,
      elapsed_ms: 0,
      sources: [],
    };
    const progress: IngestProgress = {
      filesDone: 0,
      filesTotal: jobs.length,
      bytesDone: 0,
      bytesTotal: jobs.reduce((a, j) => a + j.file.size, 0),
      unitsDone: 0,
      current: null,
    };
    for (const summary of reused) {
      opts.onFile?.(summary);
      tally(result, summary);
    }
    for (const job of jobs) {
      progress.current = job.file.path;
      opts.onProgress?.(progress);
      const before = progress.bytesDone;
      const summary = await ingestOne(db, job, opts, progress);
      releaseEntry(job.file.path);
      progress.filesDone++;
      progress.bytesDone = before + job.file.size;
      opts.onProgress?.(progress);
      opts.onFile?.(summary);
      tally(result, summary);
    }
    // (A second sorter thread, PRAGMA threads, builds them ~15 % faster for 64 MiB more: not worth it.)
    if (fresh) db.exec(SCHEMA_SQL);
    // Whole-case work runs only when something changed: an unchanged tree is re-read in the time
    // it takes to hash it.
    const changed = result.sources.filter((s) => s.status !== 'unchanged').map((s) => s.path);
    if (changed.length || optionsChanged || opts.host || !getMeta(db, 'derived_at')) {
      // Each source's writer summarised its segments; only sources whose times a pass changed are
      // summarised again from their events.
      const bootEvidence = getMeta(db, 'boot_evidence');
      const touched = runPostPasses(db, {
        tz: opts.tz ?? null,
        bootTime: opts.bootTime ?? null,
        bootHint: bootEvidence ? (JSON.parse(bootEvidence) as { ms: number; from: string }) : null,
      });
      if (opts.host) {
        const ids = db.prepare(`SELECT id FROM sources WHERE path = ?`).pluck();
        setGivenHost(db, result.sources.map((x) => ids.get(x.path) as number).filter((id) => id !== undefined), opts.host);
      }
      refreshSegments(db, touched);
      refreshHostHints(db);
      refreshDerived(db, new Set());
      db.pragma('wal_checkpoint(TRUNCATE)');
    }
    result.elapsed_ms = Date.now() - started;
    return result;
  } finally {
    for (const a of archives) a.dispose();
    if (release) {
      release();
      restCase(db);
    }
    db.close();
  }
}


function tally(result: IngestResult, summary: SourceSummary): void {
  result.sources.push(summary);
  result.newEvents += summary.newEvents;
  result.units += summary.units;
  result.skipped += summary.skipped;
  result.empty += summary.empty ?? 0;
  result.warnings += summary.warnings;
  if (summary.status === 'damaged') result.damaged++;
  if (summary.status === 'unknown-format') result.unknown++;
  if (summary.status === 'unchanged') result.unchanged++;
}

/**
 * The entries of an archive stored before, whole, and unchanged (size, mtime, first and last MiB,
 * as for any file), as unchanged summaries of their stored rows; null when it must be read. A
 * rerun over a tarball then takes the time of hashing two MiB of it, not of decoding it.
 */
async function reuseArchive(db: Db, f: FoundFile): Promise<SourceSummary[] | null> {
  const row = db.prepare(`SELECT bytes, mtime_ms, quick_sha256, status FROM sources WHERE path = ?`).get(f.path) as
    | { bytes: number; mtime_ms: number | null; quick_sha256: string | null; status: string }
    | undefined;
  if (!row || row.status !== 'archive' || row.bytes !== f.size || row.mtime_ms === null || Math.abs(row.mtime_ms - f.mtime_ms) >= 1 || !row.quick_sha256) return null;
  if (row.quick_sha256 !== (await quickSha256(f.path, f.size))) return null;
  const rows = db
    .prepare(
      `SELECT path, format, compression, status, units, stored, skipped, empty_units, warnings FROM sources
       WHERE substr(path, 1, ?) = ? AND status NOT IN ('replaced', 'ingesting')`,
    )
    .all(f.path.length + 1, f.path + '!') as Array<SourceSummary & { empty_units: number }>;
  // Anything damaged is read again (a file a cap cut resumes); an archive inside or a bundle's own row is no source of lines.
  if (!rows.length || rows.some((r) => r.status === 'damaged')) return null;
  return rows
    .filter((r) => r.status !== 'archive' && r.status !== 'sosreport' && r.status !== 'supportconfig')
    .map((r) => ({ path: r.path, format: r.format, compression: r.compression, status: 'unchanged', units: r.units, stored: r.stored, skipped: r.skipped, empty: r.empty_units, warnings: r.warnings, newEvents: 0 }));
}

function safeRealpath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

interface Job {
  file: FoundFile;
  rotation: Rotation;
  rank: number;
  format: FormatModule | null;
  probe: Probe | null;
  compression: Compression;
  recordSize: number;
  /** quickSha256 of the file, stored with the source for the next unchanged check. */
  quick?: string | null;
  /** A line-numbered excerpt: the numbers are cut off before parsing (src/sources/numbered.ts). */
  numbered?: boolean;
  /** Why reading its first bytes stopped, when it did (damage), for a file no format claims. */
  unreadable?: string | null;
}

async function planJobs(files: FoundFile[]): Promise<Job[]> {
  const ordered = orderRotations(files.map((f) => f.path));
  const byPath = new Map(files.map((f) => [f.path, f]));
  // Detection reads the files in the order they were found: an archive's entries in its own
  // order, so a compressed tar is decoded forward once, not from its start for each entry.
  const seen = new Map<string, Omit<Job, 'rotation' | 'rank'>>();
  for (const file of files) seen.set(file.path, await detectFile(file));
  const jobs: Job[] = [];
  for (const { path, rotation, rank } of ordered) {
    jobs.push({ ...seen.get(path)!, rotation, rank });
  }
  // Formats with exact times first (they anchor zones and boots for the others); within a format,
  // families in order and each family oldest first (orderRotations already did that), but the
  // entries of an archive read from its start (a compressed tar) in the archive's order, after
  // the files of the tree: the cursor then decodes it forward once per format order.
  const orderOf = (j: Job) => j.format?.order ?? 100;
  const group = (j: Job) => (j.file.archive_seq !== undefined ? j.file.path.slice(0, j.file.path.indexOf('!')) : '');
  return jobs
    .map((j, i) => ({ j, i, g: group(j) }))
    .sort((a, b) => orderOf(a.j) - orderOf(b.j) || (a.g < b.g ? -1 : a.g > b.g ? 1 : 0) || (a.j.file.archive_seq ?? a.i) - (b.j.file.archive_seq ?? b.i))
    .map((x) => x.j);
}

/** What one file is: its compression, the format that claims it, and the probe detection saw. */
async function detectFile(file: FoundFile): Promise<Omit<Job, 'rotation' | 'rank'>> {
  const path = file.path;
  let format: FormatModule | null = null;
  let probe: Probe | null = null;
  let compression: Compression = 'none';
  let recordSize = 0;
  let numbered = false;
  let unreadable: string | null = null;
  if (file.kind === 'file') {
    const head = await readHead(path);
    compression = head.compression;
    unreadable = head.damage;
    probe = {
      head: head.bytes,
      name: stripCompressionSuffix(path.slice(path.lastIndexOf('/') + 1)),
      path,
      size: compression === 'none' ? file.size : null,
    };
    // A sparse file (lastlog with high uids) is mostly holes: never read it byte by byte.
    const sparse = file.size > 1 << 20 && file.allocated < file.size / 8;
    // Formats that read the file themselves (readUnits: binary journals, SQLite) may claim a
    // sparse file: they never stream it byte by byte.
    const candidates = sparse ? FORMATS.filter((f) => f.readUnits) : FORMATS;
    format = detectBest(candidates, probe);
    if (format?.unit === 'record') recordSize = format.recordSize!(probe);
    // Nothing claims it as it is: a line-numbered excerpt of a log is still that log.
    if (!format && !sparse && isLineNumbered(probe.head)) {
      format = detectBest(
        candidates.filter((f) => f.unit === 'line' && !f.readUnits),
        unnumberedProbe(probe),
      );
      if (format) numbered = true;
    }
    if (sparse && !format) {
      file.note = `sparse file: ${file.size} bytes apparent, ${file.allocated} allocated; not read`;
    }
  }
  return { file, format, probe: numbered && probe ? unnumberedProbe(probe) : probe, compression, recordSize, numbered, unreadable };
}

/** The host's zone as the evidence gives it, used for this run and kept in `meta.tz_evidence`. */
function useZone(db: Db, opts: IngestOptions, zone: { tz: string; from: string }): IngestOptions {
  setMeta(db, 'tz_evidence', `${zone.tz} (${zone.from})`);
  return { ...opts, tz: zone.tz, tzFrom: zone.from };
}

/** The zone `useZone` kept: "America/New_York (from …/etc/timezone)". */
function storedZone(db: Db): { tz: string; from: string } | null {
  const m = /^(\S+) \((.*)\)$/.exec(getMeta(db, 'tz_evidence') ?? '');
  return m ? { tz: m[1]!, from: m[2]! } : null;
}

/** The host's zone from `etc/timezone` (its first line) or the `etc/localtime` link's zoneinfo target. */
async function evidenceZone(files: readonly FoundFile[]): Promise<{ tz: string; from: string } | null> {
  for (const f of files) {
    if (f.kind !== 'file' || !/(?:^|[/!])etc\/timezone$/.test(f.path) || f.size > 4096) continue;
    try {
      const tz = (await byteSource(f.path).read(0, 4096)).toString('utf8').split('\n')[0]!.trim();
      if (tz && ZoneConverter.isValid(tz)) return { tz, from: `from ${f.path}` };
    } catch {
      /* unreadable: listed elsewhere */
    }
  }
  for (const f of files) {
    if (!/(?:^|[/!])etc\/localtime$/.test(f.path)) continue;
    const target = /symlink to ([^\s,]+)/.exec(f.note ?? '')?.[1] ?? (() => {
      try {
        return fs.readlinkSync(f.path);
      } catch {
        return null;
      }
    })();
    const tz = target ? /zoneinfo\/(?:posix\/|right\/)?(.+)$/.exec(target)?.[1] : undefined;
    if (tz && ZoneConverter.isValid(tz)) return { tz, from: `the target of ${f.path}` };
  }
  return null;
}

/**
 * Archives among the files (tar in any compression, zip) are read as the tree they hold: their
 * entries stand in the list under `archive!entry` names, read from the archive itself
 * (src/sources/bytes.ts); the archive is listed with what was read of it.
 */
async function expandArchives(
  db: Db,
  files: FoundFile[],
  limits: DecodeLimits,
  out: ArchiveListing[],
  how: { memoryBytes?: number; onProgress?: (p: IngestProgress) => void; reuse: boolean; reused: SourceSummary[] },
): Promise<FoundFile[]> {
  const { memoryBytes, onProgress } = how;
  const result: FoundFile[] = [];
  const queue = files.map((f) => ({ f, depth: 0 }));
  while (queue.length) {
    const { f, depth } = queue.shift()!;
    const again = depth === 0 && how.reuse && f.kind === 'file' ? await reuseArchive(db, f) : null;
    if (again) {
      how.reused.push(...again);
      continue;
    }
    // One probe per file (planJobs reads it again for detection; keeping every head between the two
    // would hold 64 KiB per file of a large tree). A zip is not wrapped in a compression layer.
    const head = f.kind === 'file' && f.size > 0 && depth <= MAX_ARCHIVE_NESTING && (await mayBeArchive(f, depth)) ? await readHead(f.path) : null;
    const zip = head !== null && head.compression === 'none' && isZip(head.bytes);
    if (!head || (!zip && !isTar(head.bytes))) {
      result.push(f);
      continue;
    }
    // Listing a large compressed tar decodes it once: the progress shows how far, before any file is.
    const listing = (bytesDone: number) =>
      onProgress?.({ filesDone: 0, filesTotal: 1, bytesDone, bytesTotal: f.size, unitsDone: 0, current: `${path.basename(f.path)} (listing the archive)` });
    const x = zip ? await listZip(f.path, limits) : await listTar(f.path, limits, memoryBytes, onProgress ? listing : undefined);
    out.push(x);
    // An archive inside it (a ticket's .zip holding a sosreport's .tar.xz) is read as a tree in turn.
    queue.unshift(...x.entries.map((e) => ({ f: e, depth: depth + 1 })));
    const note =
      `${zip ? 'zip' : 'tar'} archive: ${x.files} file(s) read as a tree (listed as ${path.basename(f.path)}!…)` +
      (x.skipped.length ? `; not read: ${x.skipped.slice(0, 5).join('; ')}${x.skipped.length > 5 ? `; … ${x.skipped.length - 5} more` : ''}` : '') +
      (x.damage ? `; ${x.damage}: the entries before it were read` : '');
    const status = x.damage ? 'damaged' : 'archive';
    // Its size, mtime and quick hash: a rerun over the same archive skips the decoding (reuseArchive).
    const quick = depth === 0 ? await quickSha256(f.path, f.size) : null;
    db.prepare(
      `INSERT INTO sources (path, format, compression, bytes, units, stored, skipped, warnings, status, mtime_ms, note, ingested_at_ms, quick_sha256)
       VALUES (?, ?, ?, ?, ?, 0, 0, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(path) DO UPDATE SET units=excluded.units, warnings=excluded.warnings, status=excluded.status, note=excluded.note,
         bytes=excluded.bytes, mtime_ms=excluded.mtime_ms, quick_sha256=excluded.quick_sha256`,
    ).run(f.path, zip ? 'zip' : 'tar', head.compression, f.size, 0, x.damage ? 1 : 0, status, f.mtime_ms, note, Date.now(), quick);
    const id = db.prepare(`SELECT id FROM sources WHERE path = ?`).pluck().get(f.path) as number;
    db.prepare(`DELETE FROM warnings WHERE source_id = ? AND src_line IS NULL`).run(id);
    if (x.damage) db.prepare(`INSERT INTO warnings (source_id, src_line, src_offset, message) VALUES (?, NULL, NULL, ?)`).run(id, `${x.damage} (in ${f.path})`);
  }
  return result;
}

interface BundleTimes {
  collected_ms: number | null;
  boot: { ms: number; from: string } | null;
  zone?: { tz: string; from: string } | null;
}

/**
 * A supportconfig's own row in `sources` (format and status `supportconfig`): the collection time
 * and the host's zone its timedatectl output gives (systemd.txt, else ntp.txt), and the boot that
 * less basic-health-check.txt's uptime gives.
 */
async function recordSupportconfig(db: Db, scc: Supportconfig): Promise<BundleTimes> {
  const text = async (name: string) => {
    const f = scc.files.get(name);
    return f && f.kind === 'file' ? (await byteSource(f.path).read(0, Math.min(f.size, 8 * 1024 * 1024))).toString('utf8') : null;
  };
  let collected: number | null = null;
  let zone: BundleTimes['zone'] = null;
  let from = '';
  for (const name of ['systemd.txt', 'ntp.txt']) {
    const out = commandOutput((await text(name)) ?? '', /timedatectl/);
    if (out === null) continue;
    const t = parseTimedatectl(out);
    if (t.utc_ms === null && t.zone === null) continue;
    collected = t.utc_ms;
    from = name;
    if (t.zone) zone = { tz: t.zone, from: `from the timedatectl output in ${scc.prefix}${name}` };
    break;
  }
  const up = commandOutput((await text('basic-health-check.txt')) ?? '', /(?:^|\/)uptime$/);
  const uptime = up !== null ? parseUptime(up) : null;
  const boot =
    collected !== null && uptime !== null
      ? { ms: collected - uptime, from: `the supportconfig's timedatectl in ${from} (${new Date(collected).toISOString()}) less its uptime output (up ${Math.round(uptime / 60000)} min), to the minute` }
      : null;
  const note =
    `supportconfig: ${scc.files.size} file(s), each read section by section` +
    (collected !== null ? `; collected at ${new Date(collected).toISOString()} (timedatectl in ${from})` : '') +
    (zone ? `; the host's zone ${zone.tz}` : '') +
    (boot ? `; booted about ${new Date(boot.ms).toISOString()} (uptime ${Math.round(uptime! / 60000)} min)` : '');
  db.prepare(
    `INSERT INTO sources (path, format, compression, bytes, units, stored, skipped, warnings, status, mtime_ms, note, ingested_at_ms)
     VALUES (?, 'supportconfig', 'none', 0, 0, 0, 0, 0, 'supportconfig', ?, ?, ?)
     ON CONFLICT(path) DO UPDATE SET note=excluded.note`,
  ).run(scc.root, collected, note, Date.now());
  return { collected_ms: collected, boot, zone };
}

/**
 * A sosreport's own row in `sources` (format and status `sosreport`): what was read of it and what
 * only counted, and the collection time and boot its `date --utc` and `uptime` outputs give.
 */
async function recordSosReport(db: Db, rep: SosReport, tz: string | null): Promise<BundleTimes> {
  const text = async (rel: string) => {
    const f = rep.timeFiles.get(rel);
    if (!f || f.kind !== 'file' || f.size > 4096) return null;
    return (await byteSource(f.path).read(0, 4096)).toString('utf8');
  };
  const dateUtc = await text('sos_commands/date/date_--utc');
  let collected = dateUtc !== null ? parseDateUtc(dateUtc) : null;
  let collectedFrom = 'sos_commands/date/date_--utc';
  if (collected === null) {
    // Plain `date` prints the host's zone abbreviation: read in the host's zone.
    const local = (await text('sos_commands/date/date')) ?? (await text('date'));
    collected = local !== null ? parseDate(local, tz) : null;
    collectedFrom = 'sos_commands/date/date';
  }
  const up = (await text('sos_commands/host/uptime')) ?? (await text('uptime'));
  const uptime = up !== null ? parseUptime(up) : null;
  const boot =
    collected !== null && uptime !== null
      ? { ms: collected - uptime, from: `the sosreport's ${collectedFrom} (${new Date(collected).toISOString()}) less its uptime output (up ${Math.round(uptime / 60000)} min), to the minute` }
      : null;
  const note =
    `sosreport: ${rep.evidence} file(s) read as evidence (var/log, process listings, journal and kernel outputs); ` +
    `${rep.other} other file(s) (configuration, other command outputs) counted, not read` +
    (collected !== null ? `; collected at ${new Date(collected).toISOString()} (${collectedFrom})` : '') +
    (boot ? `; booted about ${new Date(boot.ms).toISOString()} (uptime ${Math.round(uptime! / 60000)} min)` : '');
  db.prepare(
    `INSERT INTO sources (path, format, compression, bytes, units, stored, skipped, warnings, status, mtime_ms, note, ingested_at_ms, empty_units)
     VALUES (?, 'sosreport', 'none', 0, ?, 0, ?, 0, 'sosreport', ?, ?, ?, ?)
     ON CONFLICT(path) DO UPDATE SET units=excluded.units, skipped=excluded.skipped, empty_units=excluded.empty_units, note=excluded.note`,
  ).run(rep.root, rep.other, rep.other, collected, note, Date.now(), rep.other);
  return { collected_ms: collected, boot };
}

/** Archives inside archives are read this deep (a zip of a tarball of a sosreport is 2). */
const MAX_ARCHIVE_NESTING = 3;
const ARCHIVE_NAME = /\.(?:tar(?:\.(?:gz|xz|bz2|zst|zstd|lz4))?|tgz|txz|tbz2?|tzst|zip)$/i;

/**
 * A file of the tree is always probed; an entry of an archive only when its name or its first
 * stored bytes say archive (a zip's "PK", a plain tar's "ustar"), so the entries of a large
 * compressed tar are not each decoded once more just to learn they are logs.
 */
async function mayBeArchive(f: FoundFile, depth: number): Promise<boolean> {
  if (depth === 0 || ARCHIVE_NAME.test(f.path)) return true;
  const head = await byteSource(f.path)
    .read(0, 262)
    .catch(() => Buffer.alloc(0));
  return isZip(head) || head.toString('latin1', 257, 262) === 'ustar';
}

async function readHead(path: string): Promise<{ bytes: Buffer; compression: Compression; damage: string | null }> {
  const dec = await openDecoded(path);
  const parts: Buffer[] = [];
  let n = 0;
  const it = dec.chunks[Symbol.asyncIterator]();
  try {
    while (n < PROBE_BYTES) {
      const { done, value } = await it.next();
      if (done) break;
      parts.push(value);
      n += value.length;
    }
  } finally {
    await it.return?.(undefined);
  }
  return { bytes: Buffer.concat(parts).subarray(0, PROBE_BYTES), compression: dec.compression, damage: n < PROBE_BYTES ? (dec.damage()?.message ?? null) : null };
}

function unchangedSummary(existing: SourceRow, job: Job): SourceSummary {
  return {
    path: job.file.path,
    format: existing.format,
    compression: job.compression,
    status: 'unchanged',
    units: existing.units,
    stored: existing.stored,
    skipped: existing.skipped,
    empty: existing.empty_units,
    warnings: existing.warnings,
    newEvents: 0,
  };
}

const QUICK_SPAN = 1 << 20;

/** sha256 of the size, the first MiB and the last MiB of a file. */
async function quickSha256(path: string, size: number): Promise<string | null> {
  const h = crypto.createHash('sha256').update(String(size) + '\n');
  const src = byteSource(path);
  try {
    h.update(await src.read(0, Math.min(QUICK_SPAN, size)));
    if (size > QUICK_SPAN) h.update(await src.read(Math.max(QUICK_SPAN, size - QUICK_SPAN), QUICK_SPAN));
  } catch {
    return null; // unreadable in part (an I/O error, a damaged zip entry): the full read says how
  }
  return h.digest('hex');
}

/** sha256 of the stored bytes; of those that could be read, when reading fails part way (the parse then says where). */
async function sha256File(path: string): Promise<string> {
  const h = crypto.createHash('sha256');
  try {
    for await (const chunk of byteSource(path).stream()) h.update(chunk as Buffer);
  } catch {
    /* the bytes before the failure are hashed; the parse records the damage */
  }
  return h.digest('hex');
}

interface SourceRow {
  id: number;
  path: string;
  sha256: string | null;
  bytes: number | null;
  content_bytes: number | null;
  content_sha256: string | null;
  first_unit_sha256: string | null;
  units: number;
  stored: number;
  skipped: number;
  warnings: number;
  status: string;
  format: string;
  compression: string;
  complete_units: number | null;
  mtime_ms: number | null;
  local_lines: number;
  quick_sha256: string | null;
  shift_ms: number;
  time_notes: string | null;
  empty_units: number;
}

/** Removes what an interrupted attempt left behind, so a rerun equals a clean run. */
function recoverInterrupted(db: Db): void {
  const rows = db.prepare(`SELECT id, attempt_from FROM sources WHERE attempt_from IS NOT NULL`).all() as Array<{
    id: number;
    attempt_from: number;
  }>;
  if (!rows.length) return;
  const blocks = new BlockEditor(db);
  db.transaction(() => {
    for (const r of rows) {
      blocks.truncate(r.id, r.attempt_from);
      for (const t of SOURCE_OWNED_TABLES) {
        if (t === 'warnings') {
          db.prepare(`DELETE FROM warnings WHERE source_id=? AND (src_line IS NULL OR src_line > ?)`).run(r.id, r.attempt_from);
        } else {
          db.prepare(`DELETE FROM ${t} WHERE source_id=? AND src_line > ?`).run(r.id, r.attempt_from);
        }
      }
      if (r.attempt_from === 0) db.prepare(`DELETE FROM sources WHERE id=?`).run(r.id);
      else db.prepare(`UPDATE sources SET attempt_from=NULL WHERE id=?`).run(r.id);
    }
  })();
}

function listOnly(db: Db, job: Job, status: string, format: string, note: string | null, sha: string | null, warnIt = true): SourceSummary {
  const f = job.file;
  db.prepare(
    `INSERT INTO sources (path, format, compression, sha256, bytes, units, stored, skipped, warnings, status, mtime_ms, family, rotation_rank, note, ingested_at_ms)
     VALUES (?, ?, ?, ?, ?, 0, 0, 0, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(path) DO UPDATE SET format=excluded.format, compression=excluded.compression, sha256=excluded.sha256,
       bytes=excluded.bytes, status=excluded.status, warnings=excluded.warnings, mtime_ms=excluded.mtime_ms, note=excluded.note`,
  ).run(f.path, format, job.compression, sha, f.size, note ? 1 : 0, status, f.mtime_ms, job.rotation.family, job.rank, note, Date.now());
  const id = (db.prepare(`SELECT id FROM sources WHERE path=?`).get(f.path) as { id: number }).id;
  db.prepare(`DELETE FROM warnings WHERE source_id=? AND src_line IS NULL`).run(id);
  // A dangling link is a normal part of a copied tree: its note is in `sources.note`, not a warning.
  const warn = warnIt && note !== null && status !== 'dangling-symlink';
  if (warn) db.prepare(`INSERT INTO warnings (source_id, src_line, src_offset, message) VALUES (?, NULL, NULL, ?)`).run(id, note);
  db.prepare(`UPDATE sources SET warnings = ? WHERE id = ?`).run(warn ? 1 : 0, id);
  return { path: f.path, format, compression: job.compression, status, units: 0, stored: 0, skipped: 0, warnings: warn ? 1 : 0, newEvents: 0 };
}

async function ingestOne(db: Db, job: Job, opts: IngestOptions, progress: IngestProgress): Promise<SourceSummary> {
  const f = job.file;
  if (f.kind !== 'file') {
    // A link or device listed before, as it is now, is unchanged: it does not make a rerun redo the whole-case passes.
    const was = db.prepare(`SELECT * FROM sources WHERE path = ?`).get(f.path) as (SourceRow & { note: string | null }) | undefined;
    if (was && was.status === f.kind && f.kind !== 'unreadable' && was.note === f.note) return unchangedSummary(was, job);
    return listOnly(db, job, f.kind, f.kind, f.note, null);
  }
  // A huge sparse file (a lastlog with uid 4294967294 is ~1 TiB of holes) is not hashed: reading
  // its holes would take hours. It is identified by size and mtime instead, and the manifest says so.
  const sparseHuge = f.size > SPARSE_HASH_LIMIT && f.allocated < f.size / 8;
  const existing = job.format ? (db.prepare(`SELECT * FROM sources WHERE path=?`).get(f.path) as SourceRow | undefined) : undefined;
  // A file cut short by a decompression cap is read on from where it stopped (as a grown file is)
  // when ingest runs again, with whatever caps that run has.
  const cutByCap =
    existing?.status === 'damaged' &&
    !!db.prepare(`SELECT 1 FROM warnings WHERE source_id = ? AND src_line IS NULL AND message LIKE 'decompression stopped %'`).get(existing.id);
  const settled = existing && existing.status !== 'ingesting' && existing.format === job.format?.name && !cutByCap;
  // A file of the same size and mtime whose first and last MiB hash alike is the file already
  // stored: an unchanged tree is recognised without reading it (--verify reads every byte again).
  const quick = sparseHuge || !job.format ? null : (f.sha256 ?? (await quickSha256(f.path, f.size)));
  // mtimes compared to the millisecond: a copy tool may keep no finer precision (and utimes'
  // seconds-as-a-double round trip moves the last digit).
  const sameMtime = existing?.mtime_ms != null && Math.abs(existing.mtime_ms - f.mtime_ms) < 1;
  if (settled && !opts.verify && existing.bytes === f.size && sameMtime && (sparseHuge || existing.quick_sha256 === quick)) {
    return unchangedSummary(existing, job);
  }
  const sha = sparseHuge ? null : (f.sha256 ?? (await sha256File(f.path)));
  if (!job.format && job.unreadable && !job.probe?.head.length) {
    // Not one byte could be decoded (a zip entry damaged at its start): damage, not an unknown format.
    return listOnly(db, job, 'damaged', 'unknown', `nothing of it could be read: ${job.unreadable}`, sha);
  }
  if (!job.format) {
    const note = f.note ?? `no format recognised this file (first bytes: ${describeHead(job.probe?.head)})`;
    return listOnly(db, job, 'unknown-format', 'unknown', note, sha, !f.optional);
  }
  if (settled && !sparseHuge && existing.sha256 === sha) {
    if (existing.quick_sha256 !== quick || existing.mtime_ms !== f.mtime_ms) {
      db.prepare(`UPDATE sources SET quick_sha256 = ?, mtime_ms = ? WHERE id = ?`).run(quick, f.mtime_ms, existing.id);
    }
    return unchangedSummary(existing, job);
  }
  job.quick = quick;
  const excluded = new Set<number>();
  for (let attempt = 0; attempt < 8; attempt++) {
    try {
      return await parseSource(db, job, sha, existing, excluded, opts, progress);
    } catch (err) {
      if (err instanceof RestartAttempt) {
        excluded.add(err.excludeSource);
        recoverInterrupted(db);
        continue;
      }
      throw err;
    }
  }
  throw new Error(`could not settle the rotated copies of ${f.path}`);
}

function describeHead(head: Buffer | undefined): string {
  if (!head || !head.length) return 'empty file';
  const printable = head.subarray(0, 16).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
  return `${head.subarray(0, 8).toString('hex')} "${printable}"`;
}

interface Prefix {
  /** Decompressed bytes covered by already-stored units. */
  bytes: number;
  sha: string;
  /** Units in the prefix. */
  units: number;
  /** Source whose rows hold the prefix. */
  owner: number;
}

async function parseSource(
  db: Db,
  job: Job,
  sha: string | null,
  existing: SourceRow | undefined,
  excluded: Set<number>,
  opts: IngestOptions,
  progress: IngestProgress,
): Promise<SourceSummary> {
  const f = job.file;
  const format = job.format!;
  const ctx = await buildContext(db, job, opts);

  // The same path seen before with other content: if the old content is a prefix (the file grew)
  // we resume after it; if not, the old rows are kept under a renamed source and this is new.
  let ownPrefix: Prefix | null = null;
  let sourceId: number;
  if (existing && existing.content_sha256 && existing.content_bytes && !excluded.has(existing.id) && existing.format === format.name) {
    ownPrefix = {
      bytes: existing.content_bytes,
      sha: existing.content_sha256,
      units: existing.complete_units ?? existing.units,
      owner: existing.id,
    };
  }
  if (existing && (!ownPrefix || excluded.has(existing.id))) {
    db.prepare(`UPDATE sources SET path = path || ' (replaced by later content, ingested ' || ? || ')', status = 'replaced' WHERE id=?`).run(
      new Date().toISOString(),
      existing.id,
    );
    existing = undefined;
    ownPrefix = null;
  }
  if (existing) {
    sourceId = existing.id;
    db.prepare(`UPDATE sources SET attempt_from=? WHERE id=?`).run(ownPrefix!.units, sourceId);
    // Drop the rows of a torn last unit that is now complete and will be stored again.
    recoverInterrupted(db);
    db.prepare(`UPDATE sources SET attempt_from=? WHERE id=?`).run(ownPrefix!.units, sourceId);
  } else {
    const info = db
      .prepare(
        `INSERT INTO sources (path, format, compression, sha256, bytes, status, mtime_ms, family, rotation_rank, attempt_from, ingested_at_ms)
         VALUES (?, ?, ?, ?, ?, 'ingesting', ?, ?, ?, 0, ?)`,
      )
      .run(f.path, format.name, job.compression, sha, f.size, f.mtime_ms, job.rotation.family, job.rank, Date.now());
    sourceId = Number(info.lastInsertRowid);
  }

  const writer = new BatchWriter(db, sourceId);
  // A grown file whose times alignment corrected: its new local lines get the same correction.
  writer.localShiftMs = existing?.shift_ms ?? 0;
  let prefix: Prefix | null = ownPrefix;
  let prefixChecked = false;
  const prefixStartUnits = ownPrefix ? ownPrefix.units : 0;

  // Counters for this attempt (units after the own prefix).
  let units = 0;
  let stored = 0;
  let skipped = 0;
  let dedupUnits = 0;
  /** Skipped units that are normal non-records (blank lines, headers, empty lastlog slots). */
  let emptyUnits = 0;
  let warnings = 0;
  let newEvents = 0;
  const warnKinds = new Map<string, number>();
  let firstUnitSha: string | null = null;
  let completeUnits = 0; // units ending in a newline (or whole records): a torn last line is redone when the file grows

  let current: Unit | null = null;
  let inPrefix = false;
  let unitState = 0; // 0 = nothing yet, 1 = stored, 2 = skipped (with a warning), 3 = an expected non-record
  // The multi-line record stored by the current unit (or by end()): its facts take the record's
  // first-line provenance, so evidence lookups by (source, line) find the record's event row, and
  // are dropped with the row when the record began inside an already-stored prefix.
  let record: { from: RecordStart; dropped: boolean } | null = null;

  const warnRow = (line: number | null, offset: number | null, message: string) => {
    warnings++;
    const kind = message.replace(/\d+/g, 'N').slice(0, 60);
    const n = (warnKinds.get(kind) ?? 0) + 1;
    warnKinds.set(kind, n);
    if (n <= WARNINGS_PER_KIND) writer.warning(line, offset, message);
    else if (n === WARNINGS_PER_KIND + 1) writer.warning(line, offset, `further warnings like "${message.slice(0, 80)}" are counted, not stored`);
  };

  const out: ParseOutput = {
    event(row: EventRow, from?: RecordStart) {
      if (from) {
        // A multi-line record: provenance is its first line; it counts for the current unit.
        if (current) {
          if (unitState !== 0) return;
          unitState = 1;
        }
        record = { from, dropped: inPrefix || (prefix !== null && from.index <= prefix.units) };
        if (record.dropped) return;
        writer.event({ src_line: from.index, src_offset: from.offset }, row, from.raw);
        return;
      }
      if (!current) return; // events belong to units
      if (unitState !== 0) {
        warnRow(current.index, current.offset, `parser ${format.name} produced a second row for one unit`);
        return;
      }
      unitState = 1;
      if (inPrefix) return;
      writer.event({ src_line: current.index, src_offset: current.offset }, row, current.raw ?? (current.text || current.bytes.toString('hex')));
    },
    part() {
      if (current && unitState === 0) unitState = 1;
    },
    skip(reason: string, expected?: boolean) {
      if (!current) return;
      if (unitState !== 0) return;
      unitState = expected ? 3 : 2;
      if (inPrefix || expected) return;
      warnRow(current.index, current.offset, `skipped: ${reason}`);
    },
    fact(table: FactTable, row: FactRow) {
      if (inPrefix) return;
      if (record?.dropped) return;
      const p = record
        ? { src_line: record.from.index, src_offset: record.from.offset }
        : current
          ? { src_line: current.index, src_offset: current.offset }
          : { src_line: 0, src_offset: 0 };
      writer.fact(p, table, row);
    },
    warn(message: string) {
      if (inPrefix) return;
      if (current) warnRow(current.index, current.offset, message);
      else warnRow(null, null, message);
    },
  };

  // Decoded bytes are hashed on the way through, with snapshots at prefix boundaries.
  const limits = decodeLimits(opts);
  const dec = await openDecoded(f.path, limits);
  const hash = crypto.createHash('sha256');
  let hashed = 0;
  let checkpoint: { at: number; digest: string | null } | null = ownPrefix ? { at: ownPrefix.bytes, digest: null } : null;
  async function* tap(src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of src) {
      if (checkpoint && checkpoint.digest === null && hashed + chunk.length >= checkpoint.at) {
        const cut = checkpoint.at - hashed;
        hash.update(chunk.subarray(0, cut));
        checkpoint.digest = hash.copy().digest('hex');
        hash.update(chunk.subarray(cut));
      } else {
        hash.update(chunk);
      }
      hashed += chunk.length;
      yield chunk;
    }
  }

  // Line notes (invalid UTF-8, NULs, cut lines) become warnings on their unit when it is processed.
  const unitNotes = new Map<Unit, string[]>();
  const onNote = (unit: Unit, message: string) => {
    if (format.rawLines) return;
    const l = unitNotes.get(unit);
    if (l) l.push(message);
    else unitNotes.set(unit, [message]);
  };
  // Units come a decoded chunk at a time: one await per chunk, not per line.
  const lineBatches = (it: AsyncIterable<Unit[]>) => (job.numbered ? unnumberedBatches(it) : it);
  const batches = format.readUnits
    ? oneByOne(format.readUnits(f.path))
    : format.unit === 'line'
      ? lineBatches(splitLineBatches(tap(dec.chunks), { onNote }))
      : splitRecordBatches(tap(dec.chunks), job.recordSize, (offset, bytes) =>
          warnRow(null, offset, `torn tail: ${bytes} bytes after the last whole ${job.recordSize}-byte record at offset ${offset}`),
        );

  // A prescan (e.g. month sequence for year inference) reads the file once more, cheaply.
  if (format.prescan && (!format.needsPrescan || !job.probe || format.needsPrescan(job.probe))) {
    const pre = format.prescan(ctx);
    const dec2 = await openDecoded(f.path, limits);
    const it2 = format.readUnits
      ? oneByOne(format.readUnits(f.path))
      : format.unit === 'line'
        ? lineBatches(splitLineBatches(dec2.chunks, { onNote: () => {} }))
        : splitRecordBatches(dec2.chunks, job.recordSize, () => {});
    for await (const batch of it2) for (const u of batch) pre.observe(u);
    ctx.prescan = pre.result();
  }
  const parser = format.createParser(ctx);

  // File-level warnings are written again by this attempt.
  db.prepare(`DELETE FROM warnings WHERE source_id=? AND src_line IS NULL`).run(sourceId);

  let lastReport = Date.now();
  for await (const batch of batches) {
  await writer.settle();
  for (const unit of batch) {
    current = unit;
    unitState = 0;
    record = null;
    // First unit: look for rotated copies already stored (same first unit).
    if (unit.index === 1) {
      firstUnitSha = crypto.createHash('sha256').update(unit.bytes).digest('hex');
      if (!ownPrefix) {
        const cands = db
          .prepare(
            `SELECT id, content_bytes, content_sha256, complete_units, units FROM sources
             WHERE first_unit_sha256=? AND id<>? AND status IN ('ok','damaged','duplicate') AND format=? AND content_bytes > 0
             ORDER BY content_bytes DESC`,
          )
          .all(firstUnitSha, sourceId, format.name) as Array<{ id: number; content_bytes: number; content_sha256: string; complete_units: number | null; units: number }>;
        const c = cands.find((x) => !excluded.has(x.id));
        if (c) {
          prefix = { bytes: c.content_bytes, sha: c.content_sha256, units: c.complete_units ?? c.units, owner: c.id };
          checkpoint = { at: c.content_bytes, digest: null };
        }
      }
    }
    inPrefix = prefix !== null && unit.index <= prefix.units;
    if (!inPrefix && prefix && !prefixChecked) {
      prefixChecked = true;
      if (checkpoint?.digest !== prefix.sha) {
        // Not the content it resembled (or, for the same path, replaced rather than grown).
        writer.discard();
        throw new RestartAttempt(prefix.owner);
      }
    }
    const notes = unitNotes.get(unit);
    if (notes) {
      unitNotes.delete(unit);
      if (!inPrefix) for (const m of notes) warnRow(unit.index, unit.offset, m);
    }
    if (format.unit === 'record' && unit.bytes.length !== job.recordSize) {
      out.skip(`record of ${unit.bytes.length} bytes`);
    } else {
      try {
        parser.parse(unit, out);
      } catch (err) {
        if (unitState === 0) out.skip(`parser error: ${(err as Error).message}`);
        else out.warn(`parser error: ${(err as Error).message}`);
      }
    }
    if (unitState === 0) out.skip(`parser ${format.name} gave no row`);
    const end = unit.offset + unit.bytes.length + (format.unit === 'line' ? 1 : 0);
    // A line is complete if a newline followed it (the decoded stream continues past it).
    if (format.unit === 'record' || end <= hashed) completeUnits = unit.index;
    if (unit.index > prefixStartUnits) {
      units++;
      if (inPrefix) dedupUnits++;
      else if (unitState === 1) {
        stored++;
        newEvents++;
      } else {
        skipped++;
        if (unitState === 3) emptyUnits++;
      }
    }
    progress.unitsDone++;
    if (opts.onProgress && (progress.unitsDone & 4095) === 0 && Date.now() - lastReport > 200) {
      lastReport = Date.now();
      const bytesBefore = progress.bytesDone;
      progress.bytesDone = bytesBefore + Math.min(dec.consumed(), f.size);
      opts.onProgress(progress);
      progress.bytesDone = bytesBefore;
    }
  }
  }
  current = null;
  inPrefix = false;
  record = null;
  if (prefix && !prefixChecked) {
    // The file ended inside the candidate's prefix: it is shorter than what it resembled.
    if (!(checkpoint?.digest === prefix.sha || (hashed === prefix.bytes && hash.copy().digest('hex') === prefix.sha))) {
      writer.discard();
      throw new RestartAttempt(prefix.owner);
    }
  }
  parser.end?.(out);
  const damage = dec.damage() ?? (f.cut ? { compressed_offset: null, message: f.cut } : null);
  if (damage) warnRow(null, damage.compressed_offset, `${damage.message} (in ${f.path}${damage.compressed_offset !== null ? ` at compressed byte ${damage.compressed_offset}` : ''}); every line before it was kept`);
  const said = parser.timeNotes?.() ?? null;
  // The parsers name --tz as the zone's origin; a zone read from the evidence says where it came from.
  const parserNotes = said && opts.tzFrom ? said.replaceAll('(--tz)', `(the host's zone, ${opts.tzFrom})`) : said;
  // What alignment said of the file's earlier lines stays said (and holds for the new ones).
  const kept = existing?.shift_ms ? (existing.time_notes ?? '').split('; ').filter((n) => n.startsWith('shifted by ')) : [];
  const timeNotes =
    [parserNotes, job.numbered ? 'a line-numbered excerpt: the number before each line was cut off before parsing (the stored raw lines keep it)' : null, ...kept]
      .filter(Boolean)
      .join('; ') || null;

  const contentSha = hash.digest('hex');
  const isDuplicate = prefix !== null && prefix.owner !== existing?.id;
  const status = damage ? 'damaged' : isDuplicate && stored === 0 && skipped === 0 ? 'duplicate' : 'ok';
  const base = existing ? { units: existing.units, stored: existing.stored, skipped: existing.skipped, warnings: existing.warnings } : null;
  // Units of the own prefix were counted before; a torn last unit that is now complete is recounted.
  const totalUnits = (base ? prefixStartUnits : 0) + units;
  const totalStored = (base ? Math.min(base.stored, prefixStartUnits) : 0) + stored + dedupUnits;
  const totalSkipped = totalUnits - totalStored;
  const totalWarnings = (base ? base.warnings : 0) + warnings;

  await writer.flush(() => {
    writer.mergeSegments();
    db.prepare(
      `UPDATE sources SET format=?, compression=?, sha256=?, bytes=?, content_bytes=?, content_sha256=?, first_unit_sha256=?,
        units=?, stored=?, skipped=?, warnings=?, status=?, duplicate_of=?, dedup_units=?, mtime_ms=?, time_notes=?,
        family=?, rotation_rank=?, attempt_from=NULL, complete_units=?, ingested_at_ms=?, local_lines=?, quick_sha256=?,
        empty_units = (CASE WHEN ? THEN empty_units ELSE 0 END) + ?
       WHERE id=?`,
    ).run(
      format.name,
      job.compression,
      sha,
      f.size,
      hashed,
      contentSha,
      firstUnitSha,
      totalUnits,
      totalStored,
      totalSkipped,
      totalWarnings,
      status,
      isDuplicate ? prefix!.owner : null,
      dedupUnits,
      f.mtime_ms,
      timeNotes,
      job.rotation.family,
      job.rank,
      completeUnits,
      Date.now(),
      (existing ? existing.local_lines : 0) + writer.localLines,
      job.quick ?? null,
      existing ? 1 : 0,
      emptyUnits,
      sourceId,
    );
  });
  return {
    path: f.path,
    format: format.name,
    compression: job.compression,
    status,
    units: totalUnits,
    stored: totalStored,
    skipped: totalSkipped,
    empty: (existing?.empty_units ?? 0) + emptyUnits,
    warnings: totalWarnings,
    newEvents,
  };
}

async function buildContext(db: Db, job: Job, opts: IngestOptions): Promise<ParseContext> {
  const f = job.file;
  let yearRef: ParseContext['yearRef'] = null;
  const r = job.rotation;
  if (r.nameEpoch) yearRef = { utc_ms: r.nameEpoch * 1000, method: `rotation time in the file name (${r.nameEpoch})` };
  else if (r.nameDate) {
    // The rotation day is at or after the last line; end of that day, one day of slack for zones.
    const { y, m, d } = r.nameDate;
    yearRef = { utc_ms: civilToMs(y, m, d, 23, 59, 59) + 14 * 3600000, method: `date in the file name (${y}-${pad(m)}-${pad(d)})` };
  } else if (job.compression === 'gzip') {
    const t = await gzipHeaderMtime(f.path);
    if (t > 0) yearRef = { utc_ms: t * 1000, method: 'gzip header mtime' };
  }
  if (!yearRef && f.mtime_ms > 0) yearRef = { utc_ms: f.mtime_ms, method: 'file mtime' };
  return {
    path: f.path,
    head: job.probe?.head ?? null,
    collectedMs: f.collected_ms ?? null,
    tz: opts.tz ?? null,
    assumedOffset: opts.tz ? null : inferOffsetContext(db),
    yearRef,
    prescan: null,
    recordSize: job.recordSize,
  };
}

function pad(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

