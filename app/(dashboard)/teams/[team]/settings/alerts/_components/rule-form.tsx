"use client";

import { useEffect, useState, useTransition } from "react";
import { useSafeAction } from "@/lib/actions/use-safe-action";
import { toast } from "@/app/(dashboard)/_components/toaster";
import type { AlertFormChoices, AlertRuleItem } from "@/lib/dal/alerts";
import { createAlertRuleAction, updateAlertRuleAction } from "../actions";

const input = "mt-1 block w-full rounded-md border border-zinc-300 bg-white px-2 py-1.5 text-sm font-normal dark:border-zinc-700 dark:bg-zinc-900";
const box = "h-4 w-4 shrink-0";

function Errors({ messages }: { messages?: string[] }) {
  return messages?.map((m) => (
    <span key={m} className="mt-1 block text-sm font-normal text-red-600 dark:text-red-400">
      {m}
    </span>
  ));
}

/**
 * Create a rule, or edit one (`rule` given): every field of a rule in one form, each checked
 * again by the DAL. `onDone` closes the form after a save.
 */
export function RuleForm({ teamSlug, choices, rule, onDone }: { teamSlug: string; choices: AlertFormChoices; rule?: AlertRuleItem; onDone: () => void }) {
  const [state, action, actionPending] = useSafeAction(rule ? updateAlertRuleAction : createAlertRuleAction);
  const [submitting, startTransition] = useTransition();
  const pending = actionPending || submitting;
  const [recipients, setRecipients] = useState(rule?.recipients ?? "admins");
  const errors = state && !state.ok ? (state.fieldErrors ?? {}) : {};
  const label = rule ? `Edit alert rule ${rule.name}` : "New alert rule";
  useEffect(() => {
    if (state?.ok) {
      toast(state.data.message);
      onDone();
    }
  }, [state, onDone]);
  const checkedTypes = new Set(rule?.jobTypes ?? []);
  const checkedStatuses = new Set(rule?.statuses ?? ["failed", "dead_letter"]);
  const checkedMembers = new Set(rule?.members.map((m) => m.id) ?? []);
  return (
    <form
      // Submitted by hand, not through `action`: React resets a form after its action, and a refused
      // rule must keep what was typed so the highlighted field can be fixed.
      onSubmit={(event) => {
        event.preventDefault();
        const data = new FormData(event.currentTarget);
        startTransition(() => action(data));
      }}
      aria-label={label} className="grid gap-4 rounded-lg border border-zinc-200 p-4 sm:grid-cols-2 dark:border-zinc-800">
      <input type="hidden" name="teamSlug" value={teamSlug} />
      {rule && <input type="hidden" name="ruleId" value={rule.id} />}
      <label className="block text-sm font-medium">
        Name
        <input name="name" required maxLength={100} defaultValue={rule?.name} placeholder="e.g. Imports failing" className={input} />
        <Errors messages={errors.name} />
      </label>
      <label className="block text-sm font-medium">
        Project
        <select name="project" defaultValue={rule?.project?.slug ?? ""} className={input}>
          <option value="">All projects</option>
          {choices.projects.map((p) => (
            <option key={p.slug} value={p.slug}>
              {p.name}
            </option>
          ))}
        </select>
        <Errors messages={errors.project} />
      </label>
      <fieldset className="text-sm sm:col-span-2">
        <legend className="font-medium">Job types</legend>
        <div className="mt-1 grid gap-x-4 gap-y-1 sm:grid-cols-2">
          {choices.jobTypes.map((t) => (
            <label key={t.name} className="flex min-w-0 items-center gap-1.5">
              <input type="checkbox" name="jobTypes" value={t.name} defaultChecked={checkedTypes.has(t.name)} className={box} />
              <span className="truncate">
                {t.label} <code className="text-xs text-zinc-500">{t.name}</code>
              </span>
            </label>
          ))}
        </div>
        <Errors messages={errors.jobTypes} />
      </fieldset>
      <fieldset className="text-sm">
        <legend className="font-medium">Alert when a run</legend>
        <div className="mt-1 flex flex-wrap gap-x-4 gap-y-1">
          <label className="flex items-center gap-1.5">
            <input type="checkbox" name="statuses" value="failed" defaultChecked={checkedStatuses.has("failed")} className={box} />
            fails
          </label>
          <label className="flex items-center gap-1.5">
            <input type="checkbox" name="statuses" value="dead_letter" defaultChecked={checkedStatuses.has("dead_letter")} className={box} />
            is dead-lettered
          </label>
        </div>
        <Errors messages={errors.statuses} />
      </fieldset>
      <label className="block text-sm font-medium">
        At most one email per job type every (minutes)
        <input name="throttleMinutes" type="number" required min={1} max={1440} step={1} defaultValue={rule?.throttleMinutes ?? 30} className={input} />
        <span className="mt-1 block text-xs font-normal text-zinc-600 dark:text-zinc-400">Failures inside the window are counted and sent as one digest when it ends.</span>
        <Errors messages={errors.throttleMinutes} />
      </label>
      <fieldset className="text-sm sm:col-span-2">
        <legend className="font-medium">Email</legend>
        <div className="mt-1 flex flex-wrap gap-x-4 gap-y-1">
          <label className="flex items-center gap-1.5">
            <input type="radio" name="recipients" value="admins" checked={recipients === "admins"} onChange={() => setRecipients("admins")} className={box} />
            the team&apos;s owners and admins
          </label>
          <label className="flex items-center gap-1.5">
            <input type="radio" name="recipients" value="members" checked={recipients === "members"} onChange={() => setRecipients("members")} className={box} />
            chosen members
          </label>
        </div>
        {recipients === "members" && (
          <div className="mt-2 grid max-h-48 gap-x-4 gap-y-1 overflow-y-auto rounded-md border border-zinc-200 p-2 sm:grid-cols-2 dark:border-zinc-800" role="group" aria-label="Members to email">
            {choices.members.map((m) => (
              <label key={m.id} className="flex min-w-0 items-center gap-1.5">
                <input type="checkbox" name="recipientIds" value={m.id} defaultChecked={checkedMembers.has(m.id)} className={box} />
                <span className="truncate" title={m.email}>
                  {m.name}
                </span>
              </label>
            ))}
          </div>
        )}
        <Errors messages={errors.recipientIds ?? errors.recipients} />
      </fieldset>
      <div className="flex flex-wrap items-center gap-2 sm:col-span-2">
        <button type="submit" disabled={pending} className="rounded-md bg-indigo-600 px-4 py-1.5 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-60">
          {pending ? "Saving…" : rule ? "Save rule" : "Add rule"}
        </button>
        <button type="button" onClick={onDone} className="rounded-md border border-zinc-300 px-3 py-1.5 text-sm hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800">
          Cancel
        </button>
        {state && !state.ok && (
          <p role="alert" className="text-sm text-red-600 dark:text-red-400">
            {state.error}
          </p>
        )}
      </div>
    </form>
  );
}
