"use client";

import { useRouter } from "next/navigation";
import { startTransition, useEffect, useRef, useState } from "react";

const CHECK_MS = 2000;

/**
 * A page that failed to render. In production its message is hidden from the browser, so ask
 * /api/health whether the database is the cause: then say so and reload by itself once it is
 * back; otherwise offer a retry with the error's reference.
 */
export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  const router = useRouter();
  const [database, setDatabase] = useState<"checking" | "down" | "up">("checking");
  const wasDown = useRef(false);

  const retry = () =>
    startTransition(() => {
      router.refresh();
      reset();
    });

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const check = async () => {
      const response = await fetch("/api/health", { cache: "no-store" }).catch(() => null);
      if (stopped) return;
      if (response?.status === 503) {
        wasDown.current = true;
        setDatabase("down");
        timer = setTimeout(check, CHECK_MS);
      } else if (response?.ok && wasDown.current) {
        retry();
      } else {
        setDatabase("up");
      }
    };
    void check();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
    // Once per failure: retry() re-renders the segment, which mounts a fresh boundary if it fails again.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  if (database === "down") {
    return (
      <div role="alert" className="mx-4 mt-16 max-w-lg rounded-lg border border-amber-300 sm:mx-auto bg-amber-50 p-6 text-amber-950 dark:border-amber-800 dark:bg-amber-950/40 dark:text-amber-100">
        <h1 className="text-xl font-semibold">Database unavailable, retrying</h1>
        <p className="mt-2 text-sm">Runboard cannot reach its database right now. This page reloads by itself as soon as the database is back.</p>
        <button type="button" onClick={retry} className="mt-4 rounded-md border border-amber-400 px-3 py-1.5 text-sm hover:bg-amber-100 dark:border-amber-700 dark:hover:bg-amber-900/40">
          Try again now
        </button>
      </div>
    );
  }
  return (
    <div role="alert" className="mx-4 mt-16 max-w-lg rounded-lg border border-zinc-200 sm:mx-auto bg-white p-6 dark:border-zinc-800 dark:bg-zinc-900">
      <h1 className="text-xl font-semibold">{database === "checking" ? "Loading failed" : "Something went wrong"}</h1>
      <p className="mt-2 text-sm text-zinc-600 dark:text-zinc-400">
        This page could not be shown. Try again; if it keeps failing, tell your administrator{error.digest ? ` the reference ${error.digest}` : ""}.
      </p>
      <button type="button" onClick={retry} className="mt-4 rounded-md border border-zinc-300 px-3 py-1.5 text-sm hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800">
        Try again
      </button>
    </div>
  );
}
