import "server-only";
import { AsyncLocalStorage } from "node:async_hooks";
import type { KeyScope } from "@/lib/auth/permissions";
import type { CurrentUser } from "./users";

/**
 * The API key a request authenticated with. Route handlers under /api/v1 run the DAL inside
 * `withApiPrincipal`, so the same DAL functions serve the dashboard (session) and the API (key):
 * with a key, only the key's team is visible and the key's scopes are the permissions.
 */
export type ApiPrincipal = {
  keyId: string;
  teamId: string;
  scopes: ReadonlySet<KeyScope>;
  /** The user who created the key: runs it triggers are attributed to them (and to the key). */
  createdBy: CurrentUser;
};

const storage = new AsyncLocalStorage<ApiPrincipal>();

export function withApiPrincipal<T>(principal: ApiPrincipal, fn: () => Promise<T>): Promise<T> {
  return storage.run(principal, fn);
}

/** The API key of the current request, or null for a dashboard (session) request. */
export function currentApiPrincipal(): ApiPrincipal | null {
  return storage.getStore() ?? null;
}
