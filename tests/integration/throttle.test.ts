import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { guardedAttempt, signInBuckets } from "@/lib/security/attempts";
import { consume, consumeAll, limitKey, pruneRateLimits, refund } from "@/lib/security/throttle";
import { createTestDatabase, type TestDatabase } from "../support/db";

let t: TestDatabase;
let other: postgres.Sql;
beforeAll(async () => {
  t = await createTestDatabase();
  // The web app's own pool (getDatabase) is what guardedAttempt uses.
  process.env.DATABASE_URL = t.url;
  // A second, separate pool stands for a second web process.
  other = postgres(t.url, { max: 10, onnotice: () => undefined });
});
afterAll(async () => {
  await other.end();
  await t.drop();
});

let n = 0;
const freshKey = () => limitKey("test", `key-${n++}-${Math.random()}`);
const HOUR = 3600_000;

describe("consume", () => {
  test("lets `limit` through at once, then refuses with the seconds until the next token", async () => {
    const key = freshKey();
    const rule = { limit: 3, windowMs: 30_000 }; // one token every 10 s
    const first = await consume(key, rule, t.sql);
    expect(first).toEqual({ ok: true, remaining: 2 });
    expect(await consume(key, rule, t.sql)).toEqual({ ok: true, remaining: 1 });
    expect(await consume(key, rule, t.sql)).toEqual({ ok: true, remaining: 0 });
    const refused = await consume(key, rule, t.sql);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(9);
    if (!refused.ok) expect(refused.retryAfterSeconds).toBeLessThanOrEqual(10);
    // A refusal takes nothing: giving one token back lets exactly one more through.
    await refund(key, rule, t.sql);
    expect((await consume(key, rule, t.sql)).ok).toBe(true);
    expect((await consume(key, rule, t.sql)).ok).toBe(false);
  });

  test("a bucket refills with time (the database's clock)", async () => {
    const key = freshKey();
    const rule = { limit: 2, windowMs: 400 }; // one token every 200 ms
    expect((await consume(key, rule, t.sql)).ok).toBe(true);
    expect((await consume(key, rule, t.sql)).ok).toBe(true);
    expect((await consume(key, rule, t.sql)).ok).toBe(false);
    await new Promise((r) => setTimeout(r, 450));
    expect(await consume(key, rule, t.sql)).toEqual({ ok: true, remaining: 1 });
  });

  test("two processes hammering one key never get more than the limit between them", async () => {
    const key = freshKey();
    const rule = { limit: 25, windowMs: HOUR };
    const attempts = Array.from({ length: 200 }, (_, i) => consume(key, rule, i % 2 === 0 ? t.sql : other));
    const decisions = await Promise.all(attempts);
    expect(decisions.filter((d) => d.ok)).toHaveLength(25);
    expect(decisions.filter((d) => !d.ok).every((d) => !d.ok && d.retryAfterSeconds > 0)).toBe(true);
    // Both pools now see the bucket empty.
    expect((await consume(key, rule, other)).ok).toBe(false);
    expect((await consume(key, rule, t.sql)).ok).toBe(false);
  });

  test("keys are independent", async () => {
    const [a, b] = [freshKey(), freshKey()];
    const rule = { limit: 1, windowMs: HOUR };
    expect((await consume(a, rule, t.sql)).ok).toBe(true);
    expect((await consume(a, rule, t.sql)).ok).toBe(false);
    expect((await consume(b, rule, t.sql)).ok).toBe(true);
  });
});

describe("consumeAll", () => {
  test("all or none: when the second bucket refuses, the first gets its token back", async () => {
    const [wide, narrow] = [freshKey(), freshKey()];
    const buckets = [
      { key: wide, rule: { limit: 2, windowMs: HOUR } },
      { key: narrow, rule: { limit: 1, windowMs: HOUR } },
    ];
    expect((await consumeAll(buckets, t.sql)).ok).toBe(true);
    expect((await consumeAll(buckets, t.sql)).ok).toBe(false);
    // `wide` spent one token, not two: one is left.
    expect((await consume(wide, buckets[0]!.rule, t.sql)).ok).toBe(true);
    expect((await consume(wide, buckets[0]!.rule, t.sql)).ok).toBe(false);
  });
});

describe("guardedAttempt (sign-in)", () => {
  const address = "198.51.100.7";

  test("only failures count: successes give their tokens back, and failures before a success stay counted", async () => {
    process.env.SIGN_IN_LIMIT_PER_ACCOUNT = "3";
    const email = `guard-${Math.random()}@example.test`;
    const attempt = (right: boolean) => guardedAttempt(signInBuckets(email, address), async () => right, (ok) => ok);
    expect((await attempt(false)).ok).toBe(true);
    expect((await attempt(false)).ok).toBe(true);
    for (let i = 0; i < 5; i++) expect((await attempt(true)).ok).toBe(true);
    // Two failures are still on the account: one more failure fits, then even the right password waits.
    expect((await attempt(false)).ok).toBe(true);
    const refused = await attempt(true);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.retryAfterSeconds).toBeGreaterThan(60);
    delete process.env.SIGN_IN_LIMIT_PER_ACCOUNT;
  });

  test("parallel wrong guesses at one account are checked at most `limit` times", async () => {
    process.env.SIGN_IN_LIMIT_PER_ACCOUNT = "5";
    const email = `parallel-${Math.random()}@example.test`;
    let checked = 0;
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, () =>
        guardedAttempt(
          signInBuckets(email, `203.0.113.${Math.floor(Math.random() * 200)}`),
          async () => {
            checked++;
            return false;
          },
          (ok) => ok,
        ),
      ),
    );
    expect(checked).toBe(5);
    expect(outcomes.filter((o) => !o.ok)).toHaveLength(45);
    delete process.env.SIGN_IN_LIMIT_PER_ACCOUNT;
  });

  test("one address guessing across many accounts is stopped by the address limit", async () => {
    process.env.SIGN_IN_LIMIT_PER_ADDRESS = "4";
    const from = `192.0.2.${Math.floor(Math.random() * 250)}`;
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await guardedAttempt(signInBuckets(`spray-${i}-${Math.random()}@example.test`, from), async () => false, (ok) => ok));
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true, false, false]);
    delete process.env.SIGN_IN_LIMIT_PER_ADDRESS;
  });
});

describe("pruneRateLimits", () => {
  test("deletes refilled buckets in bounded batches and keeps the ones still counting", async () => {
    await t.sql`insert into rate_limits (key, tat, allowed) select 'old:' || g, now() - interval '1 minute', true from generate_series(1, 7) g`;
    const live = freshKey();
    await consume(live, { limit: 1, windowMs: HOUR }, t.sql);
    expect(await pruneRateLimits(t.sql, 5)).toBe(5);
    while ((await pruneRateLimits(t.sql, 5)) === 5);
    const [left] = await t.sql<{ old: number; live: number }[]>`
      select count(*) filter (where key like 'old:%')::int as old, count(*) filter (where key = ${live})::int as live from rate_limits`;
    expect(left).toEqual({ old: 0, live: 1 });
    // Still limited after the prune.
    expect((await consume(live, { limit: 1, windowMs: HOUR }, t.sql)).ok).toBe(false);
  });
});
