/** Exit codes of every procforensics command (documented in the README). */
export const EXIT_CODES = {
  /** Everything was read (ingest) or the command did what was asked. */
  ok: 0,
  /** An unexpected failure: a bug or an unusable case database. */
  failure: 1,
  /** Bad arguments: unknown option, missing file, invalid --tz. */
  usage: 2,
  /** Ingest finished, but some input was damaged or unreadable; the rest was stored. */
  damagedInput: 3,
  /** A query found nothing (report --pid with no such process). */
  notFound: 4,
  /** Another ingest is writing the case: nothing was done (wait, or clear a stale claim as the message says). */
  busy: 5,
} as const;

/** The case database when --db is not given (in the current directory). */
export const DEFAULT_DB = 'procforensics.db';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
