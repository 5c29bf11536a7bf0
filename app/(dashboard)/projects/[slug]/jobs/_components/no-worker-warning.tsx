/** A job type no live worker serves: runs are accepted and wait (see docs/workers.md). */
export function NoWorkerWarning({ message }: { message: string | undefined }) {
  if (!message) return null;
  return (
    <p role="status" data-testid="no-worker-warning" className="mt-2 rounded-md border border-amber-300 bg-amber-50 px-2 py-1 text-xs text-amber-900 dark:border-amber-800 dark:bg-amber-950/40 dark:text-amber-200">
      {message}.
    </p>
  );
}
