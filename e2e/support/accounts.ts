import path from "node:path";

export type Role = "admin" | "member" | "support" | "outsider";

export const ACCOUNTS: Record<Role, { email: string; password: string }> = {
  admin: { email: "admin@runboard.local", password: "runboard-admin" },
  member: { email: "member@runboard.local", password: "runboard-member" },
  support: { email: "support@runboard.local", password: "runboard-support" },
  // Seeded by auth.setup.ts: an admin of another team.
  outsider: { email: "outsider@globex.test", password: "globex-admin-pw" },
};

export const PROJECT = "acme-app";
export const OUTSIDER_PROJECT = "globex-site";
/** Another Acme project (seeded by auth.setup.ts) for specs that hold a job type's slot. */
export const SECOND_PROJECT = "acme-ops";

export const storageState = (role: Role) => path.join(import.meta.dirname, "..", "..", ".data", "e2e-auth", `${role}.json`);
