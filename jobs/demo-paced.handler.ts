import { setTimeout as sleep } from "node:timers/promises";
import type { JobHandler } from "@/lib/jobs/define";
import type { DemoPacedPayload } from "./demo-paced";

/** Demo only (labelled so in the catalog): paces through items so people can watch a run move. */
const demoPaced: JobHandler<DemoPacedPayload> = async (ctx) => {
  const { items, msPerItem } = ctx.payload;
  let done = 0;
  await ctx.step("warm_up", async () => {
    ctx.progress({ processed: 0, total: items, message: "Starting" });
  });
  ctx.stage("stepping");
  for (; done < items; done++) {
    if (ctx.signal.aborted) return { processed: done, stopped: true };
    await sleep(msPerItem, undefined, { signal: ctx.signal }).catch(() => undefined);
    ctx.progress({ processed: done + 1, total: items, message: `Item ${done + 1} of ${items}` });
  }
  return { processed: done };
};

export default demoPaced;
