import { apiRoute, ApiError, json } from "@/lib/api/handler";
import { alertRuleBody } from "@/lib/api/alerts";
import { createAlertRule, listAlertRules } from "@/lib/dal/alerts";

/** GET /api/v1/alert-rules: the key's team's alert rules (jobs:write, creator an admin or owner). */
export const GET = apiRoute({}, async () => json({ rules: await listAlertRules(null) }));

/** POST /api/v1/alert-rules: add a rule; job types, project and members are checked against the team (422). */
export const POST = apiRoute({ body: alertRuleBody }, async ({ body }) => {
  const created = await createAlertRule(null, body);
  if (!created.ok) throw new ApiError(created.code === "limit_reached" ? 409 : 422, created.code, created.message, { fieldErrors: created.fieldErrors });
  return json(created.rule, 201);
});
