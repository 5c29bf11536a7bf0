import { describe, expect, test } from "vitest";
import { BODY_LOG_LIMIT, MAX_LOGGED_RESPONSE_HEADERS, parseRetryAfter, redactHeaders, redactUrl, responseHeadersForLog, truncateBody } from "@/lib/jobs/worker/call-log";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("responseHeadersForLog", () => {
  test("keeps a bounded number of redacted headers, each value cut short", () => {
    const headers = new Headers([["Retry-After", "30"], ["Set-Cookie", "sid=1"], ["A-Long", "v".repeat(2000)], ...Array.from({ length: 60 }, (_, i): [string, string] => [`x-h${String(i).padStart(2, "0")}`, "1"])]);
    const out = responseHeadersForLog(headers);
    expect(Object.keys(out)).toHaveLength(MAX_LOGGED_RESPONSE_HEADERS);
    expect(out).toMatchObject({ "retry-after": "30", "set-cookie": "***" });
    expect(out["a-long"]).toBe(`${"v".repeat(512)}…`);
  });
});

describe("redactHeaders", () => {
  test("masks credentials and secret-named headers, keeps the rest with lower-case names", () => {
    const out = redactHeaders({
      Authorization: "Bearer abcdef123456",
      "Proxy-Authorization": "Basic dXNlcjpwYXNz",
      Cookie: "session=abc",
      "X-Api-Key": "k-123",
      "X-Auth-Token": "t-1",
      "X-Client-Secret": "s-1",
      "Stripe-Signature": "t=1,v1=abc",
      "X-Db-Password": "hunter2",
      "Idempotency-Key": "idem-1",
      "Content-Type": "application/json",
      Accept: "*/*",
      "User-Agent": "runboard/1",
    });
    expect(out).toEqual({
      authorization: "***",
      "proxy-authorization": "***",
      cookie: "***",
      "x-api-key": "***",
      "x-auth-token": "***",
      "x-client-secret": "***",
      "stripe-signature": "***",
      "x-db-password": "***",
      "idempotency-key": "***",
      "content-type": "application/json",
      accept: "*/*",
      "user-agent": "runboard/1",
    });
  });

  test("accepts a Headers object and entry lists; set-cookie is masked", () => {
    const headers = new Headers([["Set-Cookie", "sid=1"], ["X-Request-Id", "r-1"]]);
    expect(redactHeaders(headers)).toEqual({ "set-cookie": "***", "x-request-id": "r-1" });
    expect(redactHeaders([["X-Forwarded-For", "10.0.0.1"]])).toEqual({ "x-forwarded-for": "10.0.0.1" });
  });

  test("masks a secret inside an ordinary header's value", () => {
    expect(redactHeaders({ Referer: "https://user:pw@example.com/x" })).toEqual({ referer: "https://***@example.com/x" });
  });
});

describe("redactUrl", () => {
  test.each([
    ["https://user:s3cret@api.example.com/v1/hook", "https://***@api.example.com/v1/hook"],
    ["https://token-only@api.example.com/", "https://***@api.example.com/"],
    ["https://api.example.com/hook?token=abc&page=2", "https://api.example.com/hook?token=***&page=2"],
    ["https://api.example.com/x?api_key=1&apikey=2&key=3&secret=4&password=5&signature=6&sig=7", "https://api.example.com/x?api_key=***&apikey=***&key=***&secret=***&password=***&signature=***&sig=***"],
    ["https://api.example.com/x?access_token=a&client_secret=b&X-Amz-Signature=c&X-Amz-Credential=d", "https://api.example.com/x?access_token=***&client_secret=***&X-Amz-Signature=***&X-Amz-Credential=***"],
    ["https://api.example.com/cb#access_token=abc", "https://api.example.com/cb"],
    ["https://api.example.com/oauth/cb?code=abc&state=s&auth=x&session_id=y&sid=z&jwt=j&otp=1", "https://api.example.com/oauth/cb?code=***&state=s&auth=***&session_id=y&sid=***&jwt=***&otp=***"],
  ])("%s", (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });

  test("leaves ordinary parameters and their encoding exactly as they were", () => {
    const url = "https://api.example.com/search?q=a%20b+c&monkey=1&signup=yes&keyword=x&zipcode=1&author=a&flag";
    expect(redactUrl(url)).toBe(url);
  });

  test("matches encoded parameter names", () => {
    expect(redactUrl("https://h.example/x?api%5Fkey=abc")).toBe("https://h.example/x?api%5Fkey=***");
  });

  test("falls back to text redaction for what is not a URL", () => {
    expect(redactUrl("not a url token=abcdef")).toBe("not a url token=***");
  });
});

describe("truncateBody", () => {
  test("keeps a short text body as it is", () => {
    expect(truncateBody(bytes('{"ok":true}'), "application/json")).toBe('{"ok":true}');
    expect(truncateBody(bytes(""), "text/plain")).toBe("");
  });

  test("keeps exactly the limit, and cuts one byte more with the full size noted", () => {
    const exact = "a".repeat(BODY_LOG_LIMIT);
    expect(truncateBody(bytes(exact), "text/plain")).toBe(exact);
    const out = truncateBody(bytes(`${exact}b`), "text/plain");
    expect(out).toBe(`${exact}… [truncated, ${BODY_LOG_LIMIT + 1} bytes]`);
  });

  test("notes the full size when only the beginning was read", () => {
    expect(truncateBody(bytes("x".repeat(BODY_LOG_LIMIT + 10)), "text/plain", 50_000)).toBe(`${"x".repeat(BODY_LOG_LIMIT)}… [truncated, 50000 bytes]`);
    expect(truncateBody(bytes("x".repeat(BODY_LOG_LIMIT + 10)), "text/plain", null)).toMatch(/… \[truncated, more than 4106 bytes\]$/);
  });

  test("does not split a multi-byte character at the cut", () => {
    const text = `${"a".repeat(BODY_LOG_LIMIT - 1)}é and more`;
    const out = truncateBody(bytes(text), "text/plain; charset=utf-8");
    expect(out.startsWith(`${"a".repeat(BODY_LOG_LIMIT - 1)}…`)).toBe(true);
    expect(out).not.toContain("\uFFFD");
  });

  test("notes binary bodies by size, by content type or by content", () => {
    expect(truncateBody(new Uint8Array([0x89, 0x50, 0x4e, 0x47]), "image/png")).toBe("[binary 4 bytes]");
    expect(truncateBody(bytes("plain ascii"), "application/octet-stream")).toBe("[binary 11 bytes]");
    expect(truncateBody(new Uint8Array([1, 0, 2, 3, 0]), null)).toBe("[binary 5 bytes]");
    expect(truncateBody(new Uint8Array([0xff, 0xfe, 0xfd]), "application/vnd.custom")).toBe("[binary 3 bytes]");
    expect(truncateBody(new Uint8Array(BODY_LOG_LIMIT + 1), "application/pdf", 1_000_000)).toBe("[binary 1000000 bytes]");
    expect(truncateBody(new Uint8Array(BODY_LOG_LIMIT + 1), "application/pdf", null)).toBe(`[binary more than ${BODY_LOG_LIMIT + 1} bytes]`);
  });

  test("reads untyped UTF-8 as text", () => {
    expect(truncateBody(bytes("grüße"), null)).toBe("grüße");
    expect(truncateBody(bytes("<a/>"), "application/atom+xml")).toBe("<a/>");
  });
});

describe("parseRetryAfter", () => {
  test("reads delta-seconds and HTTP dates; ignores what it cannot read", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("3", now)).toBe(3000);
    expect(parseRetryAfter(" 0 ", now)).toBe(0);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:05 GMT", now)).toBe(5000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 23:59:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter("1.5", now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});
