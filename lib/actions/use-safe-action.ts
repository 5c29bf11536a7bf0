"use client";

import { unstable_rethrow } from "next/navigation";
import { useActionState } from "react";
import type { ActionResult, ActionState } from "./safe-action";

/** What a form shows when its action's request failed before any answer (network, server gone). */
export const UNREACHABLE_MESSAGE = "Runboard could not be reached, so this may not have been done. Check your connection, reload the page and try again.";

/**
 * useActionState for an action built with the wrapper in safe-action.ts. The wrapper turns every
 * server-side failure into a result; this turns the client-side one (the request never answered)
 * into a result too, where useActionState alone would throw it and replace the page with the
 * error page. A redirect() from the action still navigates.
 */
export function useSafeAction<T>(action: (prev: ActionState<T>, form: FormData) => Promise<ActionResult<T>>) {
  return useActionState(async (prev: ActionState<T>, form: FormData): Promise<ActionState<T>> => {
    try {
      return await action(prev, form);
    } catch (error) {
      unstable_rethrow(error);
      return { ok: false, code: "unreachable", error: UNREACHABLE_MESSAGE };
    }
  }, null);
}
