import { asc, eq } from "drizzle-orm";
import { expect, test } from "vitest";
import { contacts, files } from "@/lib/db/schema";
import { performJob } from "@/lib/testing/perform-job";
import { setupJobTestDatabase } from "@/lib/testing/vitest";
import contactsImport from "./contacts-import";

const database = setupJobTestDatabase();

async function upload(name: string, contentType: string, text: string): Promise<{ projectId: string; fileId: string }> {
  const { projectId } = await database().project();
  const content = Buffer.from(text, "utf8");
  const [file] = await database().database.db.insert(files).values({ projectId, name, contentType, sizeBytes: content.length, content }).returning({ id: files.id });
  return { projectId, fileId: file!.id };
}

test("contacts_import upserts valid rows by email and reports invalid ones with their line numbers", async () => {
  const { projectId, fileId } = await upload("contacts.csv", "text/csv", "Email,Name,Company\r\nada@example.com,Ada,Analytical\r\nnot-an-email,Bad,Row\r\nGRACE@example.com,Grace,\"Navy, US\"\r\n");
  const run = await performJob(contactsImport, { fileId }, { projectId });
  expect(run).toMatchObject({ status: "completed", resource: { type: "file", id: fileId }, progress: { processed: 3, total: 3 } });
  expect(run.result).toEqual({ total: 3, imported: 2, skipped: 1, rowErrors: [{ row: 3, reason: "email: not a valid email address" }] });
  expect(run.steps.map((s) => `${s.name}:${s.status}`)).toEqual(["load_file:completed", "parse:completed", "attempt:completed"]);
  const rows = await database().database.db.select({ email: contacts.email, company: contacts.company }).from(contacts).where(eq(contacts.projectId, projectId)).orderBy(asc(contacts.email));
  expect(rows).toEqual([
    { email: "ada@example.com", company: "Analytical" },
    { email: "grace@example.com", company: "Navy, US" },
  ]);
});

test("contacts_import fails at once, without retrying, on a file with no email column", async () => {
  const { projectId, fileId } = await upload("people.csv", "text/csv", "name,phone\nAda,123\n");
  const run = await performJob(contactsImport, { fileId }, { projectId });
  expect(run).toMatchObject({ status: "failed", attempts: 1, nextAttemptAt: null });
  expect(run.error).toMatchObject({ type: "validation_error", subType: "file_format_invalid", retryable: false });
  expect(run.error?.message).toContain('no "email" column');
  expect(run.steps.find((s) => s.name === "parse")).toMatchObject({ status: "failed", error: { type: "validation_error", subType: "file_format_invalid" } });
});

test("contacts_import of a file that is gone fails with a clear error", async () => {
  const run = await performJob(contactsImport, { fileId: "00000000-0000-4000-8000-000000000000" });
  expect(run).toMatchObject({ status: "failed", error: { subType: "file_not_found", message: "The uploaded file no longer exists" } });
});
