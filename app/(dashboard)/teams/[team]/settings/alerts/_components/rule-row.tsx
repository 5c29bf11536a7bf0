"use client";

import { useCallback, useState, type ReactNode } from "react";
import type { AlertFormChoices, AlertRuleItem } from "@/lib/dal/alerts";
import { ActionFeedback, useTeamAction } from "../../_components/use-team-action";
import { deleteAlertRuleAction, setAlertRuleEnabledAction } from "../actions";
import { RuleForm } from "./rule-form";

const button = "rounded-md border border-zinc-300 px-2 py-1 text-xs hover:bg-zinc-100 disabled:opacity-60 dark:border-zinc-700 dark:hover:bg-zinc-800";

/**
 * One rule's row: its facts (`children`, rendered by the page), enable/disable, edit (the form
 * opens full width under the row) and delete (confirmed), each through the one action wrapper.
 */
export function RuleRow({ teamSlug, rule, choices, children }: { teamSlug: string; rule: AlertRuleItem; choices: AlertFormChoices; children: ReactNode }) {
  const toggle = useTeamAction(setAlertRuleEnabledAction);
  const remove = useTeamAction(deleteAlertRuleAction);
  const [editing, setEditing] = useState(false);
  const close = useCallback(() => setEditing(false), []);
  const ref = { teamSlug, ruleId: rule.id };
  return (
    <li data-testid="alert-rule" data-rule-id={rule.id} className="space-y-3 px-3 py-3">
      <div className="grid gap-3 md:grid-cols-[minmax(0,1fr)_auto]">
        {children}
        <div className="space-y-2">
      <div className="flex flex-wrap items-center gap-2">
        <label className="flex items-center gap-1.5 text-xs">
          <input
            type="checkbox"
            role="switch"
            aria-label={`${rule.name} enabled`}
            checked={rule.enabled}
            disabled={toggle.pending}
            onChange={() => toggle.run({ ...ref, enabled: String(!rule.enabled) })}
            className="h-4 w-4"
          />
          Enabled
        </label>
        <button type="button" className={button} aria-expanded={editing} onClick={() => setEditing(!editing)} aria-label={`Edit ${rule.name}`}>
          Edit
        </button>
        <button
          type="button"
          aria-label={`Delete ${rule.name}`}
          disabled={remove.pending}
          onClick={() => {
            if (window.confirm(`Delete the alert rule "${rule.name}"? Nothing more is emailed for it, and failures held back for a digest are dropped.`)) remove.run(ref);
          }}
          className="rounded-md border border-red-300 px-2 py-1 text-xs text-red-700 hover:bg-red-50 disabled:opacity-60 dark:border-red-800 dark:text-red-300 dark:hover:bg-red-950/40"
        >
          {remove.pending ? "Deleting…" : "Delete"}
        </button>
      </div>
      <ActionFeedback result={toggle.result} />
      <ActionFeedback result={remove.result} />
        </div>
      </div>
      {editing && <RuleForm teamSlug={teamSlug} choices={choices} rule={rule} onDone={close} />}
    </li>
  );
}
