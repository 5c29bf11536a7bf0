import { describe, expect, test } from "vitest";
import { RUN_STATUSES, type RunStatus } from "@/lib/db/schema";
import { canTransition, isTerminal, percentOf, TERMINAL_STATUSES, TRANSITIONS } from "@/lib/jobs/lifecycle";

const exits = (from: RunStatus): RunStatus[] => RUN_STATUSES.filter((to) => canTransition(from, to));

describe("run transitions", () => {
  test("every status has an entry in the table", () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...RUN_STATUSES].sort());
  });

  test.each(["completed", "cancelled"] as const)("%s is final: no exits at all", (status) => {
    expect(exits(status)).toEqual([]);
  });

  test("a running attempt may end in every terminal state or go back to pending", () => {
    for (const end of TERMINAL_STATUSES) expect(canTransition("running", end)).toBe(true);
    expect(canTransition("running", "pending")).toBe(true);
    expect(canTransition("running", "running")).toBe(false);
  });

  test.each(["failed", "dead_letter"] as const)("%s can only be retried (back to pending)", (status) => {
    expect(exits(status)).toEqual(["pending"]);
  });

  test("pending cannot jump straight to completed or dead_letter", () => {
    expect(canTransition("pending", "completed")).toBe(false);
    expect(canTransition("pending", "dead_letter")).toBe(false);
    expect(canTransition("pending", "running")).toBe(true);
  });

  test("isTerminal is true exactly for the four end states", () => {
    expect(RUN_STATUSES.filter(isTerminal).sort()).toEqual(["cancelled", "completed", "dead_letter", "failed"]);
  });
});

describe("percentOf", () => {
  test("is null without a positive total", () => {
    expect(percentOf(5, null)).toBeNull();
    expect(percentOf(5, 0)).toBeNull();
    expect(percentOf(5, -3)).toBeNull();
  });

  test("floors, so a run shows 100 only when done", () => {
    expect(percentOf(1, 3)).toBe(33);
    expect(percentOf(2, 3)).toBe(66);
    expect(percentOf(999, 1000)).toBe(99);
    expect(percentOf(1000, 1000)).toBe(100);
  });

  test("clamps to 0..100", () => {
    expect(percentOf(-4, 10)).toBe(0);
    expect(percentOf(25, 10)).toBe(100);
  });
});
