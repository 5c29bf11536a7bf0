import Link from "next/link";
import { TextLink } from "@/app/(dashboard)/_components/ui/text-link";

/** On a job type's card: its runs wait (the project or the instance paused it). */
export function PausedBadge({ projectSlug }: { projectSlug: string }) {
  return (
    <Link
      href={`/projects/${projectSlug}/queues`}
      title="Paused: new runs are accepted and wait until the job type is resumed"
      className="rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-900 dark:bg-amber-900/40 dark:text-amber-200"
    >
      Paused
    </Link>
  );
}

export function QueuesLink({ projectSlug }: { projectSlug: string }) {
  return (
    <TextLink href={`/projects/${projectSlug}/queues`} className="text-sm">
      Queues →
    </TextLink>
  );
}
