import { z } from "zod";
import { ALERT_RECIPIENTS, ALERT_STATUSES, alertRuleInput, alertRulePatch } from "@/lib/dal/alerts";

/** The Alerts part of the /api/v1 contract (docs/alerts.md); lib/api/openapi.ts documents it. */

export const ruleParams = z.object({ ruleId: z.uuid("Not an alert rule id.") });

export const alertRuleBody = alertRuleInput.strict().meta({ id: "AlertRuleRequest" });
export const alertRulePatchBody = alertRulePatch.meta({ id: "AlertRulePatch" });

const ruleSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  jobTypes: z.array(z.string()),
  project: z.object({ slug: z.string(), name: z.string() }).nullable(),
  statuses: z.array(z.enum(ALERT_STATUSES)),
  recipients: z.enum(ALERT_RECIPIENTS),
  members: z.array(z.object({ id: z.uuid(), name: z.string() })),
  throttleMinutes: z.number().int(),
  enabled: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
  createdBy: z.string().nullable(),
  lastAlertAt: z.string().nullable(),
});

export const alertRuleSchema = ruleSchema.meta({ id: "AlertRule" });
export const alertRuleListSchema = z.object({ rules: z.array(ruleSchema) }).meta({ id: "AlertRuleList" });
