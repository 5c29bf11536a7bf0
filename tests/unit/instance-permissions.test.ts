import { expect, test } from "vitest";
import { canInstance, INSTANCE_PERMISSIONS, isInstanceOperator, projectAccessFor, type InstancePermission } from "@/lib/auth/permissions";
import { INSTANCE_ROLES, type InstanceRole } from "@/lib/db/schema";
import { withoutResetToken } from "@/lib/notify/password-reset-email";

test("only the instance owner manages users; support and users do not", () => {
  expect(canInstance("owner", "users:manage")).toBe(true);
  expect(canInstance("support", "users:manage")).toBe(false);
  expect(canInstance("user", "users:manage")).toBe(false);
});

// The whole table, spelled out: a permission moving between roles must change this test too.
const EXPECTED: Record<InstanceRole, readonly InstancePermission[]> = {
  user: [],
  support: ["runs:read-all", "runs:retry-all", "errors:read-unredacted", "outbox:read", "insights:read-all", "workers:read", "queues:read", "schedules:read"],
  owner: ["outbox:read", "insights:read-all", "users:manage", "workers:read", "workers:manage", "queues:read", "queues:manage", "schedules:read", "schedules:manage"],
};

test.each(INSTANCE_ROLES.flatMap((role) => INSTANCE_PERMISSIONS.map((permission) => [role, permission] as const)))("instance role %s holds %s only as the table says", (role, permission) => {
  expect(canInstance(role, permission)).toBe(EXPECTED[role].includes(permission));
});

test("support reads and re-drives everywhere but manages nothing; the owner manages but reads no tenant's runs", () => {
  const manage = INSTANCE_PERMISSIONS.filter((p) => p.endsWith(":manage"));
  expect(manage.length).toBeGreaterThan(0);
  for (const p of manage) expect(canInstance("support", p)).toBe(false);
  for (const p of ["runs:read-all", "runs:retry-all", "errors:read-unredacted"] as const) expect(canInstance("owner", p)).toBe(false);
  // Whoever may manage workers, queues or schedules may also read them.
  const readOf = (p: string) => INSTANCE_PERMISSIONS.find((q) => q === p.replace(":manage", ":read"));
  for (const role of INSTANCE_ROLES) for (const p of manage) if (canInstance(role, p) && readOf(p)) expect(canInstance(role, readOf(p)!)).toBe(true);
});

test("a project is invisible outside its team unless the instance role reads every team's runs", () => {
  expect(projectAccessFor(null, "user")).toBeNull();
  expect(projectAccessFor(null, "owner")).toBeNull();
  const support = projectAccessFor(null, "support");
  expect(support && [...support.permissions]).toEqual(["jobs:read"]);
  expect(support?.unredacted).toBe(true);
  // The instance owner in its own team sees what a team owner sees: redacted.
  const owner = projectAccessFor({ role: "owner", grants: [] }, "owner");
  expect(owner && [...owner.permissions].sort()).toEqual(["jobs:read", "jobs:write", "team:manage"]);
  expect(owner?.unredacted).toBe(false);
  // An empty membership is still a membership: a member with no grants sees the project, holds nothing.
  const member = projectAccessFor({ role: "member", grants: [] }, "user");
  expect(member && member.permissions.size).toBe(0);
});

test("the header marks support and the owner as operators, not users", () => {
  expect(INSTANCE_ROLES.filter(isInstanceOperator)).toEqual(["support", "owner"]);
});

test("a sent reset email keeps no token", () => {
  const body = "Choose a new password: https://rb.example.test/reset-password/abcDEF_123-xyz0123456789\n\nThe link works once.";
  expect(withoutResetToken(body)).toBe("Choose a new password: https://rb.example.test/reset-password/(link removed once sent)\n\nThe link works once.");
});
