import { describe, expect, test } from "vitest";
import { jobNames, registerInIndex, ScaffoldError } from "@/cli/new-job";

describe("runboard new job: names", () => {
  test("kebab or snake input gives every spelling a job type needs", () => {
    for (const input of ["sync-invoices", "sync_invoices", " sync-invoices "]) {
      expect(jobNames(input)).toEqual({ kebab: "sync-invoices", snake: "sync_invoices", camel: "syncInvoices", pascal: "SyncInvoices", label: "Sync invoices" });
    }
    expect(jobNames("s3-backup2")).toMatchObject({ kebab: "s3-backup2", snake: "s3_backup2", camel: "s3Backup2", pascal: "S3Backup2" });
  });

  test.each([
    ["", /Name the job type/],
    ["SyncInvoices", /not a job name.*e\.g\. sync-invoices\./],
    ["sync invoices", /not a job name.*e\.g\. sync-invoices\./],
    ["2fa-reset", /not a job name/],
    ["sync--invoices", /not a job name/],
    ["sync-", /not a job name/],
    ["../etc/passwd", /not a job name/],
    ["jobs/x", /not a job name/],
    ["delete", /reserved word.*delete-records/],
    ["index", /reserved/],
    [`a${"-b".repeat(40)}`, /too long/],
  ])("refuses %j with a message that says what to do", (input, message) => {
    expect(() => jobNames(input)).toThrow(ScaffoldError);
    expect(() => jobNames(input)).toThrow(message);
  });
});

describe("runboard new job: registering in jobs/index.ts", () => {
  const n = jobNames("billing-sync");

  test("a one-line list gains the import (in order) and the entry", () => {
    const source = 'import contactsImport from "./contacts-import";\nimport runsExport from "./runs-export";\n\n/** The team\'s job types. */\nexport const JOBS = [contactsImport, runsExport] as const;\n';
    expect(registerInIndex(source, n)).toBe(
      'import billingSync from "./billing-sync";\nimport contactsImport from "./contacts-import";\nimport runsExport from "./runs-export";\n\n/** The team\'s job types. */\nexport const JOBS = [contactsImport, runsExport, billingSync] as const;\n',
    );
  });

  test("a multi-line list, with or without a trailing comma, and an empty list", () => {
    expect(registerInIndex('import a from "./a";\nexport const JOBS = [\n  a,\n] as const;\n', n)).toBe('import a from "./a";\nimport billingSync from "./billing-sync";\nexport const JOBS = [\n  a,\n  billingSync,\n] as const;\n');
    expect(registerInIndex('import a from "./a";\nexport const JOBS = [\n  a\n] as const;\n', n)).toContain("[\n  a,\n  billingSync,\n] as const");
    expect(registerInIndex("export const JOBS = [] as const;\n", n)).toBe('import billingSync from "./billing-sync";\nexport const JOBS = [billingSync] as const;\n');
  });

  test("an index it does not recognise is refused, with what to add by hand", () => {
    expect(() => registerInIndex("export const JOBS = makeJobs();\n", n)).toThrow(/add billingSync \(import billingSync from "\.\/billing-sync"\) to your list by hand/);
  });
});
