/** Runs once when a web process starts (Next.js instrumentation hook). */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { installPeerStamp } = await import("@/lib/security/peer-stamp");
  installPeerStamp();
}

/**
 * Unhandled errors of requests, to Sentry when SENTRY_DSN is set (route and redacted message only;
 * the SDK is loaded on the first error, never without a DSN).
 */
export async function onRequestError(error: unknown, request: { method: string }, context: { routePath: string }): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs" || !process.env.SENTRY_DSN) return;
  const { reportWebError } = await import("@/lib/ops/sentry");
  await reportWebError(error, { method: request.method, routePath: context.routePath });
}
