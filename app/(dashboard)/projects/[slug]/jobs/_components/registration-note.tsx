import { RelativeTime } from "@/app/(dashboard)/_components/relative-time";
import type { JobTypeRegistration } from "@/lib/dal/job-types";

/**
 * For a job type defined in another service: which service's worker registered it last and when
 * its definition last changed (the last registration wins; docs/external-workers.md).
 */
export function RegistrationNote({ registration }: { registration: JobTypeRegistration | undefined }) {
  if (!registration) return null;
  return (
    <p data-testid="registration" className="mt-2 text-xs text-zinc-500">
      Registered by <span className="font-medium text-zinc-700 dark:text-zinc-300">{registration.source}</span> · definition from <RelativeTime iso={registration.updatedAt} />
    </p>
  );
}
