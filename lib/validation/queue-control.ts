import { z } from "zod";

/**
 * A queue control form or API body: pause, resume, or set the concurrency limit (empty or null
 * for none). Shared by the Queues pages' actions and the REST API.
 */
const WHOLE = "A limit is a whole number from 1 to 10,000, or empty for none.";

export const queueControlFields = {
  jobType: z.string().min(1).max(100),
  intent: z.enum(["pause", "resume", "limit"], "Choose pause, resume or limit."),
  // A form sends text: empty means "no limit"; anything else must read as a whole number.
  concurrencyLimit: z
    .preprocess((v) => (v === "" || v === null ? null : typeof v === "string" ? Number(v) : v), z.number(WHOLE).int(WHOLE).min(1, "A limit is at least 1 (pause the job type to stop it).").max(10_000, "A limit is at most 10,000.").nullable())
    .optional(),
};

export type QueueControlChange = { jobType: string; paused?: boolean; concurrencyLimit?: number | null };

export function controlChange(input: { jobType: string; intent: "pause" | "resume" | "limit"; concurrencyLimit?: number | null }): QueueControlChange {
  if (input.intent === "limit") return { jobType: input.jobType, concurrencyLimit: input.concurrencyLimit ?? null };
  return { jobType: input.jobType, paused: input.intent === "pause" };
}
