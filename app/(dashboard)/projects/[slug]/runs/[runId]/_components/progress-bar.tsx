export function ProgressBar({ processed, total, percent }: { processed: number | null; total: number | null; percent: number | null }) {
  const value = percent ?? 0;
  return (
    <div
      role="progressbar"
      aria-label="Run progress"
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={value}
      aria-valuetext={total ? `${processed ?? 0} of ${total} (${value}%)` : `${value}%`}
      className="h-3 w-full overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-800"
    >
      <div className="h-full rounded-full bg-indigo-600 transition-[width] duration-500" style={{ width: `${value}%` }} />
    </div>
  );
}
