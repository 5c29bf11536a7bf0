import "server-only";
import { and, asc, eq, isNull, or, sql } from "drizzle-orm";
import { canInstance } from "@/lib/auth/permissions";
import { getDatabase } from "@/lib/db/client";
import { projects, teamMembers, teams } from "@/lib/db/schema";
import { getCurrentUser } from "./users";

export type ProjectListItem = { slug: string; name: string; teamName: string };

const MAX_PROJECTS = 200;

/** Projects the signed-in user may open: their teams' projects (every team's with runs:read-all). */
export async function listMyProjects(): Promise<ProjectListItem[]> {
  const user = await getCurrentUser();
  if (!user) return [];
  const { db } = getDatabase();
  const readsAll = canInstance(user.instanceRole, "runs:read-all");
  return db
    .selectDistinct({ slug: projects.slug, name: projects.name, teamName: teams.name })
    .from(projects)
    .innerJoin(teams, eq(teams.id, projects.teamId))
    .leftJoin(teamMembers, and(eq(teamMembers.teamId, projects.teamId), eq(teamMembers.userId, user.id)))
    .where(and(isNull(projects.deletedAt), or(sql`${readsAll}`, sql`${teamMembers.userId} is not null`)))
    .orderBy(asc(teams.name), asc(projects.name))
    .limit(MAX_PROJECTS);
}
