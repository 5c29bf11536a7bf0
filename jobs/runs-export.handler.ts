import { and, count, eq, gte, lt, or, sql } from "drizzle-orm";
import { toCsvRow } from "@/lib/csv";
import { files, jobRuns, projects, users } from "@/lib/db/schema";
import { JobError } from "@/lib/jobs/errors";
import { publicErrorMessage } from "@/lib/jobs/redact";
import type { JobHandler } from "@/lib/jobs/define";
import type { RunsExportPayload } from "./runs-export";

const BATCH = 1000;
/** The file is built in memory and stored in Postgres: bound it (newest rows are kept). */
export const MAX_EXPORT_ROWS = 200_000;
const HEADER = ["run_id", "job_type", "status", "attempts", "queued_at", "started_at", "completed_at", "duration_ms", "triggered_by", "progress_processed", "progress_total", "error_message"];

/** Write the project's run history (newest first) to a CSV file stored with the project. */
const runsExport: JobHandler<RunsExportPayload> = async (ctx) => {
  const projectId = ctx.projectId;
  if (!projectId) throw new JobError("An export needs a project", { type: "validation_error", subType: "project_missing" });
  const { days, includeErrors } = ctx.payload;
  const since = new Date(Date.now() - days * 86_400_000);
  const inWindow = and(eq(jobRuns.projectId, projectId), gte(jobRuns.queuedAt, since));

  const { total, slug } = await ctx.step("count", async () => {
    const [project] = await ctx.db.select({ slug: projects.slug }).from(projects).where(eq(projects.id, projectId));
    const [row] = await ctx.db.select({ n: count() }).from(jobRuns).where(inWindow);
    return { total: row?.n ?? 0, slug: project?.slug ?? "project" };
  });
  ctx.progress({ processed: 0, total, message: `Exporting ${total} runs` });

  ctx.stage("write_rows");
  const chunks: string[] = [toCsvRow(HEADER)];
  let processed = 0;
  let cursor: { queuedAt: Date; id: string } | null = null;
  for (;;) {
    if (ctx.signal.aborted) return { processed, stopped: true };
    const page: { id: string; jobType: string; status: string; attempts: number; queuedAt: Date; startedAt: Date | null; completedAt: Date | null; triggeredBy: string | null; processed: number | null; total: number | null; error: string | null; errorPublic: string | null }[] = await ctx.db
      .select({
        id: jobRuns.id,
        jobType: jobRuns.jobType,
        status: jobRuns.status,
        attempts: jobRuns.attemptCount,
        queuedAt: jobRuns.queuedAt,
        startedAt: jobRuns.startedAt,
        completedAt: jobRuns.completedAt,
        triggeredBy: users.email,
        processed: jobRuns.progressProcessed,
        total: jobRuns.progressTotal,
        error: jobRuns.errorMessage,
        errorPublic: jobRuns.errorMessagePublic,
      })
      .from(jobRuns)
      .leftJoin(users, eq(users.id, jobRuns.triggeredBy))
      .where(cursor ? and(inWindow, or(lt(jobRuns.queuedAt, cursor.queuedAt), and(eq(jobRuns.queuedAt, cursor.queuedAt), lt(jobRuns.id, cursor.id)))) : inWindow)
      .orderBy(sql`${jobRuns.queuedAt} desc nulls last`, sql`${jobRuns.id} desc nulls last`)
      .limit(BATCH);
    for (const r of page) {
      const duration = r.startedAt && r.completedAt ? r.completedAt.getTime() - r.startedAt.getTime() : null;
      chunks.push(toCsvRow([r.id, r.jobType, r.status, r.attempts, r.queuedAt, r.startedAt, r.completedAt, duration, r.triggeredBy, r.processed, r.total, includeErrors && r.error ? (r.errorPublic ?? publicErrorMessage(r.error)) : null]));
    }
    processed += page.length;
    ctx.progress({ processed, total: Math.max(total, processed), message: `Wrote ${processed} rows` });
    const last = page.at(-1);
    if (!last || page.length < BATCH || processed >= MAX_EXPORT_ROWS) break;
    cursor = { queuedAt: last.queuedAt, id: last.id };
  }

  return ctx.step("store_file", async () => {
    const content = Buffer.from(chunks.join(""), "utf8");
    const name = `${slug}-runs-${new Date().toISOString().slice(0, 10)}.csv`;
    const [file] = await ctx.db
      .insert(files)
      .values({ projectId, name, contentType: "text/csv", sizeBytes: content.length, content })
      .returning({ id: files.id });
    if (!file) throw new Error("could not store the export file");
    return { fileId: file.id, fileName: name, rows: processed, bytes: content.length, since: since.toISOString(), truncated: processed < total };
  });
};

export default runsExport;
