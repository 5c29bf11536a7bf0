import { addMonths, createMonthPartition, listMonthPartitions, partitionFor } from "@/lib/jobs/worker/partitions";
import type { JobHandler } from "@/lib/jobs/define";
import type { PartitionCreationPayload } from "./partition-creation";

/** Create this month's and the next months' step-history partitions before rows need them. */
const partitionCreation: JobHandler<PartitionCreationPayload> = async (ctx) => {
  const { monthsAhead } = ctx.payload;
  const existing = new Set((await listMonthPartitions(ctx.db)).map((p) => p.name));
  const wanted = Array.from({ length: monthsAhead + 1 }, (_, i) => partitionFor(addMonths(new Date(), i)));
  const created: string[] = [];
  ctx.progress({ processed: 0, total: wanted.length, message: "Checking partitions" });
  for (const [i, partition] of wanted.entries()) {
    if (ctx.signal.aborted) break;
    if (!existing.has(partition.name)) {
      await ctx.step(`create_${partition.name}`, () => createMonthPartition(ctx.db, partition));
      created.push(partition.name);
    }
    ctx.progress({ processed: i + 1, total: wanted.length, message: `${created.length} created` });
  }
  return { created, alreadyPresent: wanted.map((p) => p.name).filter((n) => !created.includes(n)) };
};

export default partitionCreation;
