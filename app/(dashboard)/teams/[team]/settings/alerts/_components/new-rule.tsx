"use client";

import { useCallback, useState } from "react";
import type { AlertFormChoices } from "@/lib/dal/alerts";
import { RuleForm } from "./rule-form";

/** "New alert rule" opens the form; a save or Cancel closes it. */
export function NewRule({ teamSlug, choices, atLimit }: { teamSlug: string; choices: AlertFormChoices; atLimit: boolean }) {
  const [open, setOpen] = useState(false);
  const close = useCallback(() => setOpen(false), []);
  if (open) return <RuleForm teamSlug={teamSlug} choices={choices} onDone={close} />;
  return (
    <div className="flex flex-wrap items-center gap-3">
      <button
        type="button"
        disabled={atLimit}
        onClick={() => setOpen(true)}
        className="rounded-md bg-indigo-600 px-4 py-1.5 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-60"
      >
        New alert rule
      </button>
      {atLimit && <p className="text-sm text-zinc-600 dark:text-zinc-400">This team has the most rules it can have; delete one to add another.</p>}
    </div>
  );
}
