/**
 * `WORKER_JOB_TYPES`: which job types this worker serves (a comma list of names), so heavy job
 * types can run on machines of their own while other workers serve the rest. Unset or empty: all.
 */
export class JobTypeFilterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JobTypeFilterError";
  }
}

/**
 * The definitions named in `setting`, in the order given. A name that is not among `jobs` stops
 * the worker with the names it knows: a typo must not leave a job type silently unserved.
 */
export function filterJobTypes<J extends { name: string }>(jobs: readonly J[], setting: string | undefined, variable = "WORKER_JOB_TYPES"): J[] {
  const names = [...new Set((setting ?? "").split(",").map((n) => n.trim()).filter((n) => n.length > 0))];
  if (names.length === 0) return [...jobs];
  const byName = new Map(jobs.map((j) => [j.name, j]));
  const unknown = names.filter((n) => !byName.has(n));
  if (unknown.length > 0) {
    const known = jobs.map((j) => j.name).join(", ");
    throw new JobTypeFilterError(`${variable} names ${unknown.length === 1 ? "a job type" : "job types"} this worker does not know: ${unknown.join(", ")}. Known job types: ${known}.`);
  }
  return names.map((n) => byName.get(n)!);
}
