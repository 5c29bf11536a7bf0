/** Exit codes of `runboard`, stable for scripts (documented in `runboard --help` and the README). */
export const EXIT = {
  ok: 0,
  /** Network failure, a server error, or anything unexpected. */
  error: 1,
  /** Bad flags or arguments, or input the server refused as invalid (422). */
  usage: 2,
  /** 401 or 403: no key, a revoked key, or a key without the scope. */
  auth: 3,
  /** 404: no such project or run for this key's team. */
  notFound: 4,
  /** 409: the job type is already pending or running (its run id is printed). */
  conflict: 5,
  /** --wait: the run ended failed. */
  failed: 10,
  /** --wait: the run ended in the dead-letter queue. */
  deadLetter: 11,
  /** --wait: the run was cancelled. */
  cancelled: 12,
} as const;

export const EXIT_HELP = `Exit codes:
  0   success (with --wait: the run completed)
  1   network or server error
  2   usage error, or input the server refused (422)
  3   authentication or permission error (401/403)
  4   not found (404)
  5   already running (409); the existing run id is printed
  10  run failed        11  run dead-lettered        12  run cancelled`;

/** The exit code for a run that reached a terminal status. */
export function exitForStatus(status: string): number {
  if (status === "completed") return EXIT.ok;
  if (status === "dead_letter") return EXIT.deadLetter;
  if (status === "cancelled") return EXIT.cancelled;
  return EXIT.failed;
}
