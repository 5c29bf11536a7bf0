"use client";

import { unstable_rethrow } from "next/navigation";
// The one place forms reach useActionState (lint forbids it in app/): through the two hooks below.
import { useActionState } from "react";
import type { ActionResult, ActionState } from "./safe-action";

/** What a form shows when its action's request failed before any answer (network, server gone). */
export const UNREACHABLE_MESSAGE = "Runboard could not be reached, so this may not have been done. Check your connection, reload the page and try again.";

/**
 * useActionState for any action, with its client-side failure (the request never answered) turned
 * into a state of the form's own shape (`unreachable`), where useActionState alone would throw it
 * and replace the page with the error page. A redirect() from the action still navigates.
 */
export function useReachableAction<S>(action: (prev: S, form: FormData) => Promise<S>, initial: S, unreachable: (form: FormData) => S): [S, (form: FormData) => void, boolean] {
  const run = async (prev: S, form: FormData): Promise<S> => {
    try {
      return await action(prev, form);
    } catch (error) {
      unstable_rethrow(error);
      return unreachable(form);
    }
  };
  // React types the state as Awaited<S>; every S here is a plain object or null, so the two are one.
  return useActionState(run as (prev: Awaited<S>, form: FormData) => Promise<Awaited<S>>, initial as Awaited<S>) as [S, (form: FormData) => void, boolean];
}

/** For an action built with the wrapper in safe-action.ts, which turns every server-side failure into a result. */
export function useSafeAction<T>(action: (prev: ActionState<T>, form: FormData) => Promise<ActionResult<T>>) {
  return useReachableAction<ActionState<T>>(action, null, () => ({ ok: false, code: "unreachable", error: UNREACHABLE_MESSAGE }));
}
