import { expect, test } from "vitest";
import { canInstance } from "@/lib/auth/permissions";
import { withoutResetToken } from "@/lib/notify/password-reset-email";

test("only the instance owner manages users; support and users do not", () => {
  expect(canInstance("owner", "users:manage")).toBe(true);
  expect(canInstance("support", "users:manage")).toBe(false);
  expect(canInstance("user", "users:manage")).toBe(false);
});

test("a sent reset email keeps no token", () => {
  const body = "Choose a new password: https://rb.example.test/reset-password/abcDEF_123-xyz0123456789\n\nThe link works once.";
  expect(withoutResetToken(body)).toBe("Choose a new password: https://rb.example.test/reset-password/(link removed once sent)\n\nThe link works once.");
});
