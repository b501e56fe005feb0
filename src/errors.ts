/** A call the user can correct (bad option value, missing path): the CLI's usage exit code. */
export class UsageError extends Error {}

/** The machine gave the tool less than a run needed (memory): not a bug, and said as such. */
export class ResourceError extends Error {}

/** Another ingest is writing the case. */
export class CaseBusyError extends Error {}
