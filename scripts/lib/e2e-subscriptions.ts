/**
 * The environment the e2e worker needs for the subscription_sync job: a provider on a local port
 * (e2e/subscription-sync.spec.ts serves it there with tests/support/subscription-provider.ts), its
 * token, and that one loopback port allow-listed for outbound calls.
 */
export function subscriptionSyncE2eEnv(port: number): Record<string, string> {
  return {
    SUBSCRIPTIONS_API_URL: `http://127.0.0.1:${port}/v1`,
    SUBSCRIPTIONS_API_TOKEN: "e2e-provider-token-7c1d2e",
    SUBSCRIPTIONS_API_TIMEOUT_MS: "5000",
    OUTBOUND_ALLOW_HOSTS: `127.0.0.1:${port}`,
  };
}
