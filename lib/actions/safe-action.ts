import "server-only";
import { unstable_rethrow } from "next/navigation";
import { z } from "zod";
import type { InstancePermission, Permission } from "@/lib/auth/permissions";
import { getCurrentUser, type CurrentUser } from "@/lib/dal/users";
import { AccessError, requireProjectPermission, requireTeamPermission, type ProjectAccess, type TeamAccess } from "@/lib/dal/access";
import { requireInstancePermission } from "@/lib/dal/instance";
import { requireProjectManager, type Manager } from "@/lib/dal/projects";
import { NUL_MESSAGE, nulPaths } from "@/lib/validation/safe-text";

export type ActionResult<T = undefined> =
  | { ok: true; data: T; message?: string }
  | { ok: false; error: string; code?: string; fieldErrors?: Record<string, string[]>; existingRunId?: string };

export type ActionState<T = undefined> = ActionResult<T> | null;

const projectRef = z.object({ projectSlug: z.string().min(1).max(100) });
const teamRef = z.object({ teamSlug: z.string().min(1).max(100) });

/** What an action's body may return to refuse with a specific, user-facing reason. */
export class ActionRefusal extends Error {
  constructor(
    message: string,
    readonly details: { code?: string; fieldErrors?: Record<string, string[]>; existingRunId?: string } = {},
  ) {
    super(message);
  }
}

/** Fields of the form (names, values, uploaded file names) holding a NUL character. */
function nulFields(form: FormData): string[] {
  const fields = new Set<string>();
  for (const [key, value] of form.entries()) {
    const name = key.replaceAll("\u0000", "\\u0000");
    if (name !== key) fields.add(name);
    else for (const path of nulPaths(value, key)) fields.add(path);
  }
  return [...fields];
}

function formObject(form: FormData): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of form.entries()) if (!(key in out)) out[key] = value;
  return out;
}

/**
 * The one wrapper every server action goes through (saas-starter's validatedActionWithUser,
 * dub's authActionClient): session → permission for the project (or team) named in the input →
 * zod parse of the input → call → a safe error. A page's own check never stands in for this one.
 */
function guardedAction<A, S extends z.ZodType, T>(
  resolve: (raw: Record<string, unknown>) => Promise<A | ActionResult<never>>,
  schema: S,
  body: (input: z.output<S>, ctx: { access: A; form: FormData }) => Promise<T>,
): (prev: ActionState<T>, form: FormData) => Promise<ActionResult<T>> {
  return async (_prev, form) => {
    try {
      // Postgres refuses NUL in text: such input is refused here, before any lookup or query.
      const nul = nulFields(form);
      if (nul.length > 0) return { ok: false, code: "invalid", error: "Please correct the highlighted fields.", fieldErrors: Object.fromEntries(nul.map((f) => [f, [NUL_MESSAGE]])) };
      const raw = formObject(form);
      const access = await resolve(raw);
      if (isRefusal(access)) return access;
      const parsed = schema.safeParse(raw);
      if (!parsed.success) {
        const { fieldErrors } = z.flattenError(parsed.error) as { fieldErrors: Record<string, string[]> };
        return { ok: false, code: "invalid", error: "Please correct the highlighted fields.", fieldErrors };
      }
      return { ok: true, data: await body(parsed.data, { access, form }) };
    } catch (error) {
      unstable_rethrow(error); // redirect() and notFound() are control flow, not failures
      if (error instanceof AccessError) return { ok: false, code: error.code, error: error.message };
      if (error instanceof ActionRefusal) return { ok: false, error: error.message, ...error.details };
      const reference = crypto.randomUUID().slice(0, 8);
      console.error(`[action] failed (ref ${reference})`, error);
      return { ok: false, code: "internal", error: `Something went wrong on our side (ref ${reference}). Try again, or quote the ref to support.` };
    }
  };
}

function isRefusal(value: unknown): value is ActionResult<never> {
  return typeof value === "object" && value !== null && "ok" in value && value.ok === false;
}

/** An action on one project: the input names it as `projectSlug`. */
export function projectAction<S extends z.ZodType, T>(
  permission: Permission,
  schema: S,
  body: (input: z.output<S>, ctx: { access: ProjectAccess; form: FormData }) => Promise<T>,
): (prev: ActionState<T>, form: FormData) => Promise<ActionResult<T>> {
  return guardedAction(
    async (raw) => {
      const ref = projectRef.safeParse(raw);
      if (!ref.success) return { ok: false, code: "bad_request", error: "The request did not name a project." };
      return requireProjectPermission(ref.data.projectSlug, permission);
    },
    schema,
    body,
  );
}

/** An action on a team (members, invites, API keys): the input names it as `teamSlug`. */
export function teamAction<S extends z.ZodType, T>(
  permission: Permission,
  schema: S,
  body: (input: z.output<S>, ctx: { access: TeamAccess; form: FormData }) => Promise<T>,
): (prev: ActionState<T>, form: FormData) => Promise<ActionResult<T>> {
  return guardedAction(
    async (raw) => {
      const ref = teamRef.safeParse(raw);
      if (!ref.success) return { ok: false, code: "bad_request", error: "The request did not name a team." };
      return requireTeamPermission(ref.data.teamSlug, permission);
    },
    schema,
    body,
  );
}

/**
 * An action that manages a project (rename, delete, restore): team:manage in the project's team,
 * found by `projectSlug` whether or not it is soft-deleted (a restore names a deleted one).
 */
export function managedProjectAction<S extends z.ZodType, T>(
  schema: S,
  body: (input: z.output<S>, ctx: { access: Manager; form: FormData }) => Promise<T>,
): (prev: ActionState<T>, form: FormData) => Promise<ActionResult<T>> {
  return guardedAction(
    async (raw) => {
      const ref = projectRef.safeParse(raw);
      if (!ref.success) return { ok: false, code: "bad_request", error: "The request did not name a project." };
      return requireProjectManager(ref.data.projectSlug);
    },
    schema,
    body,
  );
}

/**
 * An action that spans projects (the monitor's bulk actions): signed in only; the body's DAL call
 * checks the permission for every project it touches.
 */
export function userAction<S extends z.ZodType, T>(
  schema: S,
  body: (input: z.output<S>, ctx: { access: CurrentUser; form: FormData }) => Promise<T>,
): (prev: ActionState<T>, form: FormData) => Promise<ActionResult<T>> {
  return guardedAction(
    async () => {
      const user = await getCurrentUser();
      if (!user) throw new AccessError("unauthenticated");
      return user;
    },
    schema,
    body,
  );
}

/** An instance action (the Users page): the permission comes from the caller's instance role. */
export function instanceAction<S extends z.ZodType, T>(
  permission: InstancePermission,
  schema: S,
  body: (input: z.output<S>, ctx: { access: CurrentUser; form: FormData }) => Promise<T>,
): (prev: ActionState<T>, form: FormData) => Promise<ActionResult<T>> {
  return guardedAction(() => requireInstancePermission(permission), schema, body);
}

/**
 * An action that needs no session (forgot / reset password): the link's token or the address is
 * the input; the wrapper still parses it and turns failures into safe errors.
 */
export function publicAction<S extends z.ZodType, T>(
  schema: S,
  body: (input: z.output<S>, ctx: { access: null; form: FormData }) => Promise<T>,
): (prev: ActionState<T>, form: FormData) => Promise<ActionResult<T>> {
  return guardedAction(async () => null, schema, body);
}
