import type { RunDelta } from "@/lib/dal/run-poll";
import type { RunView } from "@/lib/dal/runs";

/** The run view's bounds (lib/dal/runs.ts MAX_STEPS, MAX_CALLS): the newest steps, the first calls. */
const MAX_STEPS = 200;
const MAX_CALLS = 100;

/** Rows by id (a delta may repeat one the page holds), in the order they were written. */
function mergeRows<T extends { id: string; createdAt: string }>(held: T[], added: T[]): T[] {
  if (added.length === 0) return held;
  const ids = new Set(added.map((row) => row.id));
  // ISO timestamps of one format sort as text; the sort is stable for rows of the same instant.
  return [...held.filter((row) => !ids.has(row.id)), ...added].sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
}

/**
 * The page's run after a poll's delta (lib/dal/run-poll.ts): the moving parts replaced, new steps
 * and calls added. A delta comes only while the run is active and in the same attempt; anything
 * else (it ended, a new attempt, a cancel request) comes as the full view.
 */
export function mergeRunDelta(run: RunView, delta: RunDelta): RunView {
  const { kind: _kind, steps, calls, ...moving } = delta;
  const allCalls = mergeRows(run.calls, calls);
  return {
    ...run,
    ...moving,
    terminal: false,
    steps: mergeRows(run.steps, steps).slice(-MAX_STEPS),
    calls: allCalls.slice(0, MAX_CALLS),
    callsTruncated: run.callsTruncated || allCalls.length > MAX_CALLS,
  };
}
