import http from "node:http";
import { PEER_HEADER } from "./client-address";

const globalForStamp = globalThis as unknown as { runboardPeerStamp?: boolean };

/**
 * Write the TCP peer's address into every incoming request's PEER_HEADER before Next.js sees
 * it. Next gives server actions and route handlers headers only, never the socket, so this is
 * the one place the real peer is known. Installed once per web process by instrumentation.ts.
 */
export function installPeerStamp(): void {
  if (globalForStamp.runboardPeerStamp) return;
  globalForStamp.runboardPeerStamp = true;
  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function stampPeer(this: http.Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event === "request") {
      const request = args[0] as http.IncomingMessage;
      request.headers[PEER_HEADER] = request.socket?.remoteAddress ?? "";
    }
    return Reflect.apply(emit, this, [event, ...args]) as boolean;
  };
}
