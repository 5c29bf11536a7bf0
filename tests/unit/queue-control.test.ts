import { describe, expect, test } from "vitest";
import { z } from "zod";
import { controlChange, queueControlFields } from "@/lib/validation/queue-control";

const form = z.object(queueControlFields);

describe("a queue control form", () => {
  test("pause and resume set only paused; a limit sets only the limit (empty = none)", () => {
    expect(controlChange(form.parse({ jobType: "demo_paced", intent: "pause" }))).toEqual({ jobType: "demo_paced", paused: true });
    expect(controlChange(form.parse({ jobType: "demo_paced", intent: "resume" }))).toEqual({ jobType: "demo_paced", paused: false });
    expect(controlChange(form.parse({ jobType: "demo_paced", intent: "limit", concurrencyLimit: "3" }))).toEqual({ jobType: "demo_paced", concurrencyLimit: 3 });
    expect(controlChange(form.parse({ jobType: "demo_paced", intent: "limit", concurrencyLimit: "" }))).toEqual({ jobType: "demo_paced", concurrencyLimit: null });
  });

  test("refuses limits that are not whole numbers from 1 to 10,000, and unknown intents", () => {
    for (const bad of ["0", "-1", "2.5", "10001", "lots"]) {
      const result = form.safeParse({ jobType: "demo_paced", intent: "limit", concurrencyLimit: bad });
      expect(result.success, bad).toBe(false);
      expect(z.flattenError(result.error!).fieldErrors.concurrencyLimit?.[0], bad).toMatch(/limit/i);
    }
    expect(form.safeParse({ jobType: "demo_paced", intent: "drop" }).success).toBe(false);
  });
});
