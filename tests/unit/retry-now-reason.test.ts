import { describe, expect, test } from "vitest";
import { notWaitingReason } from "@/lib/jobs/web/retry-now";

// The run page and POST .../retry-now say the same thing; a later run is not "already due".
describe("notWaitingReason", () => {
  test("names a finished run's status", () => {
    expect(notWaitingReason({ status: "completed", attempts: 1 })).toBe("The run is not waiting for a retry: it is completed.");
  });
  test("tells a later run that has not started from a retry already due", () => {
    expect(notWaitingReason({ status: "pending", attempts: 0 })).toBe("The run is not waiting for a retry: it has not run yet (a later run starts at its time).");
    expect(notWaitingReason({ status: "pending", attempts: 2 })).toBe("The run is not waiting for a retry: its retry is already due.");
  });
});
