import { expect, test } from "vitest";
import { filterJobTypes, JobTypeFilterError } from "@/workers/job-type-filter";

const jobs = [{ name: "contacts_import" }, { name: "runs_export" }, { name: "demo_paced" }];

test("unset, empty or only commas and spaces: every job type", () => {
  for (const setting of [undefined, "", " , ,"]) expect(filterJobTypes(jobs, setting)).toEqual(jobs);
});

test("a comma list picks those job types, in its order, once each, spaces ignored", () => {
  expect(filterJobTypes(jobs, " demo_paced,contacts_import , demo_paced")).toEqual([{ name: "demo_paced" }, { name: "contacts_import" }]);
});

test("unknown names are refused with every unknown name and the names it knows", () => {
  expect(() => filterJobTypes(jobs, "contacts_import,contact_import,Runs_Export")).toThrow(
    new JobTypeFilterError("WORKER_JOB_TYPES names job types this worker does not know: contact_import, Runs_Export. Known job types: contacts_import, runs_export, demo_paced."),
  );
});
