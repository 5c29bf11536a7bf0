import { describe, expect, test } from "vitest";
import { capError, isSecretKeyName, MAX_ERROR_MESSAGE, redactJson, redactText } from "@/lib/jobs/redact";

/*
 * The rule set's corpus: secrets shaped as the providers issue them (random, never real) that
 * must disappear, and harmless look-alikes that must stay readable. A rule change that breaks
 * either side fails here.
 */

/** [text, the secret it holds] */
const SECRETS: [string, string][] = [
  // Provider prefixes
  ["aws key AKIAUJZDE8GXD6NCF10E rejected", "AKIAUJZDE8GXD6NCF10E"],
  ["temporary ASIAUJZDE8GXD6NCF10E expired", "ASIAUJZDE8GXD6NCF10E"],
  ["maps: AIzaEl2hpChYgCfrL1spNxnyVmihA-2O76UMFxF.", "AIzaEl2hpChYgCfrL1spNxnyVmihA-2O76UMFxF"],
  ["clone with glpat-kM-R5Kjp1vRt_1fjORS- failed", "glpat-kM-R5Kjp1vRt_1fjORS"],
  ["npm ERR! auth npm_LZDe1f8rESQedUStPKR0CsTy4Qwb8DwkNhFd", "npm_LZDe1f8rESQedUStPKR0CsTy4Qwb8DwkNhFd"],
  ["push (ghp_nXsiVpzz63FfkCzJr4i0B3JrTAwR4y9ojflj) denied", "ghp_nXsiVpzz63FfkCzJr4i0B3JrTAwR4y9ojflj"],
  ["gho_nXsiVpzz63FfkCzJr4i0B3JrTAwR4y9ojflj", "gho_nXsiVpzz63FfkCzJr4i0B3JrTAwR4y9ojflj"],
  ["ghs_nXsiVpzz63FfkCzJr4i0B3JrTAwR4y9ojflj", "ghs_nXsiVpzz63FfkCzJr4i0B3JrTAwR4y9ojflj"],
  ["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", "oQoaF1LlqsajAIxNKu8iS2"],
  ["slack xoxb-2145-9981-DzV8fUkkibjL5DZPjN0MEQ7w", "DzV8fUkkibjL5DZPjN0MEQ7w"],
  ["slack xoxp-2145-9981-DzV8fUkkibjL5DZPjN0MEQ7w", "DzV8fUkkibjL5DZPjN0MEQ7w"],
  ["POST https://hooks.slack.com/services/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 404", "DzV8fUkkibjL5DZPjN0MEQ7w"],
  ["stripe sk_live_51HxYzAbCdEfDzV8fUkkib", "sk_live_51HxYzAbCdEfDzV8fUkkib"],
  ["restricted rk_live_51HxYzAbCdEfDzV8fUkkib", "rk_live_51HxYzAbCdEfDzV8fUkkib"],
  ["sendgrid 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", "TCQCyEZDz-TddJ8HyS5SUkCnD8zRA9a9SkpXz9w3QlY"],
  ["openai sk-proj-DzV8fUkkibjL5DZPjN0MEQ7w", "DzV8fUkkibjL5DZPjN0MEQ7w"],
  // key=value, key: value, environment variables
  ["PGPASSWORD=hunter2 psql -h db", "hunter2"],
  ["export MYSQL_PWD=hunter2", "hunter2"],
  ["DB_PASSWORD: 'hunter2'", "hunter2"],
  ["dbPassword: hunter2", "hunter2"],
  ["client_secret=zzTop42&grant_type=client_credentials", "zzTop42"],
  ["AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI"],
  ["credentials: s3cr3t-value", "s3cr3t-value"],
  ["passwd=hunter2", "hunter2"],
  ["pwd=hunter2", "hunter2"],
  ["basic_auth=admin:hunter2", "hunter2"],
  ["private_key=abc123def", "abc123def"],
  // JSON keys (camelCase too), also JSON escaped inside a string
  ['{"authToken":"tok-4f9a"}', "tok-4f9a"],
  ['{"stripeApiKey": "k-9f8e-2"}', "k-9f8e-2"],
  ['{"apiKey":"abc","n":1}', "abc"],
  ['{"password":"with \\"quote\\" inside"}', "quote"],
  ['payload: {\\"refreshToken\\":\\"rt-778\\"}', "rt-778"],
  ["{'x-api-key': 'q-991'}", "q-991"],
  // Authorization
  ["Authorization: Bearer abc", "abc"],
  ["Authorization: token gh1x", "gh1x"],
  ["Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"],
  ["curl -H 'Authorization: Digest username=\"u\", response=\"6629fae49393a05397450978507c4ef1\"'", "6629fae49393a05397450978507c4ef1"],
  ["sent Bearer abc to the API", "abc"],
  ["header was Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"],
  ["Cookie: session=abc; csrftoken=def", "def"],
  // Connection strings of any scheme
  ["postgres://app:s3cretPw@db.internal:5432/runboard", "s3cretPw"],
  ["mongodb+srv://svc:p%40ss@cluster0.example.net/db", "p%40ss"],
  ["amqps://guest:guestpw@mq:5671/vhost", "guestpw"],
  ["redis://:onlypass@cache:6379/0", "onlypass"],
  ["jdbc:mysql://root:rootpw@10.0.0.5:3306/app", "rootpw"],
  ["(smtp://mailer:mailpw@smtp.example.com:587)", "mailpw"],
  // Private keys and JWTs
  ["key: -----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAvXk\n-----END RSA PRIVATE KEY-----", "MIIEowIBAAKCAQEAvXk"],
  ["-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1rZXktdjEAAAAA\\n-----END OPENSSH PRIVATE KEY-----", "b3BlbnNzaC1rZXktdjEAAAAA"],
  ["cut: -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0", "MIIEvQIBADANBgkqhkiG9w0"],
  ["jwt expired: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlLXBhcnQ", "c2lnbmF0dXJlLXBhcnQ"],
  ["unsigned eyJhbGciOiJub25lIn0.eyJzdWIiOiIxMjM0In0.", "eyJzdWIiOiIxMjM0In0"],
];

const LOOK_ALIKES = [
  "token bucket refilled: 40 tokens",
  "password reset email sent to ada@example.com",
  "password_reset_sent: true",
  "author: Ada Lovelace",
  "AKIA alone is not a key",
  "run 3f2a9c1e-7b4d-4e8a-9c0f-112233445566 finished",
  "fixed in commit 9fceb02d0ae598e95dc970b74767f19372d61af8 (sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)",
  "token_count=512 max_tokens=1024",
  '{"private": true, "name": "runboard"}',
  "Missing bearer token",
  "the bearer of bad news",
  "Basic Authentication failed",
  "tokenizer: unexpected end of input",
  "secret_name=prod-db exists",
  "Timed out after 30000 ms contacting https://api.example.com/v1/items?page=2",
  "mailto:ada@example.com bounced",
  "email ada@example.com is not valid",
  "ratio 3:4 and a==b, x => y, std::vector",
  "see https://example.com/docs#auth",
  "skip-worktree flag set; sk-learn missing",
  "keyword=foo monkey=1",
  "Row 14: email is not a valid email address",
];

describe("the corpus of secrets", () => {
  test.each(SECRETS)("masks %s", (text, secret) => {
    const out = redactText(text);
    expect(out).not.toContain(secret);
    expect(out).toContain("***");
  });
});

describe("the corpus of look-alikes", () => {
  test.each(LOOK_ALIKES)("leaves readable: %s", (text) => {
    expect(redactText(text)).toBe(text);
  });
});

test("what is around a secret stays readable", () => {
  expect(redactText("PGPASSWORD=hunter2 psql -h db")).toBe("PGPASSWORD=*** psql -h db");
  expect(redactText('{"authToken":"tok-4f9a","user":"ada"}')).toBe('{"authToken":"***","user":"ada"}');
  expect(redactText("Authorization: token gh1x")).toBe("Authorization: token ***");
  expect(redactText("POST https://hooks.slack.com/services/T0A1/B0A1/xyz 404")).toBe("POST https://hooks.slack.com/services/*** 404");
  expect(redactText("mongodb+srv://svc:pw@cluster0.example.net/db")).toBe("mongodb+srv://***@cluster0.example.net/db");
  expect(redactText("key AKIAUJZDE8GXD6NCF10E.")).toBe("key ***.");
});

test("key names: secret words by position, camelCase and joined spellings", () => {
  for (const name of ["authToken", "stripeApiKey", "dbPassword", "PGPASSWORD", "x-api-key", "APIKey", "client_secret", "aws_secret_access_key", "passwordHash", "csrftoken", "Authorization"]) {
    expect(isSecretKeyName(name), name).toBe(true);
  }
  for (const name of ["author", "token_count", "password_reset", "private", "tokenizer", "secret_name", "monkey", "keyword", "oauthProvider"]) {
    expect(isSecretKeyName(name), name).toBe(false);
  }
});

test("redactJson masks under secret keys at any depth and stops walking absurd nesting", () => {
  expect(redactJson({ config: { dbPassword: "hunter2", retries: 3 }, list: [{ authToken: "t" }] })).toEqual({ config: { dbPassword: "***", retries: 3 }, list: [{ authToken: "***" }] });
  let deep: unknown = { password: "hunter2" };
  for (let i = 0; i < 10_000; i++) deep = [deep];
  expect(JSON.stringify(redactJson(deep))).not.toContain("hunter2");
});

test("stored errors are capped: message and stack", () => {
  const long = "a-".repeat(40_000);
  const capped = capError({ message: long, type: "internal", source: "handler", subType: "x", severity: 3, retryable: true, stack: long });
  expect(capped.message.length).toBeLessThan(MAX_ERROR_MESSAGE + 64);
  expect(capError(capped)).toEqual(capped);
  expect(capped.message).toContain("more characters cut");
  expect(capped.stack!.length).toBeLessThan(16 * 1024 + 64);
});
