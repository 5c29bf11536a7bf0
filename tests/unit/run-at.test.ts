import { describe, expect, test } from "vitest";
import { parseDelay } from "@/cli/duration";
import { runAtSchema, runInMinutesSchema, scheduledFor } from "@/lib/runs/run-at";

const iso = (msFromNow: number) => new Date(Date.now() + msFromNow).toISOString();

describe("runAt (API and Run form)", () => {
  test("a future time with an offset is a later run", () => {
    const at = iso(10 * 60_000);
    expect(runAtSchema.parse(at)?.toISOString()).toBe(at);
    // The same instant written in +01:00 means the same time.
    const target = new Date(Math.floor((Date.now() + 3_600_000) / 1000) * 1000);
    const inPlusOne = new Date(target.getTime() + 3_600_000).toISOString().slice(0, 19) + "+01:00";
    expect(runAtSchema.parse(inPlusOne)?.getTime()).toBe(target.getTime());
  });

  test("a time within the clock skew runs now (null); further in the past is refused", () => {
    expect(runAtSchema.parse(iso(-30_000))).toBeNull();
    expect(runAtSchema.safeParse(iso(-5 * 60_000)).error?.issues[0]?.message).toMatch(/has passed/);
  });

  test("beyond 365 days, garbage, no offset, NUL and huge strings are refused", () => {
    expect(runAtSchema.safeParse(iso(366 * 86_400_000)).success).toBe(false);
    for (const bad of ["tomorrow", "2026-13-40T99:00:00Z", "2026-12-02T16:30:00", "2026-12-02T16:30:00Z\u0000", "x".repeat(1_000_000), "", "1e400"]) {
      expect(runAtSchema.safeParse(bad).success, JSON.stringify(bad.slice(0, 40))).toBe(false);
    }
  });

  test("in N minutes: a whole number from 1 to 365 days", () => {
    const at = runInMinutesSchema.parse("30");
    expect(Math.abs(at.getTime() - (Date.now() + 30 * 60_000))).toBeLessThan(2000);
    for (const bad of ["0", "-5", "1.5", "abc", String(366 * 24 * 60), "1e309"]) expect(runInMinutesSchema.safeParse(bad).success, bad).toBe(false);
  });

  test("scheduled means pending, no attempt yet, not yet due", () => {
    const later = new Date(Date.now() + 60_000);
    expect(scheduledFor({ status: "pending", attempts: 0, runAt: later })).toBe(later.toISOString());
    expect(scheduledFor({ status: "pending", attempts: 1, runAt: later })).toBeNull();
    expect(scheduledFor({ status: "pending", attempts: 0, runAt: new Date(Date.now() - 1000) })).toBeNull();
    expect(scheduledFor({ status: "running", attempts: 0, runAt: later })).toBeNull();
  });
});

describe("--in of the CLI", () => {
  test("takes 90s, 30m, 2h, 1d", () => {
    expect(parseDelay("90s")).toEqual({ ok: true, ms: 90_000 });
    expect(parseDelay("30m")).toEqual({ ok: true, ms: 1_800_000 });
    expect(parseDelay("2h")).toEqual({ ok: true, ms: 7_200_000 });
    expect(parseDelay("1d")).toEqual({ ok: true, ms: 86_400_000 });
  });

  test("refuses 0, negative, huge, unitless and garbage", () => {
    expect(parseDelay("0m")).toMatchObject({ ok: false, message: expect.stringMatching(/more than 0/) });
    expect(parseDelay("366d")).toMatchObject({ ok: false, message: expect.stringMatching(/365 days/) });
    for (const bad of ["-5m", "0", "30", "1h30m", "99999999999999d", "1e3m", "", "m", "30m\u0000"]) expect(parseDelay(bad).ok, bad).toBe(false);
  });
});
