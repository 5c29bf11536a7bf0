/**
 * The `test` every spec imports: Playwright's, plus a check that fails a test whose pages logged a
 * console error or threw an uncaught exception (a hydration mismatch, a failed chunk, a 500 on a
 * fetch). A spec that provokes an error on purpose allows it, per test, with a pattern and a reason:
 *
 *   test.use({ allowConsoleErrors: NOT_FOUND_PAGE }); // the outsider gets the 404 page
 *   allowConsoleError(NOT_FOUND_PAGE); // inside a test, just before the step that 404s
 *
 * One pattern per test.use (join several with |): Playwright reads a two-element array there as
 * [value, fixture options], which would drop the second pattern.
 */
import { test as base, type Browser, type BrowserContext } from "@playwright/test";

export { expect } from "@playwright/test";
export type { APIRequestContext, Browser, BrowserContext, Page } from "@playwright/test";

/** Chromium logs a page answered with 404 as a failed resource load: allow it where a spec expects a 404. */
export const NOT_FOUND_PAGE = /Failed to load resource: the server responded with a status of 404 \(Not Found\)/;

type Sink = { entries: string[]; allowed: RegExp[] };

/** The running test's sink; a context reports to the sink of the test that opened it. */
let activeSink: Sink | null = null;
const watched = new WeakSet<BrowserContext>();

function watch(context: BrowserContext, sink: Sink): void {
  if (watched.has(context)) return;
  watched.add(context);
  context.on("console", (message) => {
    if (message.type() !== "error") return;
    const { url, lineNumber } = message.location();
    const source = url ? ` (${url}:${lineNumber})` : "";
    sink.entries.push(`console.error on ${message.page()?.url() ?? "?"}: ${message.text()}${source}`);
  });
  context.on("weberror", (webError) => {
    const error = webError.error();
    sink.entries.push(`uncaught on ${webError.page()?.url() ?? "?"}: ${error.stack ?? error.message}`);
  });
}

/** Inside a test, right where it provokes the error: allows it for the rest of this test only. */
export function allowConsoleError(pattern: RegExp): void {
  if (!activeSink) throw new Error("allowConsoleError() is for use inside a test");
  activeSink.allowed.push(pattern);
}

/**
 * For helpers that provoke an error on purpose (captureServerAction aborts the action's request):
 * allowed for the running test when it uses this fixture; a no-op in a spec that does not.
 */
export function allowProvokedConsoleError(pattern: RegExp): void {
  activeSink?.allowed.push(pattern);
}

/** Covers every context of the worker's browser: the default one and `browser.newContext()`/`newPage()` ones. */
function watchNewContexts(browser: Browser): void {
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (...args) => {
    const context = await newContext(...args);
    if (activeSink) watch(context, activeSink);
    return context;
  };
}

export const test = base.extend<{ allowConsoleErrors: RegExp | null; failOnConsoleErrors: void }>({
  allowConsoleErrors: [null, { option: true }],
  browser: [
    async ({ browser }, use) => {
      watchNewContexts(browser);
      await use(browser);
    },
    { scope: "worker" },
  ],
  failOnConsoleErrors: [
    async ({ allowConsoleErrors }, use) => {
      const sink: Sink = { entries: [], allowed: allowConsoleErrors ? [allowConsoleErrors] : [] };
      activeSink = sink;
      await use();
      activeSink = null;
      const unexpected = sink.entries.filter((entry) => !sink.allowed.some((pattern) => pattern.test(entry)));
      if (unexpected.length > 0) {
        throw new Error(`The page logged ${unexpected.length} error(s):\n${unexpected.map((e) => `  - ${e}`).join("\n")}`);
      }
    },
    { auto: true },
  ],
});
