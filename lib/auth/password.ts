import bcrypt from "bcryptjs";
import { z } from "zod";

/** One password rule for every place a password is chosen: invite, account page, reset, CLI. */
export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 200;
export const newPassword = z
  .string()
  .min(PASSWORD_MIN, `Use at least ${PASSWORD_MIN} characters.`)
  .max(PASSWORD_MAX, `Use at most ${PASSWORD_MAX} characters.`);

/** bcrypt at cost 10, as sign-in checks it. */
export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, 10);
}

export function checkPassword(password: string, hash: string): Promise<boolean> {
  return bcrypt.compare(password, hash);
}
