import { describe, expect, test } from "vitest";
import { formatDuration, runFinishedEmail, runUrl, systemAlertEmail, type RunFacts } from "@/lib/notify/messages";

const RUN_ID = "0a1b2c3d-1111-4222-8333-444455556666";

function facts(overrides: Partial<RunFacts> = {}): RunFacts {
  return {
    runId: RUN_ID,
    jobLabel: "Import contacts",
    status: "completed",
    projectName: "Acme App",
    projectSlug: "acme-app",
    startedAt: new Date("2030-01-01T10:00:00Z"),
    completedAt: new Date("2030-01-01T10:01:05Z"),
    attempts: 1,
    progressMessage: "Imported 2, 1 skipped",
    error: null,
    errorMessage: null,
    ...overrides,
  };
}

describe("runUrl", () => {
  test("joins the public URL, project slug and run id without doubling slashes", () => {
    expect(runUrl("https://runboard.example.com/", "acme-app", RUN_ID)).toBe(`https://runboard.example.com/projects/acme-app/runs/${RUN_ID}`);
    expect(runUrl("http://localhost:3000", "acme app", RUN_ID)).toBe(`http://localhost:3000/projects/acme%20app/runs/${RUN_ID}`);
  });
});

describe("formatDuration", () => {
  test.each([
    [850, "850 ms"],
    [12_340, "12.3 s"],
    [65_000, "1 min 5 s"],
    [7_380_000, "2 h 3 min"],
  ])("%d ms reads %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe("runFinishedEmail", () => {
  test("a completed run names the job, the outcome, the facts and links to the run", () => {
    const mail = runFinishedEmail(facts(), "https://runboard.example.com");
    expect(mail.subject).toBe("[Runboard] Import contacts completed");
    expect(mail.bodyText).toContain("Import contacts completed in Acme App.");
    expect(mail.bodyText).toContain("Status: completed");
    expect(mail.bodyText).toContain("Duration: 1 min 5 s");
    expect(mail.bodyText).toContain("Progress: Imported 2, 1 skipped");
    expect(mail.bodyText).toContain(`View the run: https://runboard.example.com/projects/acme-app/runs/${RUN_ID}`);
    expect(mail.bodyText).not.toContain("Error:");
  });

  test("a failed run carries its error, masked for the tenant, with the support reference", () => {
    const message = "connect failed: postgres://app:hunter2@db.internal/x password=hunter2";
    const mail = runFinishedEmail(
      facts({ status: "failed", errorMessage: message, error: { message, type: "internal", source: "handler", subType: "unhandled_exception", severity: 4, retryable: true, stack: "Error: at secret.ts:1" } }),
      "http://localhost:3000",
    );
    expect(mail.subject).toBe("[Runboard] Import contacts failed");
    expect(mail.bodyText).toContain("Error: connect failed: postgres://***@db.internal/x password=*** (reference ERR-0A1B2C3D)");
    expect(mail.bodyText).not.toContain("hunter2");
    expect(mail.bodyText).not.toContain("secret.ts");
  });

  test("dead letter and cancel read as such; a run cancelled before it started says so", () => {
    expect(runFinishedEmail(facts({ status: "dead_letter", attempts: 3 }), "http://x").subject).toBe("[Runboard] Import contacts failed after all retries");
    const cancelled = runFinishedEmail(facts({ status: "cancelled", startedAt: null, progressMessage: null }), "http://x");
    expect(cancelled.subject).toBe("[Runboard] Import contacts was cancelled");
    expect(cancelled.bodyText).toContain("Duration: it never started");
    expect(cancelled.bodyText).not.toContain("Progress:");
  });

  test("a run without a project has no link", () => {
    const mail = runFinishedEmail(facts({ projectName: null, projectSlug: null }), "http://x");
    expect(mail.bodyText).toContain("Import contacts completed.");
    expect(mail.bodyText).not.toContain("View the run");
  });
});

describe("systemAlertEmail", () => {
  test("names the system job, its run and how operators see the full detail", () => {
    const mail = systemAlertEmail(
      facts({ jobLabel: "Database pruning", status: "failed", projectName: null, projectSlug: null, errorMessage: "token=abc123456789 expired", error: null }),
      "db_pruning",
    );
    expect(mail.subject).toBe("[Runboard] System job Database pruning failed");
    expect(mail.bodyText).toContain("System job Database pruning (db_pruning) failed.");
    expect(mail.bodyText).toContain(`Run: ${RUN_ID}`);
    expect(mail.bodyText).toContain("Error: token=*** expired");
    expect(mail.bodyText).toContain(`npm run system -- show ${RUN_ID}`);
  });
});
