#!/usr/bin/env node
// npm run bench [-- --mb 400 --pacct 500000 --audit 200000 --seed 1 --json --timeout 0 --keep]
//
// Generates (deterministically from the seed, cached in os.tmpdir()) a busy Debian 12 host's
// /var/log for eight days: syslog + syslog.1.gz … syslog.7.gz (~mb MiB of text), auth.log,
// kern.log, audit/audit.log, account/pacct and wtmp, with 25 incidents buried in it (buried.json).
// Then measures one run of procforensics on it: ingest (wall time, MB/s, lines/s, peak RSS), the
// case database size, `incidents --json`, `report --pid <an OOM victim>`, a second ingest of the
// unchanged tree, and lnav and `zcat | wc -l` on the same text for comparison; checks that every
// buried incident is found, and prints PASS/FAIL against the targets. Always exits 0 (it is a
// measurement), except on a usage error.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { ensureTree } from './bench/tree.mjs';
import { measure, running } from './bench/measure.mjs';
import { checkBuried } from './bench/check.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repo, 'dist/cli/main.js');
const MiB = 1024 * 1024;
const PEAK_LIMIT_MIB = 256;

// ---- options
function parseArgs(argv) {
  const o = { mb: Number(process.env.BENCH_MB) || 400, pacct: 500_000, audit: 200_000, seed: 1, json: false, timeout: 0, keep: false };
  const numeric = { '--mb': 'mb', '--pacct': 'pacct', '--audit': 'audit', '--seed': 'seed', '--timeout': 'timeout' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (flag in numeric) {
      const v = Number(inline ?? argv[++i]);
      if (!Number.isFinite(v) || v < 0 || (flag !== '--timeout' && !Number.isInteger(v))) usage(`${flag} needs a non-negative ${flag === '--timeout' ? 'number' : 'integer'}`);
      o[numeric[flag]] = v;
    } else if (flag === '--json') o.json = true;
    else if (flag === '--keep') o.keep = true;
    else if (flag === '--help' || flag === '-h') usage(null);
    else usage(`unknown option ${a}`);
  }
  if (o.mb < 1) usage('--mb must be at least 1');
  return o;
}

function usage(msg) {
  if (msg) console.error(`bench: ${msg}`);
  console.error('usage: node scripts/bench.mjs [--mb 400] [--pacct 500000] [--audit 200000] [--seed 1] [--json] [--timeout SECONDS] [--keep]');
  console.error('  --timeout  kill a measured command after this many seconds (0 = never); --keep  keep the case database');
  process.exit(msg ? 2 : 0);
}

// ---- formatting
const mib = (b) => `${(b / MiB).toFixed(1)} MiB`;
const secs = (s) => (s === null || s === undefined ? '-' : s < 10 ? `${s.toFixed(2)} s` : `${s.toFixed(1)} s`);
const int = (n) => Math.round(n).toLocaleString('en-US');
const pad = (s, w) => String(s).padEnd(w === 18 ? 22 : w);
const lpad = (s, w) => String(s).padStart(w);
function runText(m) {
  const bits = [secs(m.seconds), `peak ${m.peak_mib.toFixed(0)} MiB`, m.timed_out ? 'TIMED OUT (killed)' : m.error ? `spawn error: ${m.error}` : `exit ${m.exit}${m.signal ? ` (${m.signal})` : ''}`];
  return bits.join('   ');
}
function summary(m) {
  const { stderr, ...rest } = m;
  return rest;
}

const o = parseArgs(process.argv.slice(2));
const say = (s = '') => console.log(s);

// ---- build only when dist/ is missing
if (!fs.existsSync(cli)) {
  say('dist/ is missing: npm run build');
  const b = spawnSync('npm', ['run', 'build'], { cwd: repo, stdio: 'inherit' });
  if (b.status !== 0 || !fs.existsSync(cli)) {
    console.error('bench: npm run build failed');
    process.exit(1);
  }
}

// ---- tree
const tree = await ensureTree(o, (s) => say(s));
const logdir = tree.logdir;
const buried = JSON.parse(fs.readFileSync(path.join(tree.root, 'buried.json'), 'utf8'));
const totals = tree.files.reduce(
  (a, f) => ({ disk: a.disk + f.disk_bytes, content: a.content + f.content_bytes, lines: a.lines + (f.text ? f.units : 0), records: a.records + (f.text ? 0 : f.units) }),
  { disk: 0, content: 0, lines: 0, records: 0 },
);
say(`procforensics bench: --mb ${o.mb} --pacct ${o.pacct} --audit ${o.audit} --seed ${o.seed}`);
say(`tree ${logdir} (${tree.cached ? 'cached' : `generated in ${secs(tree.generated_s)}`})`);
say(`  ${pad('file', 18)}${lpad('on disk', 12)}${lpad('decompressed', 14)}${lpad('lines/records', 15)}`);
for (const f of tree.files) say(`  ${pad(f.path, 18)}${lpad(mib(f.disk_bytes), 12)}${lpad(mib(f.content_bytes), 14)}${lpad(int(f.units), 15)}${f.text ? '' : ' rec'}`);
say(`  ${pad('total', 18)}${lpad(mib(totals.disk), 12)}${lpad(mib(totals.content), 14)}${lpad(int(totals.lines), 15)} lines + ${int(totals.records)} records`);
say(`  buried incidents: ${buried.length} (${path.join(tree.root, 'buried.json')})`);

// ---- a fresh case database
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'procforensics-bench-run-'));
const db = path.join(work, 'case.db');
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    for (const c of running) c.kill('SIGKILL');
    if (!o.keep) fs.rmSync(work, { recursive: true, force: true });
    process.exit(130);
  });
}
const pf = (args, extra = {}) => measure(process.execPath, [cli, ...args], { timeoutS: o.timeout, ...extra });
const result = { options: o, tree: { logdir, cached: tree.cached, generated_s: tree.generated_s, files: tree.files, ...totals }, db_path: db };

say();
const ingest = await pf(['ingest', logdir, '--db', db]);
const contentMB = totals.content / 1e6;
result.ingest = {
  ...summary(ingest),
  mib_s: totals.content / MiB / ingest.seconds,
  mb_s: contentMB / ingest.seconds,
  lines_s: totals.lines / ingest.seconds,
  units_s: (totals.lines + totals.records) / ingest.seconds,
};
say(`${pad('ingest', 18)}${runText(ingest)}   ${result.ingest.mib_s.toFixed(1)} MiB/s decompressed   ${int(result.ingest.lines_s)} lines/s`);
if (ingest.stderr_last) say(`${pad('', 18)}stderr: ${ingest.stderr_last}`);

const size = (f) => (fs.existsSync(f) ? fs.statSync(f).size : 0);
result.db = { db_bytes: size(db), wal_bytes: size(db + '-wal'), shm_bytes: size(db + '-shm') };
result.db.total_bytes = result.db.db_bytes + result.db.wal_bytes;
say(`${pad('case database', 18)}${mib(result.db.db_bytes)} + wal ${mib(result.db.wal_bytes)} = ${mib(result.db.total_bytes)} (${(result.db.total_bytes / totals.content).toFixed(2)} x decompressed input)`);

// What the tool made of the tree (not timed): per-file units against the generated counts, warnings, fact rows.
result.sources = sourcesCheck();
result.rows = factRows();
if (result.rows) say(`${pad('fact rows', 18)}${Object.entries(result.rows).map(([k, v]) => `${k} ${int(v)}`).join(', ')}`);

const incOut = path.join(work, 'incidents.json');
const incidents = await pf(['incidents', '--db', db, '--json'], { stdoutFile: incOut });
let list = null;
try {
  list = JSON.parse(fs.readFileSync(incOut, 'utf8')).incidents;
} catch (e) {
  result.incidents_parse_error = String(e.message ?? e);
}
result.incidents = { ...summary(incidents), count: list ? list.length : null, by_cause: list ? countBy(list, (i) => i.cause) : null };
say(`${pad('incidents --json', 18)}${runText(incidents)}   ${list ? `${list.length} incidents (${Object.entries(result.incidents.by_cause).map(([k, v]) => `${k} ${v}`).join(', ')})` : `unreadable output: ${result.incidents_parse_error}`}`);
if (incidents.exit !== 0 && incidents.stderr_last) say(`${pad('', 18)}stderr: ${incidents.stderr_last}`);

const oomVictim = buried.find((b) => b.kind === 'oom') ?? buried[0];
const reportOut = path.join(work, 'report.md');
const report = await pf(['report', '--pid', String(oomVictim.pid), '--db', db, '--format', 'md', '--out', reportOut]);
result.report = { ...summary(report), pid: oomVictim.pid, out_bytes: size(reportOut) };
say(`${pad(`report --pid ${oomVictim.pid}`, 18)}${runText(report)}   ${mib(result.report.out_bytes)} written`);
if (report.exit !== 0 && report.stderr_last) say(`${pad('', 18)}stderr: ${report.stderr_last}`);

const again = await pf(['ingest', logdir, '--db', db]);
result.reingest = summary(again);
say(`${pad('ingest again', 18)}${runText(again)}`);
if (again.stderr_last) say(`${pad('', 18)}stderr: ${again.stderr_last}`);

// ---- comparisons
const textFiles = tree.files.filter((f) => f.text).map((f) => path.join(logdir, f.path));
const lnavPath = spawnSync('sh', ['-c', 'command -v lnav'], { encoding: 'utf8' }).stdout.trim();
if (lnavPath) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lnav-home-'));
  const lnOut = path.join(work, 'lnav.out');
  const ln = await measure(lnavPath, ['-n', '-c', ';SELECT count(*) FROM all_logs', ...textFiles], { env: { ...process.env, HOME: home }, stdoutFile: lnOut, timeoutS: o.timeout });
  const count = /(\d+)\s*$/.exec(fs.existsSync(lnOut) ? fs.readFileSync(lnOut, 'utf8').trim() : '')?.[1];
  result.lnav = { ...summary(ln), all_logs_rows: count ? Number(count) : null };
  fs.rmSync(home, { recursive: true, force: true });
  say(`${pad('lnav -n', 18)}${runText(ln)}   all_logs rows: ${count ?? '?'}`);
} else {
  result.lnav = null;
  say(`${pad('lnav -n', 18)}lnav not installed (apt-get install lnav): no comparison`);
}
const floorFiles = tree.files.filter((f) => f.format === 'syslog').map((f) => path.join(logdir, f.path));
const floorOut = path.join(work, 'floor.out');
const floor = await measure('sh', ['-c', `zcat -f ${floorFiles.map(shq).join(' ')} | wc -l`], { stdoutFile: floorOut, timeoutS: o.timeout });
result.floor = { seconds: floor.seconds, exit: floor.exit, lines: Number(fs.readFileSync(floorOut, 'utf8').trim()) || null };
say(`${pad('zcat -f | wc -l', 18)}${secs(floor.seconds)}   ${int(result.floor.lines ?? 0)} lines (syslog family + auth.log + kern.log)`);
result.ratios = {
  ingest_over_lnav: result.lnav && !result.lnav.timed_out ? ingest.seconds / result.lnav.seconds : null,
  ingest_over_floor: ingest.seconds / floor.seconds,
};
say(`${pad('ratios', 18)}ingest/lnav ${result.ratios.ingest_over_lnav?.toFixed(2) ?? '-'}   ingest/floor ${result.ratios.ingest_over_floor.toFixed(1)}`);

// ---- buried incidents
say();
const checks = list ? checkBuried(buried, list) : buried.map((b) => ({ ...b, expected: b.cause, found: null, got: [] }));
result.buried = checks;
const foundN = checks.filter((c) => c.found).length;
say(list ? `buried incidents: ${foundN}/${checks.length} found` : `buried incidents: not checked (incidents --json ${incidents.timed_out ? 'timed out' : 'gave no readable output'})`);
for (const c of checks) {
  const head = `  ${c.found === null ? 'unknown' : c.found ? 'found  ' : 'MISSING'} ${pad(c.kind, 13)}${lpad(c.pid, 7)} ${pad(c.comm, 15)} ${c.time}  want ${c.accept.join('|')}`;
  if (c.found === null) {
    say(head);
    continue;
  }
  const got = c.got.length ? c.got.map((g) => `${g.cause}/${g.confidence}${g.signal ? ` sig ${g.signal}` : ''}${g.actor ? ` by ${g.actor}` : ''} at ${g.time}`).join('; ') : 'nothing for this pid';
  const actorNote = c.found && c.actor_expected && c.actor_got !== c.actor_expected ? `  (actor: want ${c.actor_expected}, got ${c.actor_got ?? 'none'})` : '';
  say(`${head}  got ${got}${actorNote}`);
}

// ---- targets
const lastPeak = (m) => (m ? m.peak_mib : 0);
const targets = [
  ['ingest <= lnav', result.lnav ? !ingest.timed_out && !result.lnav.timed_out && ingest.seconds <= result.lnav.seconds : null, `${secs(ingest.seconds)} vs ${result.lnav ? secs(result.lnav.seconds) : 'no lnav'}`],
  [`every command peak <= ${PEAK_LIMIT_MIB} MiB`, [ingest, incidents, report, again].every((m) => lastPeak(m) <= PEAK_LIMIT_MIB), `ingest ${ingest.peak_mib.toFixed(0)}, incidents ${incidents.peak_mib.toFixed(0)}, report ${report.peak_mib.toFixed(0)}, ingest again ${again.peak_mib.toFixed(0)} MiB`],
  ['incidents <= 1 s', ok(incidents) && incidents.seconds <= 1, secs(incidents.seconds)],
  ['report <= 0.3 s', ok(report) && report.seconds <= 0.3, secs(report.seconds)],
  ['second ingest <= 1 s', ok(again, [0]) && again.seconds <= 1, secs(again.seconds)],
  ['db size <= decompressed bytes', result.db.total_bytes <= totals.content, `${mib(result.db.total_bytes)} vs ${mib(totals.content)}`],
  ['all buried found', !!list && foundN === checks.length, list ? `${foundN}/${checks.length}` : 'not checked: no incidents output'],
];
result.targets = targets.map(([name, pass, value]) => ({ name, pass, value }));
say();
say('targets');
for (const t of result.targets) say(`  ${t.pass === null ? 'n/a ' : t.pass ? 'PASS' : 'FAIL'}  ${pad(t.name, 32)}${t.value}`);

if (!o.keep) fs.rmSync(work, { recursive: true, force: true });
else say(`\ncase database kept: ${db}`);
if (o.json) console.log(JSON.stringify(result));
process.exit(0);

// ---- helpers
function ok(m, codes = [0]) {
  return !m.timed_out && codes.includes(m.exit);
}

function countBy(list, key) {
  const out = {};
  for (const x of list) out[key(x)] = (out[key(x)] ?? 0) + 1;
  return out;
}

function shq(s) {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** `sources --json` against the generated files: units, stored, skipped, warnings, status. */
function sourcesCheck() {
  const r = spawnSync(process.execPath, [cli, 'sources', '--db', db, '--json'], { encoding: 'utf8', maxBuffer: 64 * MiB });
  let rows;
  try {
    rows = JSON.parse(r.stdout);
  } catch {
    say(`${pad('sources', 18)}could not read sources --json (exit ${r.status}): ${(r.stderr || '').trim().split('\n').at(-1) ?? ''}`);
    return null;
  }
  const byPath = new Map(rows.map((s) => [path.relative(logdir, s.path), s]));
  const mismatches = [];
  let warnings = 0;
  for (const f of tree.files) {
    const s = byPath.get(f.path);
    if (!s) {
      mismatches.push(`${f.path}: not in sources`);
      continue;
    }
    warnings += s.warnings;
    if (s.units !== f.units || s.stored + s.skipped !== s.units || s.status !== 'ok' || s.skipped) {
      mismatches.push(`${f.path}: ${s.format} ${s.status}, units ${s.units} (generated ${f.units}), stored ${s.stored}, skipped ${s.skipped}, warnings ${s.warnings}`);
    }
  }
  const formats = Object.entries(countBy(rows, (s) => s.format)).map(([k, v]) => (v > 1 ? `${k} x${v}` : k)).join(', ');
  say(`${pad('sources', 18)}${rows.length} files (${formats}), ${warnings} warnings, ${mismatches.length ? `${mismatches.length} differ from the generated counts:` : 'every file ok, units = generated line/record counts'}`);
  for (const m of mismatches) say(`${pad('', 24)}${m}`);
  let sample = [];
  if (warnings) {
    const w = spawnSync(process.execPath, [cli, 'sources', '--db', db, '--warnings'], { encoding: 'utf8', maxBuffer: 64 * MiB });
    sample = w.stdout.split('\n').filter((l) => l.trim()).slice(0, 12);
    for (const l of sample) say(`${pad('', 24)}${l.length > 220 ? l.slice(0, 220) + '…' : l}`);
  }
  return { files: rows.length, warnings, mismatches, warning_sample: sample, formats: Object.fromEntries(rows.map((s) => [path.relative(logdir, s.path), s.format])) };
}

/** Row counts of the fact tables, read with the repository's own better-sqlite3. */
function factRows() {
  try {
    const require = createRequire(path.join(repo, 'package.json'));
    const Database = require('better-sqlite3');
    const h = new Database(db, { readonly: true, fileMustExist: true });
    const out = {};
    for (const t of ['events', 'audit_records', 'signals', 'logins', 'commands', 'process_ends', 'services', 'utmp_records', 'pacct_records', 'boots']) {
      try {
        out[t] = h.prepare(`SELECT count(*) AS n FROM ${t}`).get().n;
      } catch {
        /* table absent in this schema */
      }
    }
    h.close();
    return out;
  } catch (e) {
    say(`${pad('fact rows', 18)}not read (${e.message})`);
    return null;
  }
}
