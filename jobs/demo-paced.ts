import { z } from "zod";
import { defineJob } from "@/lib/jobs/define";

export const demoPacedPayload = z.object({
  items: z.number().int().min(1).max(1000).default(20).meta({ title: "Items" }),
  msPerItem: z.number().int().min(10).max(5000).default(250).meta({ title: "Milliseconds per item" }),
});
export type DemoPacedPayload = z.output<typeof demoPacedPayload>;

export default defineJob({
  name: "demo_paced",
  label: "Demo: paced run",
  description: "Demo only: steps through a number of items at a fixed pace so you can watch progress, stages and cancel. It changes no data.",
  scope: "project",
  payload: demoPacedPayload,
  retry: { limit: 0, delaySeconds: 0, backoff: false },
  schedule: null,
  overlap: "project",
  // The longest form input is 1000 items at 5 s: under 84 minutes.
  timeoutSeconds: 90 * 60,
  demo: true,
  handler: () => import("./demo-paced.handler"),
});
