// Fact tables: structured facts extracted from the units while they are parsed. Every row keeps
// its provenance (source_id, src_line, src_offset) so a verdict can cite the exact line.
// One table per kind of fact; the correlation layer reads these, not raw text.
const PROVENANCE = `source_id INTEGER NOT NULL, src_line INTEGER NOT NULL, src_offset INTEGER NOT NULL`;

export const FACT_SCHEMA = `
-- One row per audit record line. Grouping into events: (host, audit_stamp).
CREATE TABLE IF NOT EXISTS audit_records (
  id INTEGER PRIMARY KEY, ${PROVENANCE},
  ts_utc_ms INTEGER, host TEXT,
  audit_stamp TEXT,                   -- 'seconds.millis:serial' as written
  audit_serial INTEGER,
  record_type TEXT,                   -- SYSCALL, OBJ_PID, USER_LOGIN, … or UNKNOWN[1234]
  fields_json TEXT                    -- decoded fields (hex values decoded, enriched names kept)
);
CREATE INDEX IF NOT EXISTS audit_records_stamp ON audit_records(host, audit_stamp);

-- A signal sent by a process (audit kill/tkill/tgkill/… syscalls), one row per target.
CREATE TABLE IF NOT EXISTS signals (
  id INTEGER PRIMARY KEY, ${PROVENANCE},
  ts_utc_ms INTEGER, host TEXT, audit_stamp TEXT,
  syscall TEXT, arch TEXT, success TEXT, exit_code INTEGER,
  sender_pid INTEGER, sender_ppid INTEGER, sender_comm TEXT, sender_exe TEXT,
  sender_uid INTEGER, sender_user TEXT, sender_auid INTEGER, sender_auser TEXT,
  sender_ses INTEGER, sender_tty TEXT, sender_proctitle TEXT,
  target_pid INTEGER, target_comm TEXT, target_uid INTEGER, target_ses INTEGER,
  signal INTEGER, audit_key TEXT,
  pid_arg INTEGER                     -- the pid as the caller passed it: -N = process group N, -1 = every process
);
CREATE INDEX IF NOT EXISTS signals_target ON signals(target_pid);

-- Logins, authentications and sessions, from sshd/pam/logind/su lines and audit USER_* records.
CREATE TABLE IF NOT EXISTS logins (
  id INTEGER PRIMARY KEY, ${PROVENANCE},
  ts_utc_ms INTEGER, host TEXT,
  kind TEXT NOT NULL,                 -- ssh_accepted, ssh_failed, ssh_invalid_user, ssh_disconnect,
                                      -- session_opened, session_closed, logind_new, logind_removed,
                                      -- su, audit_USER_LOGIN, audit_USER_START, audit_USER_END,
                                      -- audit_CRED_ACQ, audit_LOGIN, …
  user TEXT, uid INTEGER, auid INTEGER, ses INTEGER,
  pid INTEGER, from_host TEXT, port INTEGER, tty TEXT,
  service TEXT, method TEXT, result TEXT, detail TEXT
);
CREATE INDEX IF NOT EXISTS logins_ses ON logins(ses);

-- Commands run on behalf of someone: sudo, cron jobs, su, execve audit, shell history.
CREATE TABLE IF NOT EXISTS commands (
  id INTEGER PRIMARY KEY, ${PROVENANCE},
  ts_utc_ms INTEGER, ts_quality TEXT, host TEXT,
  via TEXT NOT NULL,                  -- sudo | cron | cron_end | su | execve | history | user_cmd
  user TEXT, run_as TEXT, uid INTEGER, auid INTEGER, ses INTEGER,
  pid INTEGER, ppid INTEGER, tty TEXT, pwd TEXT, command TEXT, result TEXT, history_order INTEGER
);

-- Process ends and their circumstances named by a single line or record.
CREATE TABLE IF NOT EXISTS process_ends (
  id INTEGER PRIMARY KEY, ${PROVENANCE},
  ts_utc_ms INTEGER, ts_quality TEXT, host TEXT, boot_key TEXT,
  kind TEXT NOT NULL,                 -- segfault, trap, gpf, fatal_signal, anom_abend, coredump,
                                      -- oomd_kill, earlyoom_kill, fork_rejected, fork_failed,
                                      -- panic, unit_killed, unit_oom, unit_timeout, …
  pid INTEGER, comm TEXT, exe TEXT, uid INTEGER, auid INTEGER, ses INTEGER,
  signal INTEGER, exit_code INTEGER, unit TEXT, cgroup TEXT, detail TEXT
);
CREATE INDEX IF NOT EXISTS process_ends_pid ON process_ends(pid);

-- systemd unit lifecycle lines and audit SERVICE_START/STOP.
CREATE TABLE IF NOT EXISTS services (
  id INTEGER PRIMARY KEY, ${PROVENANCE},
  ts_utc_ms INTEGER, host TEXT,
  unit TEXT, action TEXT NOT NULL,    -- starting, started, stopping, stopped, failed, main_exited,
                                      -- killed, timeout, oom, start (audit), stop (audit)
  pid INTEGER, result TEXT, code TEXT, status TEXT, signal INTEGER, detail TEXT
);

-- wtmp / btmp / utmp records.
CREATE TABLE IF NOT EXISTS utmp_records (
  id INTEGER PRIMARY KEY, ${PROVENANCE},
  file_kind TEXT,                     -- wtmp | btmp | utmp | wtmpdb
  ts_utc_ms INTEGER, ut_type INTEGER, type_name TEXT,
  pid INTEGER, line TEXT, ut_id TEXT, user TEXT, host TEXT, addr TEXT,
  session INTEGER, exit_termination INTEGER, exit_status INTEGER, record_size INTEGER
);

-- Process accounting (acct v3) records.
CREATE TABLE IF NOT EXISTS pacct_records (
  id INTEGER PRIMARY KEY, ${PROVENANCE},
  version INTEGER, comm TEXT, pid INTEGER, ppid INTEGER, uid INTEGER, gid INTEGER, tty INTEGER,
  begin_utc_ms INTEGER, elapsed_s REAL, end_utc_ms INTEGER, exit_code INTEGER,
  exit_signal INTEGER,                -- low 7 bits of the wait status when AXSIG
  flags INTEGER, flag_names TEXT, utime_s REAL, stime_s REAL, mem_kb INTEGER
);
CREATE INDEX IF NOT EXISTS pacct_pid ON pacct_records(pid);

-- ps snapshots from support bundles.
CREATE TABLE IF NOT EXISTS ps_snapshot (
  id INTEGER PRIMARY KEY, ${PROVENANCE},
  snapshot_utc_ms INTEGER, user TEXT, pid INTEGER, ppid INTEGER, stat TEXT, start TEXT,
  rss_kb INTEGER, command TEXT
);

-- Lines that tie an uptime to a wall-clock instant (kernel lines with both, audit in kmsg…).
CREATE TABLE IF NOT EXISTS boot_anchors (
  id INTEGER PRIMARY KEY, ${PROVENANCE},
  host TEXT, boot_key TEXT, uptime_s REAL, ts_utc_ms INTEGER, kind TEXT, text_key TEXT
);
-- The anchor pass reads one boot segment at a time.
CREATE INDEX IF NOT EXISTS boot_anchors_seg ON boot_anchors(source_id, boot_key, src_line);

-- UTC offsets written by the host itself (RFC 3339 stamps), per host: the zone evidence for
-- local times that carry none (traditional syslog, dmesg -T).
CREATE TABLE IF NOT EXISTS tz_offsets (
  id INTEGER PRIMARY KEY, ${PROVENANCE},
  host TEXT, offset_min INTEGER, first_utc_ms INTEGER, last_utc_ms INTEGER, lines INTEGER
);

-- Evidence that audit or kernel records were lost.
CREATE TABLE IF NOT EXISTS audit_loss (
  id INTEGER PRIMARY KEY, ${PROVENANCE},
  ts_utc_ms INTEGER, host TEXT, kind TEXT, detail TEXT
);
`;

// Fact indexes the correlation joins on (one lookup per candidate, never a scan per candidate).
export const FACT_INDEXES = `
CREATE INDEX IF NOT EXISTS signals_sender ON signals(sender_pid);
CREATE INDEX IF NOT EXISTS logins_pid ON logins(pid, ts_utc_ms);
CREATE INDEX IF NOT EXISTS logins_kind_user ON logins(kind, user, ts_utc_ms);
CREATE INDEX IF NOT EXISTS logins_auid ON logins(auid);
CREATE INDEX IF NOT EXISTS logins_uid ON logins(uid);
CREATE INDEX IF NOT EXISTS logins_ses ON logins(ses, ts_utc_ms);
CREATE INDEX IF NOT EXISTS commands_via_ts ON commands(via, ts_utc_ms);
CREATE INDEX IF NOT EXISTS commands_pid ON commands(pid);
CREATE INDEX IF NOT EXISTS services_unit_ts ON services(unit, ts_utc_ms);
CREATE INDEX IF NOT EXISTS services_action ON services(action);
CREATE INDEX IF NOT EXISTS process_ends_kind ON process_ends(kind);
CREATE INDEX IF NOT EXISTS utmp_pid ON utmp_records(pid);
CREATE INDEX IF NOT EXISTS pacct_end ON pacct_records(end_utc_ms);
CREATE INDEX IF NOT EXISTS pacct_ppid ON pacct_records(ppid, end_utc_ms);
CREATE INDEX IF NOT EXISTS pacct_signal ON pacct_records(exit_signal, end_utc_ms);
CREATE INDEX IF NOT EXISTS audit_records_type ON audit_records(record_type);
CREATE INDEX IF NOT EXISTS audit_records_src ON audit_records(source_id, src_line);
`;
