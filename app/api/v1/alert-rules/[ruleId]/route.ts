import { apiRoute, ApiError, json, notFound } from "@/lib/api/handler";
import { alertRulePatchBody, ruleParams } from "@/lib/api/alerts";
import { deleteAlertRule, getAlertRule, updateAlertRule } from "@/lib/dal/alerts";

/** GET /api/v1/alert-rules/{ruleId}: one rule of the key's team (another team's is 404). */
export const GET = apiRoute({ params: ruleParams }, async ({ params }) => {
  const rule = await getAlertRule(null, params.ruleId);
  if (!rule) throw notFound();
  return json(rule);
});

/** PATCH /api/v1/alert-rules/{ruleId}: change any of its fields, or enable/disable it. */
export const PATCH = apiRoute({ params: ruleParams, body: alertRulePatchBody }, async ({ params, body }) => {
  const updated = await updateAlertRule(null, params.ruleId, body);
  if (!updated) throw notFound();
  if (!updated.ok) throw new ApiError(422, "invalid", updated.message, { fieldErrors: updated.fieldErrors });
  return json(updated.rule);
});

/** DELETE /api/v1/alert-rules/{ruleId}: nothing more is emailed for it. */
export const DELETE = apiRoute({ params: ruleParams }, async ({ params }) => {
  if ((await deleteAlertRule(null, params.ruleId)) === "not_found") throw notFound();
  return new Response(null, { status: 204 });
});
