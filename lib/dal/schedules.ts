import "server-only";
import { databaseUrl, getDatabase } from "@/lib/db/client";
import { getSendOnlyBoss } from "@/lib/jobs/boss";
import { listProjectSchedules, removeProjectSchedule, setProjectSchedule, setProjectSchedulePaused, type ProjectScheduleView, type ScheduleChange, type ScheduleRefusal, type ScheduleScope } from "@/lib/jobs/project-schedules";
import { listSystemSchedules, runSystemJobNow, setSystemSchedulePaused, type SystemScheduleView } from "@/lib/jobs/system-schedules";
import { actorOf, requireProjectPermission } from "./access";
import { requireInstancePermission } from "./instance";

const boss = () => getSendOnlyBoss(databaseUrl());

async function writeScope(slug: string): Promise<ScheduleScope> {
  const access = await requireProjectPermission(slug, "jobs:write");
  return { projectId: access.project.id, teamId: access.project.teamId, actor: actorOf(access) };
}

/** A project's schedules (jobs:read), each with its next run, last tick and skipped ticks. */
export async function getProjectSchedules(slug: string): Promise<ProjectScheduleView[]> {
  const access = await requireProjectPermission(slug, "jobs:read");
  return listProjectSchedules(getDatabase().db, access.project.id);
}

/** Create or change the schedule of a project job type (jobs:write; audited). */
export async function saveProjectSchedule(slug: string, input: { jobType: unknown; cron: unknown; payload?: unknown }): Promise<ScheduleChange> {
  const scope = await writeScope(slug);
  return setProjectSchedule(getDatabase().db, await boss(), scope, input);
}

export async function pauseProjectSchedule(slug: string, jobType: unknown, paused: boolean): Promise<ScheduleChange> {
  const scope = await writeScope(slug);
  return setProjectSchedulePaused(getDatabase().db, await boss(), scope, jobType, paused);
}

export async function deleteProjectSchedule(slug: string, jobType: unknown): Promise<{ ok: true } | ScheduleRefusal> {
  const scope = await writeScope(slug);
  return removeProjectSchedule(getDatabase().db, await boss(), scope, jobType);
}

/** Runboard's own scheduled jobs, for the System page (schedules:read: owner and support). */
export async function getSystemSchedules(): Promise<SystemScheduleView[]> {
  await requireInstancePermission("schedules:read");
  return listSystemSchedules(getDatabase().db);
}

/** Pause or resume a system schedule (schedules:manage: the instance owner), as `runboard system pause|resume` does. */
export async function pauseSystemSchedule(jobType: string, paused: boolean) {
  const user = await requireInstancePermission("schedules:manage");
  return setSystemSchedulePaused(getDatabase().db, await boss(), jobType, paused, { userId: user.id, apiKeyId: null }, "dashboard");
}

/** Start a system job now with its default payload, as `runboard system run` does. */
export async function runSystemJob(jobType: string) {
  const user = await requireInstancePermission("schedules:manage");
  return runSystemJobNow(getDatabase().db, await boss(), jobType, {}, { userId: user.id, apiKeyId: null }, "dashboard");
}
