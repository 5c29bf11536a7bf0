import { withDatabaseWatch } from "@/lib/dal/health";
import { accessErrorResponse } from "@/lib/dal/http";
import { MAX_UNREAD_BYTES, openRunStream } from "@/lib/dal/run-stream";

/**
 * The run page's live updates as server-sent events (lib/dal/run-stream.ts): the poll's answers,
 * pushed once a second by one hub per web process. Refusals are plain HTTP answers (401, 403,
 * 404, 429 or 503), which make the browser's EventSource give up; the page then polls.
 */
export async function GET(request: Request, { params }: { params: Promise<{ slug: string; runId: string }> }): Promise<Response> {
  const { slug, runId } = await params;
  const since = request.headers.get("last-event-id") ?? new URL(request.url).searchParams.get("since");
  try {
    const opened = await withDatabaseWatch(() => openRunStream(slug, runId, since));
    if (!opened) return Response.json({ error: { code: "not_found", message: "Not found." } }, { status: 404 });
    if ("refused" in opened) {
      const busy = opened.refused === "busy";
      const message = busy ? "This server has as many live pages open as it serves; this page polls instead." : "Too many live pages are open in this session; close some, or this page polls instead.";
      return Response.json({ error: { code: opened.refused, message } }, { status: busy ? 503 : 429, headers: { "Retry-After": "30" } });
    }
    const encoder = new TextEncoder();
    let leave: (() => void) | null = null;
    const stream = new ReadableStream<Uint8Array>(
      {
        start(controller) {
          controller.enqueue(encoder.encode(opened.first));
          if (opened.done) return controller.close();
          let closed = false;
          const close = () => {
            if (closed) return;
            closed = true;
            leave?.();
            request.signal.removeEventListener("abort", close);
            try {
              controller.close();
            } catch {
              // already closed by the reader going away
            }
          };
          const write = (chunk: Uint8Array) => {
            if (closed) return false;
            // A reader that stopped reading (desiredSize far below zero) is cut off, not buffered for.
            if ((controller.desiredSize ?? 0) < -MAX_UNREAD_BYTES) return false;
            controller.enqueue(chunk);
            return true;
          };
          leave = opened.attach(write, close);
          // The client may have gone while the stream was being opened: its abort has already fired.
          if (request.signal.aborted) return close();
          request.signal.addEventListener("abort", close);
        },
        cancel() {
          leave?.();
        },
      },
      { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength },
    );
    return new Response(stream, {
      headers: {
        "Content-Type": "text/event-stream; charset=utf-8",
        "Cache-Control": "no-cache, no-transform",
        // nginx and similar proxies must not buffer the stream.
        "X-Accel-Buffering": "no",
      },
    });
  } catch (error) {
    return accessErrorResponse(error);
  }
}
