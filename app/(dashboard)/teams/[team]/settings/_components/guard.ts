import "server-only";
import { notFound, redirect } from "next/navigation";
import { AccessError } from "@/lib/dal/access";

/**
 * Settings pages read through the DAL, which checks team:manage itself: another team's settings
 * are "not found", and a member without the permission gets only the "forbidden" marker.
 */
export async function readOrForbidden<T>(read: Promise<T>): Promise<T | "forbidden"> {
  try {
    return await read;
  } catch (error) {
    if (!(error instanceof AccessError)) throw error;
    if (error.code === "not_found") notFound();
    if (error.code === "unauthenticated") redirect("/sign-in");
    return "forbidden";
  }
}
