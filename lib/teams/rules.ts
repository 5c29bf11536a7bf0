import type { TeamRole } from "@/lib/db/schema";

/**
 * The membership rules people expect, as pure checks (the DAL runs them inside the transaction,
 * on rows it has locked): admins cannot touch owners, only owners make owners, and a team always
 * keeps at least one owner. Each returns null when allowed, or why not.
 */
/** Role values for forms and input schemas (app code may not import lib/db values). */
export const ROLE_OPTIONS = ["owner", "admin", "member"] as const satisfies readonly TeamRole[];

export type Refusal = { code: "owner_only" | "last_owner" | "last_manager" | "not_grantable" | "role_has_all"; message: string };

/** Owners and admins in the team; a team without an owner (an older install) still keeps a manager. */
export type Counts = { owners: number; managers: number };

const MANAGERS: readonly TeamRole[] = ["owner", "admin"];

function lastManager(target: Subject): Refusal {
  return {
    code: "last_manager",
    message: target.isSelf ? "You are the only one who can manage this team: make someone else an admin first." : "A team needs someone to manage it: make someone else an admin first.",
  };
}

export type Subject = { role: TeamRole; isSelf: boolean };

function lastOwner(target: Subject, verb: string): Refusal {
  return {
    code: "last_owner",
    message: target.isSelf
      ? `You are the team's last owner: make someone else an owner before you ${verb} yourself.`
      : `A team needs at least one owner: make someone else an owner before you ${verb} this one.`,
  };
}

export function refuseRoleChange(actor: TeamRole, target: Subject, next: TeamRole, counts: Counts): Refusal | null {
  if (target.role === "owner" && actor !== "owner") return { code: "owner_only", message: "Only an owner can change an owner's role." };
  if (next === "owner" && actor !== "owner") return { code: "owner_only", message: "Only an owner can make someone an owner." };
  if (target.role === "owner" && next !== "owner" && counts.owners <= 1) return lastOwner(target, "demote");
  if (MANAGERS.includes(target.role) && !MANAGERS.includes(next) && counts.managers <= 1) return lastManager(target);
  return null;
}

export function refuseRemoval(actor: TeamRole, target: Subject, counts: Counts): Refusal | null {
  if (target.role === "owner" && actor !== "owner") return { code: "owner_only", message: "Only an owner can remove an owner." };
  if (target.role === "owner" && counts.owners <= 1) return lastOwner(target, "remove");
  if (MANAGERS.includes(target.role) && counts.managers <= 1) return lastManager(target);
  return null;
}

export function refuseGrantChange(target: Subject): Refusal | null {
  if (target.role !== "member") return { code: "role_has_all", message: "Admins and owners hold every permission already; grants apply to members." };
  return null;
}

export function refuseInvite(actor: TeamRole, role: TeamRole): Refusal | null {
  if (role === "owner" && actor !== "owner") return { code: "owner_only", message: "Only an owner can invite an owner." };
  return null;
}
