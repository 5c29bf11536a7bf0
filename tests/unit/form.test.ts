import { describe, expect, test } from "vitest";
import { getJobDefinition } from "@/lib/jobs/catalog";
import { describePayload, prefillFields, readPayloadForm } from "@/lib/jobs/web/form";
import type { JobDefinition } from "@/lib/jobs/define";

function def(name: string): JobDefinition {
  const found = getJobDefinition(name);
  if (!found) throw new Error(`no job definition ${name}`);
  return found;
}

describe("describePayload", () => {
  test("contacts_import asks for one required file with an accept list", () => {
    expect(describePayload(def("contacts_import"))).toEqual([
      { name: "fileId", title: "File (CSV or JSON)", required: true, kind: "file", accept: ".csv,.json,text/csv,application/json" },
    ]);
  });

  test("runs_export has a bounded integer with a default and a boolean defaulting to true", () => {
    const fields = describePayload(def("runs_export"));
    expect(fields).toEqual([
      { name: "days", title: "Days of history", required: false, kind: "integer", min: 1, max: 3650, defaultValue: 30 },
      { name: "includeErrors", title: "Include error messages", required: false, kind: "boolean", defaultValue: true },
    ]);
  });

  test("demo_paced exposes items and msPerItem with their bounds and defaults", () => {
    expect(describePayload(def("demo_paced"))).toEqual([
      { name: "items", title: "Items", required: false, kind: "integer", min: 1, max: 1000, defaultValue: 20 },
      { name: "msPerItem", title: "Milliseconds per item", required: false, kind: "integer", min: 10, max: 5000, defaultValue: 250 },
    ]);
  });
});

describe("readPayloadForm", () => {
  test("converts numbers and reads a checked checkbox as true", () => {
    const form = new FormData();
    form.set("payload.days", "90");
    form.set("payload.includeErrors", "on");
    form.set("unrelated", "ignored");
    expect(readPayloadForm(def("runs_export"), form)).toEqual({ values: { days: 90, includeErrors: true }, files: {} });
  });

  test("a missing checkbox is false and an empty or blank number is omitted", () => {
    const form = new FormData();
    form.set("payload.days", "   ");
    expect(readPayloadForm(def("runs_export"), form).values).toEqual({ includeErrors: false });
    const demo = new FormData();
    demo.set("payload.items", "");
    demo.set("payload.msPerItem", "125");
    expect(readPayloadForm(def("demo_paced"), demo).values).toEqual({ msPerItem: 125 });
  });

  test("picks up a non-empty uploaded file and never puts it in values", () => {
    const form = new FormData();
    const file = new File(["email\nx@y.z\n"], "contacts.csv", { type: "text/csv" });
    form.set("payload.fileId", file);
    const out = readPayloadForm(def("contacts_import"), form);
    expect(out.values).toEqual({});
    expect(out.files.fileId?.name).toBe("contacts.csv");
    expect(out.files.fileId?.size).toBe(file.size);
  });

  test("ignores an empty file input and a plain string where a file is expected", () => {
    const empty = new FormData();
    empty.set("payload.fileId", new File([], ""));
    expect(readPayloadForm(def("contacts_import"), empty)).toEqual({ values: {}, files: {} });
    const text = new FormData();
    text.set("payload.fileId", "3f2a9c1e-7b4d-4e8a-9c0f-112233445566");
    expect(readPayloadForm(def("contacts_import"), text)).toEqual({ values: {}, files: {} });
  });
});

describe("prefillFields (run again with changes)", () => {
  test("a registered (JSON Schema) type's form takes the earlier payload's values, each only in its own kind", async () => {
    const { definitionFromRegistration } = await import("@/lib/jobs/registry");
    const registered = definitionFromRegistration({
      name: "acme_greeting",
      label: "Greeting",
      description: "",
      scope: "project",
      source: "acme-service",
      payloadSchema: {
        type: "object",
        properties: { name: { type: "string" }, times: { type: "integer", minimum: 1, default: 1 }, loud: { type: "boolean" }, tone: { enum: ["warm", "dry"] } },
        required: ["name"],
      },
      retry: { limit: 0, delaySeconds: 0, backoff: false },
      schedule: null,
      overlap: "none",
      timeoutSeconds: null,
      resource: null,
    } as Parameters<typeof definitionFromRegistration>[0]);
    const fields = prefillFields(describePayload(registered), { name: "Ada", times: 3, loud: true, tone: "dry" });
    expect(fields.map((f) => [f.name, "defaultValue" in f ? f.defaultValue : undefined])).toEqual([
      ["name", "Ada"],
      ["times", 3],
      ["loud", true],
      ["tone", "dry"],
    ]);
    // Wrong kinds (and an enum value the schema no longer has) keep the schema's default.
    const wrong = prefillFields(describePayload(registered), { name: 5, times: "3", loud: "yes", tone: "loud" });
    expect(wrong.map((f) => ("defaultValue" in f ? f.defaultValue : undefined))).toEqual([undefined, 1, false, undefined]);
  });

  test("file fields are never prefilled", () => {
    expect(prefillFields(describePayload(def("contacts_import")), { fileId: "00000000-0000-4000-8000-000000000000" })).toEqual(describePayload(def("contacts_import")));
  });
});
