import type { BrowserContext } from "@playwright/test";

export type StreamEvent = { event: string; id: string; data: string };

export type EventStream = {
  status: number;
  contentType: string;
  /** The answer's text when it was not a stream (a refusal). */
  body: string;
  events: StreamEvent[];
  /** The first event (from the start of the stream) that `match` accepts; rejects after `timeoutMs`. */
  next: (match: (event: StreamEvent) => boolean, timeoutMs?: number) => Promise<StreamEvent>;
  /** Settles when the server ends the stream. */
  ended: Promise<void>;
  close: () => void;
};

/** The Cookie header a browser context would send. */
export async function cookieHeader(context: BrowserContext): Promise<string> {
  return (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
}

/**
 * Read a server-sent event stream as the browser's EventSource would, but from the test: every
 * event is kept, so a spec can assert what the server sent (Playwright cannot read a streaming body).
 */
export async function openEventStream(path: string, headers: Record<string, string> = {}): Promise<EventStream> {
  const controller = new AbortController();
  const response = await fetch(new URL(path, process.env.E2E_BASE_URL), { headers: { accept: "text/event-stream", ...headers }, signal: controller.signal });
  const contentType = response.headers.get("content-type") ?? "";
  const events: StreamEvent[] = [];
  const waiters = new Set<() => void>();
  let endedFlag = false;
  const stream: EventStream = {
    status: response.status,
    contentType,
    body: "",
    events,
    next: (match, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const hit = events.find(match);
          if (hit) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(hit);
          } else if (endedFlag) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`the stream ended without the event; it sent: ${events.map((e) => e.event).join(", ")}`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no such event within ${timeoutMs} ms; it sent: ${events.map((e) => e.event).join(", ")}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    ended: Promise.resolve(),
    close: () => controller.abort(),
  };
  if (!contentType.startsWith("text/event-stream") || !response.body) {
    stream.body = await response.text();
    endedFlag = true;
    return stream;
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  stream.ended = (async () => {
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let cut: number;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event: StreamEvent = { event: "message", id: "", data: "" };
          let fields = 0;
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) continue;
            const at = line.indexOf(":");
            const [field, value] = at < 0 ? [line, ""] : [line.slice(0, at), line.slice(at + 1).replace(/^ /, "")];
            if (field === "event") event.event = value;
            else if (field === "id") event.id = value;
            else if (field === "data") event.data += value;
            else continue;
            fields++;
          }
          if (fields > 0 && (event.data || event.event !== "message")) events.push(event);
          for (const waiter of [...waiters]) waiter();
        }
      }
    } catch {
      // aborted by close()
    } finally {
      endedFlag = true;
      for (const waiter of [...waiters]) waiter();
    }
  })();
  return stream;
}
