/** A call the user can correct (bad option value, missing path): the CLI's usage exit code. */
export class UsageError extends Error {}
