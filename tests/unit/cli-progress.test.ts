import { describe, expect, test } from "vitest";
import { EXIT, exitForStatus } from "@/cli/exit-codes";
import { progressLine, type RunSnapshot } from "@/cli/progress";

const run = (over: Partial<RunSnapshot> = {}): RunSnapshot => ({
  id: "r",
  status: "running",
  terminal: false,
  stage: "stepping",
  etaSeconds: 75,
  progress: { processed: 5, total: 20, message: "Item 5 of 20", percent: 25 },
  error: null,
  ...over,
});

describe("progressLine", () => {
  test("shows the bar, percent, counts, stage, message and ETA", () => {
    expect(progressLine(run(), 8)).toBe("[##------]   25%  5/20  running  stage stepping  Item 5 of 20  ETA 1m15s");
  });

  test("derives the percent from the counts and drops the ETA once finished", () => {
    const line = progressLine(run({ status: "completed", progress: { processed: 20, total: 20, message: null, percent: null } }), 4);
    expect(line).toBe("[####]  100%  20/20  completed  stage stepping");
  });

  test("a run with no progress yet", () => {
    expect(progressLine(run({ status: "pending", stage: null, etaSeconds: null, progress: { processed: null, total: null, message: null, percent: null } }), 4)).toBe("[----]    -%  pending");
  });
});

describe("exit codes", () => {
  test("each terminal status has its own code", () => {
    expect(["completed", "failed", "dead_letter", "cancelled"].map(exitForStatus)).toEqual([EXIT.ok, EXIT.failed, EXIT.deadLetter, EXIT.cancelled]);
    expect(new Set(Object.values(EXIT)).size).toBe(Object.keys(EXIT).length);
  });
});
