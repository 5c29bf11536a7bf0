import type { APIRequestContext, Page } from "@playwright/test";
import { allowProvokedConsoleError } from "./test";

export type CapturedAction = { url: string; headers: Record<string, string>; body: Buffer };

/**
 * Capture the exact server-action request a form submits (and stop it reaching the server), so a
 * test can replay it as another user: a direct call of the action, not a click through the UI.
 */
export async function captureServerAction(page: Page, submit: () => Promise<void>): Promise<CapturedAction> {
  // The aborted request logs in the page (net::ERR_FAILED, and the form's "Failed to fetch").
  allowProvokedConsoleError(/net::ERR_FAILED|Failed to fetch/);
  let resolve: (value: CapturedAction) => void = () => undefined;
  const captured = new Promise<CapturedAction>((r) => (resolve = r));
  await page.route("**/*", async (route) => {
    const request = route.request();
    const headers = await request.allHeaders();
    if (request.method() === "POST" && headers["next-action"]) {
      resolve({ url: request.url(), headers, body: request.postDataBuffer() ?? Buffer.alloc(0) });
      await route.abort();
      return;
    }
    // A request caught while the capture is being torn down may already be handled by then.
    await route.continue().catch(() => undefined);
  });
  await submit();
  const action = await captured;
  await page.unroute("**/*");
  return action;
}

/** Replay a captured action with another user's cookies; returns status and body text. */
export async function replayServerAction(request: APIRequestContext, action: CapturedAction): Promise<{ status: number; text: string }> {
  const { cookie: _cookie, "content-length": _length, host: _host, ...headers } = action.headers;
  const response = await request.post(action.url, { headers, data: action.body, maxRedirects: 0 });
  return { status: response.status(), text: await response.text() };
}
