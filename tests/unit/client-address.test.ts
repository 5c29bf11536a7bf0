import { describe, expect, test } from "vitest";
import { clientAddress, normalizeAddress, PEER_HEADER } from "@/lib/security/client-address";

const request = (peer: string, forwarded?: string) => new Headers({ [PEER_HEADER]: peer, ...(forwarded ? { "x-forwarded-for": forwarded } : {}) });

describe("clientAddress", () => {
  test("without a trusted proxy the TCP peer counts and X-Forwarded-For is the client's word only", () => {
    expect(clientAddress(request("203.0.113.5", "10.9.9.9"), 0)).toBe("203.0.113.5");
    expect(clientAddress(request("::ffff:127.0.0.1", "1.2.3.4, 5.6.7.8"), 0)).toBe("127.0.0.1");
  });

  test("behind N trusted proxies the Nth entry from the right is the client", () => {
    // The client forged the first entry; our proxy appended what it saw.
    expect(clientAddress(request("10.0.0.2", "6.6.6.6, 198.51.100.4"), 1)).toBe("198.51.100.4");
    expect(clientAddress(request("10.0.0.2", "6.6.6.6, 198.51.100.4, 10.0.0.9"), 2)).toBe("198.51.100.4");
    // Fewer entries than proxies (someone reached us around them): the peer is the only fact.
    expect(clientAddress(request("10.0.0.2"), 1)).toBe("10.0.0.2");
  });

  test("IPv6 clients are grouped by /64; garbage becomes one 'unknown' bucket", () => {
    expect(normalizeAddress("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(normalizeAddress("2001:0db8:0001:0002:ffff:1:2:3")).toBe("2001:db8:1:2::/64");
    expect(normalizeAddress("[2001:db8::1]")).toBe("2001:db8:0:0::/64");
    expect(normalizeAddress("::1")).toBe("0:0:0:0::/64");
    expect(normalizeAddress("not-an-ip")).toBe("unknown");
    expect(clientAddress(new Headers(), 0)).toBe("unknown");
  });
});
