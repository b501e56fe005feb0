// The verdict contract shared by correlation, the `incidents` command and every report format.
// Field names are the JSON contract of `procforensics incidents --json` and `report --format json`.

export type Cause = 'oom-kill' | 'signal' | 'crash' | 'systemd' | 'fork-failure' | 'host-down' | 'exit' | 'unknown';
export type Confidence = 'high' | 'medium' | 'low';
export type ActorKind = 'kernel' | 'user' | 'cron' | 'systemd' | 'unknown';

export interface EvidenceLine {
  /** Absolute path of the source file. */
  source: string;
  /** Line or record number in that file (1-based). */
  line: number;
  /** ISO 8601 UTC, or null when the line has no usable time. */
  time: string | null;
  text: string;
  /** Why this line matters ("the kill syscall", "sudo command"). */
  role?: string;
  /** A decisive line (marked in reports). */
  decisive?: boolean;
  /** Time quality of the line (exact, year_inferred, …). */
  time_quality?: string;
}

export interface Actor {
  kind: ActorKind;
  /** Login user name (the person: audit auid), from the evidence only. */
  user: string | null;
  uid: number | null;
  auid: number | null;
  session: number | null;
  from_host: string | null;
  tty: string | null;
  via: 'sudo' | 'cron' | 'login-session' | 'session-hangup' | 'systemd' | 'su' | 'kernel' | null;
  /** The command line that did it (sudo COMMAND, cron CMD, proctitle). */
  command: string | null;
  /** The process that sent the signal, when known. */
  sender_pid?: number | null;
  sender_comm?: string | null;
  sender_exe?: string | null;
  /** kill(-N): the signal went to every member of process group N. */
  process_group?: number | null;
}

export interface OomTask {
  pid: number;
  uid: number | null;
  tgid: number | null;
  total_vm_pages: number | null;
  rss_pages: number | null;
  rss_mib: number | null;
  pgtables_bytes: number | null;
  swapents: number | null;
  oom_score_adj: number | null;
  name: string;
  rank: number;
}

export interface OomDetails {
  scope: 'global' | 'memcg' | 'cpuset' | 'mempolicy' | 'unknown';
  constraint: string | null;
  /** The memory cgroup whose limit was hit (memcg OOM). */
  oom_memcg: string | null;
  /** The victim's memory cgroup. */
  task_memcg: string | null;
  /** systemd unit or container derived from the cgroup path, when it shows one. */
  unit: string | null;
  limit_mib: number | null;
  usage_mib: number | null;
  victim_rank: number | null;
  victim_anon_rss_mib: number | null;
  victim_file_rss_mib: number | null;
  victim_total_vm_mib: number | null;
  gfp_mask: string | null;
  order: number | null;
  tasks: OomTask[];
  /** Larger tasks of the table that the kernel did not choose (victim not the largest). */
  passed_over?: Array<{ pid: number; name: string; rss_mib: number | null; oom_score_adj: number | null }>;
  /** Why this victim and not a larger task: oom_score_adj, or -1000 (exempt). */
  why_chosen?: string | null;
}

export interface Incident {
  id: string;
  pid: number;
  comm: string | null;
  host: string | null;
  /** Boot identity (journal boot id, or the boot's start time as ISO 8601). */
  boot: string | null;
  /** ISO 8601 UTC of the disappearance. */
  time: string | null;
  /** First sighting of this process (start time or earliest line naming it), ISO 8601 UTC. */
  start_time: string | null;
  cause: Cause;
  signal: number | null;
  signal_name: string | null;
  confidence: Confidence;
  summary: string;
  actor: Actor;
  trigger: { pid: number | null; comm: string | null } | null;
  oom: OomDetails | null;
  evidence: EvidenceLine[];
  missing_evidence: string[];
  alternatives: string[];
  /** Advice: what to change so it cannot happen silently again. */
  recommendations: string[];
  /** Other processes the same sender killed in the same moment (one command, a group kill). */
  other_victims?: Array<{ pid: number; comm: string | null }>;
}

export interface IncidentFilter {
  since?: number | null;
  until?: number | null;
  cause?: Cause | null;
  pid?: number | null;
  comm?: string | null;
  id?: string | null;
}
