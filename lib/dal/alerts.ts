import "server-only";
import { and, asc, count, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { recordAudit } from "@/lib/audit";
import { permissionsFor } from "@/lib/auth/permissions";
import { getDatabase, type Tx } from "@/lib/db/client";
import { ALERT_RECIPIENTS, ALERT_STATUSES, alertRules, projects, teamMembers, users, type AlertRecipients, type AlertStatus } from "@/lib/db/schema";
import { projectJobDefinitions } from "@/lib/jobs/catalog";
import { loadRegisteredTypes } from "@/lib/jobs/registry";
import { safeText } from "@/lib/validation/safe-text";
import { requireTeamManagement } from "./access";

export { ALERT_RECIPIENTS, ALERT_STATUSES };
/** Rules per team: enough for one per job type and audience; the settle path matches them all. */
export const MAX_ALERT_RULES_PER_TEAM = 50;
export const MAX_ALERT_NAME = 100;
export const MAX_RULE_JOB_TYPES = 50;
export const MAX_RULE_RECIPIENTS = 50;
/** One day: a longer window would hide a day's failures behind one email. */
export const MAX_THROTTLE_MINUTES = 1440;
/** The form's member choices; a team is bounded at 500 members (lib/dal/teams.ts). */
const MAX_MEMBER_CHOICES = 500;
const MAX_PROJECT_CHOICES = 100;


// ---------------------------------------------------------------------------------------------
// Input. The shapes are checked here; what depends on the team (job types, project, members) is
// checked against the database in `resolve`, and refused the same way, field by field.

const name = safeText().trim().min(1, "Give the rule a name.").max(MAX_ALERT_NAME, `Keep the name under ${MAX_ALERT_NAME} characters.`);
const jobTypes = z
  .array(safeText().min(1).max(200), { error: "Choose the job types to alert on." })
  .min(1, "Choose at least one job type.")
  .max(MAX_RULE_JOB_TYPES, `Choose at most ${MAX_RULE_JOB_TYPES} job types.`);
const project = safeText().max(200).nullable().meta({ description: "A project slug of the team; null (or absent) for every project." });
const statuses = z
  .array(z.enum(ALERT_STATUSES, { error: "Choose failed and/or dead_letter." }), { error: "Choose failed and/or dead_letter." })
  .min(1, "Choose at least one of failed and dead_letter.")
  .max(ALERT_STATUSES.length);
const recipients = z.enum(ALERT_RECIPIENTS, { error: "Choose admins or members." });
const recipientIds = z.array(z.uuid("Not a member id."), { error: "List the members to email." }).max(MAX_RULE_RECIPIENTS, `Name at most ${MAX_RULE_RECIPIENTS} members.`);
const throttleMinutes = z
  .number({ error: "Enter the throttle in whole minutes." })
  .int("Enter the throttle in whole minutes.")
  .min(1, "The throttle is at least 1 minute.")
  .max(MAX_THROTTLE_MINUTES, `The throttle is at most ${MAX_THROTTLE_MINUTES} minutes (a day).`);

export const alertRuleInput = z.object({
  name,
  jobTypes,
  project: project.default(null),
  statuses: statuses.default([...ALERT_STATUSES]),
  recipients: recipients.default("admins"),
  recipientIds: recipientIds.default([]),
  throttleMinutes: throttleMinutes.default(30),
  enabled: z.boolean().default(true),
});
export type AlertRuleInput = z.input<typeof alertRuleInput>;

export const alertRulePatch = z
  .object({ name: name.optional(), jobTypes: jobTypes.optional(), project: project.optional(), statuses: statuses.optional(), recipients: recipients.optional(), recipientIds: recipientIds.optional(), throttleMinutes: throttleMinutes.optional(), enabled: z.boolean().optional() })
  .strict();
export type AlertRulePatch = z.input<typeof alertRulePatch>;

export type AlertRuleItem = {
  id: string;
  name: string;
  jobTypes: string[];
  /** Null: every project of the team. */
  project: { slug: string; name: string } | null;
  statuses: AlertStatus[];
  recipients: AlertRecipients;
  /** With `members`: who (members who have since left are dropped here and by the engine). */
  members: { id: string; name: string }[];
  throttleMinutes: number;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
  createdBy: string | null;
  /** When the rule last wrote an alert or digest email, if ever. */
  lastAlertAt: string | null;
};

export type AlertRuleRefusal = { ok: false; code: "invalid" | "limit_reached"; message: string; fieldErrors?: Record<string, string[]> };

const isUuid = (value: string) => z.uuid().safeParse(value).success;
const invalid = (field: string, message: string): AlertRuleRefusal => ({ ok: false, code: "invalid", message: "Please correct the highlighted fields.", fieldErrors: { [field]: [message] } });

/** Flattened zod issues as a refusal, so the UI and the API report bad input the same way. */
function refusalOf(error: z.ZodError): AlertRuleRefusal {
  const fieldErrors: Record<string, string[]> = {};
  for (const issue of error.issues) (fieldErrors[String(issue.path[0] ?? "body")] ??= []).push(issue.message);
  return { ok: false, code: "invalid", message: "Please correct the highlighted fields.", fieldErrors };
}

type Resolved = { projectId?: string | null; recipientIds?: string[]; jobTypes?: string[]; statuses?: AlertStatus[] };

/** Check the team-dependent fields against the database; the resolved column values or a refusal. */
async function resolve(tx: Tx, teamId: string, input: { jobTypes?: string[]; project?: string | null; recipients?: AlertRecipients; recipientIds?: string[]; statuses?: AlertStatus[] }): Promise<Resolved | AlertRuleRefusal> {
  const out: Resolved = {};
  if (input.jobTypes) {
    await loadRegisteredTypes(getDatabase().db, { maxAgeMs: 5_000 });
    const known = new Set(projectJobDefinitions().map((d) => d.name));
    const unknown = input.jobTypes.filter((t) => !known.has(t));
    if (unknown.length > 0) return invalid("jobTypes", `Unknown job type${unknown.length > 1 ? "s" : ""}: ${unknown.slice(0, 5).join(", ")}. Choose from this team's project job types.`);
    out.jobTypes = [...new Set(input.jobTypes)];
  }
  if (input.statuses) out.statuses = [...new Set(input.statuses)];
  if (input.project !== undefined) {
    if (input.project === null || input.project === "") out.projectId = null;
    else {
      const [row] = await tx
        .select({ id: projects.id })
        .from(projects)
        .where(and(eq(projects.slug, input.project), eq(projects.teamId, teamId), isNull(projects.deletedAt)));
      // Another team's project is "no such project", never "not yours".
      if (!row) return invalid("project", `This team has no project "${input.project.slice(0, 100)}".`);
      out.projectId = row.id;
    }
  }
  if (input.recipientIds) {
    const ids = [...new Set(input.recipientIds)];
    if (input.recipients === "members" && ids.length === 0) return invalid("recipientIds", "Choose at least one member to email.");
    if (ids.length > 0) {
      const rows = await tx
        .select({ userId: teamMembers.userId, role: teamMembers.role, grants: teamMembers.grants })
        .from(teamMembers)
        .where(and(eq(teamMembers.teamId, teamId), inArray(teamMembers.userId, ids)));
      if (rows.length !== ids.length) return invalid("recipientIds", "Some of the chosen people are not members of this team.");
      // The engine emails only people who can read the team's runs: refuse a choice that would stay silent.
      if (rows.some((r) => !permissionsFor({ role: r.role, grants: r.grants }, "user").has("jobs:read"))) return invalid("recipientIds", "Some of the chosen members cannot see this team's runs (they need jobs:read).");
    }
    out.recipientIds = ids;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reads

type RuleRow = typeof alertRules.$inferSelect;

/** Rows to DTOs: one query for project names, one for member names, one for last alerts (no N+1). */
async function itemsOf(rows: RuleRow[], teamId: string): Promise<AlertRuleItem[]> {
  if (rows.length === 0) return [];
  const { db } = getDatabase();
  const projectIds = [...new Set(rows.map((r) => r.projectId).filter((id): id is string => id !== null))];
  const memberIds = [...new Set(rows.flatMap((r) => r.recipientIds))];
  const creatorIds = [...new Set(rows.map((r) => r.createdBy).filter((id): id is string => id !== null))];
  const [projectRows, memberRows, creatorRows, lastRows] = await Promise.all([
    projectIds.length ? db.select({ id: projects.id, slug: projects.slug, name: projects.name }).from(projects).where(and(inArray(projects.id, projectIds), eq(projects.teamId, teamId))) : [],
    memberIds.length
      ? db
          .select({ id: users.id, name: users.name })
          .from(teamMembers)
          .innerJoin(users, eq(users.id, teamMembers.userId))
          .where(and(eq(teamMembers.teamId, teamId), inArray(teamMembers.userId, memberIds)))
      : [],
    creatorIds.length ? db.select({ id: users.id, name: users.name }).from(users).where(inArray(users.id, creatorIds)) : [],
    // notifications_alert_rule_idx answers each rule's newest email with one index probe.
    db.execute<{ id: string; at: string | null }>(
      sql`select r.id, (select n.created_at from notifications n where n.alert_rule_id = r.id order by n.created_at desc limit 1)::text as at
          from alert_rules r where r.id in (${sql.join(
            rows.map((r) => sql`${r.id}::uuid`),
            sql`, `,
          )})`,
    ),
  ]);
  const projectsById = new Map(projectRows.map((p) => [p.id, p]));
  const names = new Map(memberRows.map((m) => [m.id, m.name]));
  const creators = new Map(creatorRows.map((c) => [c.id, c.name]));
  const last = new Map([...lastRows].map((l) => [l.id, l.at]));
  return rows.map((r) => {
    const p = r.projectId ? projectsById.get(r.projectId) : undefined;
    const at = last.get(r.id);
    return {
      id: r.id,
      name: r.name,
      jobTypes: r.jobTypes,
      project: p ? { slug: p.slug, name: p.name } : null,
      statuses: r.statuses,
      recipients: r.recipients,
      members: r.recipients === "members" ? r.recipientIds.flatMap((id) => (names.has(id) ? [{ id, name: names.get(id)! }] : [])) : [],
      // The engine counts seconds (tests use seconds); people see whole minutes.
      throttleMinutes: Math.max(1, Math.round(r.throttleSeconds / 60)),
      enabled: r.enabled,
      createdAt: r.createdAt.toISOString(),
      updatedAt: r.updatedAt.toISOString(),
      createdBy: r.createdBy ? (creators.get(r.createdBy) ?? null) : null,
      lastAlertAt: at ? new Date(at).toISOString() : null,
    };
  });
}

/** The team's rules, newest first; at most MAX_ALERT_RULES_PER_TEAM exist, so one bounded read. */
export async function listAlertRules(teamSlug: string | null): Promise<AlertRuleItem[]> {
  const scope = await requireTeamManagement(teamSlug);
  const rows = await getDatabase()
    .db.select()
    .from(alertRules)
    .where(eq(alertRules.teamId, scope.teamId))
    .orderBy(desc(alertRules.createdAt), desc(alertRules.id))
    .limit(MAX_ALERT_RULES_PER_TEAM);
  return itemsOf(rows, scope.teamId);
}

/** One rule of the team, or null (another team's id is null too). */
export async function getAlertRule(teamSlug: string | null, ruleId: string): Promise<AlertRuleItem | null> {
  const scope = await requireTeamManagement(teamSlug);
  if (!isUuid(ruleId)) return null;
  const rows = await getDatabase()
    .db.select()
    .from(alertRules)
    .where(and(eq(alertRules.id, ruleId), eq(alertRules.teamId, scope.teamId)));
  return (await itemsOf(rows, scope.teamId))[0] ?? null;
}

export type AlertFormChoices = {
  jobTypes: { name: string; label: string }[];
  projects: { slug: string; name: string }[];
  /** Members who can read the team's runs: the only people a rule can email. */
  members: { id: string; name: string; email: string }[];
};

/** What the rule form offers: the project job types, the team's projects and members who can read runs. */
export async function getAlertFormChoices(teamSlug: string): Promise<AlertFormChoices> {
  const scope = await requireTeamManagement(teamSlug);
  const { db } = getDatabase();
  await loadRegisteredTypes(db, { maxAgeMs: 5_000 });
  const [projectRows, memberRows] = await Promise.all([
    db
      .select({ slug: projects.slug, name: projects.name })
      .from(projects)
      .where(and(eq(projects.teamId, scope.teamId), isNull(projects.deletedAt)))
      .orderBy(asc(projects.name))
      .limit(MAX_PROJECT_CHOICES),
    db
      .select({ id: users.id, name: users.name, email: users.email, role: teamMembers.role, grants: teamMembers.grants })
      .from(teamMembers)
      .innerJoin(users, eq(users.id, teamMembers.userId))
      .where(and(eq(teamMembers.teamId, scope.teamId), isNull(users.disabledAt)))
      .orderBy(asc(users.name))
      .limit(MAX_MEMBER_CHOICES),
  ]);
  return {
    jobTypes: projectJobDefinitions().map((d) => ({ name: d.name, label: d.label })),
    projects: projectRows,
    members: memberRows.filter((m) => permissionsFor({ role: m.role, grants: m.grants }, "user").has("jobs:read")).map(({ id, name, email }) => ({ id, name, email })),
  };
}

// ---------------------------------------------------------------------------------------------
// Writes

/** Create a rule; refused with field errors for bad input and `limit_reached` past the bound. */
export async function createAlertRule(teamSlug: string | null, input: unknown): Promise<{ ok: true; rule: AlertRuleItem } | AlertRuleRefusal> {
  const scope = await requireTeamManagement(teamSlug);
  const parsed = alertRuleInput.safeParse(input);
  if (!parsed.success) return refusalOf(parsed.error);
  const data = parsed.data;
  if (data.recipients === "members" && data.recipientIds.length === 0) return invalid("recipientIds", "Choose at least one member to email.");
  const row = await getDatabase().db.transaction(async (tx) => {
    // Serialise creations per team, so two at once cannot both pass the count.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('alert_rules'), hashtext(${scope.teamId}))`);
    const [{ n } = { n: 0 }] = await tx.select({ n: count() }).from(alertRules).where(eq(alertRules.teamId, scope.teamId));
    if (n >= MAX_ALERT_RULES_PER_TEAM) return { ok: false, code: "limit_reached", message: `A team can have at most ${MAX_ALERT_RULES_PER_TEAM} alert rules; delete one first.` } as const;
    const resolved = await resolve(tx, scope.teamId, { ...data, recipientIds: data.recipients === "members" ? data.recipientIds : [] });
    if ("ok" in resolved) return resolved;
    const [created] = await tx
      .insert(alertRules)
      .values({
        teamId: scope.teamId,
        name: data.name,
        jobTypes: resolved.jobTypes!,
        projectId: resolved.projectId ?? null,
        statuses: resolved.statuses!,
        recipients: data.recipients,
        recipientIds: resolved.recipientIds ?? [],
        throttleSeconds: data.throttleMinutes * 60,
        enabled: data.enabled,
        createdBy: scope.actor.userId,
      })
      .returning();
    if (!created) throw new Error("The alert rule was not stored.");
    await recordAudit(tx, { action: "alert_rule.created", actor: scope.actor, teamId: scope.teamId, details: { ruleId: created.id, name: created.name, jobTypes: created.jobTypes } });
    return created;
  });
  if ("ok" in row) return row;
  return { ok: true, rule: (await itemsOf([row], scope.teamId))[0]! };
}

/**
 * Change a rule (any subset of its fields, or enable/disable it); null when not the team's. A
 * changed throttle applies from the next window; an open window keeps its end.
 */
export async function updateAlertRule(teamSlug: string | null, ruleId: string, patch: unknown): Promise<{ ok: true; rule: AlertRuleItem } | AlertRuleRefusal | null> {
  const scope = await requireTeamManagement(teamSlug);
  if (!isUuid(ruleId)) return null;
  const parsed = alertRulePatch.safeParse(patch);
  if (!parsed.success) return refusalOf(parsed.error);
  const changes = parsed.data;
  const row = await getDatabase().db.transaction(async (tx) => {
    const [current] = await tx
      .select()
      .from(alertRules)
      .where(and(eq(alertRules.id, ruleId), eq(alertRules.teamId, scope.teamId)))
      .for("update");
    if (!current) return null;
    const recipientsAfter = changes.recipients ?? current.recipients;
    // Switching to admins forgets the named members; switching to members needs some.
    const idsAfter = recipientsAfter === "admins" ? [] : (changes.recipientIds ?? current.recipientIds);
    if (recipientsAfter === "members" && idsAfter.length === 0) return invalid("recipientIds", "Choose at least one member to email.");
    const resolved = await resolve(tx, scope.teamId, {
      jobTypes: changes.jobTypes,
      project: changes.project,
      statuses: changes.statuses,
      recipients: recipientsAfter,
      recipientIds: changes.recipientIds !== undefined || changes.recipients !== undefined ? idsAfter : undefined,
    });
    if ("ok" in resolved) return resolved;
    const set: Partial<typeof alertRules.$inferInsert> = {
      ...(changes.name !== undefined ? { name: changes.name } : {}),
      ...(resolved.jobTypes ? { jobTypes: resolved.jobTypes } : {}),
      ...(resolved.projectId !== undefined ? { projectId: resolved.projectId } : {}),
      ...(resolved.statuses ? { statuses: resolved.statuses } : {}),
      ...(changes.recipients !== undefined ? { recipients: changes.recipients } : {}),
      ...(resolved.recipientIds ? { recipientIds: resolved.recipientIds } : {}),
      ...(changes.throttleMinutes !== undefined ? { throttleSeconds: changes.throttleMinutes * 60 } : {}),
      ...(changes.enabled !== undefined ? { enabled: changes.enabled } : {}),
    };
    if (Object.keys(set).length === 0) return current;
    const [updated] = await tx
      .update(alertRules)
      .set({ ...set, updatedAt: sql`now()` })
      .where(eq(alertRules.id, ruleId))
      .returning();
    await recordAudit(tx, { action: "alert_rule.updated", actor: scope.actor, teamId: scope.teamId, details: { ruleId, name: updated!.name, changed: Object.keys(changes) } });
    return updated!;
  });
  if (row === null || "ok" in row) return row;
  return { ok: true, rule: (await itemsOf([row], scope.teamId))[0]! };
}

/** Delete a rule; its open windows go with it, so held-back failures are not digested. */
export async function deleteAlertRule(teamSlug: string | null, ruleId: string): Promise<"deleted" | "not_found"> {
  const scope = await requireTeamManagement(teamSlug);
  if (!isUuid(ruleId)) return "not_found";
  return getDatabase().db.transaction(async (tx) => {
    const [row] = await tx
      .delete(alertRules)
      .where(and(eq(alertRules.id, ruleId), eq(alertRules.teamId, scope.teamId)))
      .returning({ name: alertRules.name });
    if (!row) return "not_found";
    await recordAudit(tx, { action: "alert_rule.deleted", actor: scope.actor, teamId: scope.teamId, details: { ruleId, name: row.name } });
    return "deleted";
  });
}
