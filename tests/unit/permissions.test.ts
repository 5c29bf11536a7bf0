import { describe, expect, test } from "vitest";
import { can, permissionsFor, type Membership, type Permission } from "@/lib/auth/permissions";

const sorted = (set: Set<Permission>): Permission[] => [...set].sort();

describe("permissionsFor / can", () => {
  test.each(["owner", "admin"] as const)("a team %s can read and write jobs and manage the team", (role) => {
    const m: Membership = { role, grants: [] };
    expect(sorted(permissionsFor(m, "user"))).toEqual(["jobs:read", "jobs:write", "team:manage"]);
    expect(can(m, "user", "jobs:write")).toBe(true);
  });

  test("a plain member holds nothing by default (admin role minimum)", () => {
    const m: Membership = { role: "member", grants: [] };
    expect(permissionsFor(m, "user").size).toBe(0);
    expect(can(m, "user", "jobs:read")).toBe(false);
    expect(can(m, "user", "jobs:write")).toBe(false);
  });

  test("an explicit grant adds exactly that permission", () => {
    const m: Membership = { role: "member", grants: ["jobs:read"] };
    expect(can(m, "user", "jobs:read")).toBe(true);
    expect(can(m, "user", "jobs:write")).toBe(false);
  });

  test("unknown grant strings are ignored", () => {
    const m: Membership = { role: "member", grants: ["jobs:*", "JOBS:WRITE", "admin", "", "team:manage"] };
    expect(permissionsFor(m, "user").size).toBe(0);
  });

  test("no membership gives a user nothing", () => {
    expect(permissionsFor(null, "user").size).toBe(0);
  });

  test("support reads any team without membership but never writes", () => {
    expect(sorted(permissionsFor(null, "support"))).toEqual(["jobs:read"]);
    expect(can(null, "support", "jobs:write")).toBe(false);
    expect(can({ role: "member", grants: [] }, "support", "jobs:read")).toBe(true);
  });
});
