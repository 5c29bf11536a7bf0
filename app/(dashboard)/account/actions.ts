"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { ActionRefusal, userAction } from "@/lib/actions/safe-action";
import { changeMyPassword, nameInput, passwordChangeInput, signOutMyOtherSessions, updateMyName } from "@/lib/dal/account";

type Done = { message: string };

/** Account actions act on the session's own user only: none takes a user or session id. */
export const updateNameAction = userAction(nameInput, async (input): Promise<Done> => {
  await updateMyName(input.name);
  revalidatePath("/", "layout");
  return { message: "Your name is saved." };
});

export const changePasswordAction = userAction(passwordChangeInput, async (input): Promise<Done> => {
  const outcome = await changeMyPassword(input.currentPassword, input.newPassword);
  if (!outcome.ok) throw new ActionRefusal(outcome.message, { code: outcome.code, fieldErrors: { currentPassword: [outcome.message] } });
  revalidatePath("/account");
  const others = outcome.signedOut === 1 ? "1 other session was" : `${outcome.signedOut} other sessions were`;
  return { message: `Password changed. ${others} signed out.` };
});

export const signOutOthersAction = userAction(z.object({}), async (): Promise<Done> => {
  const count = await signOutMyOtherSessions();
  revalidatePath("/account");
  return { message: count === 0 ? "No other session was signed in." : count === 1 ? "Signed out 1 other session." : `Signed out ${count} other sessions.` };
});
