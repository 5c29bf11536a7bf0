import "server-only";

/**
 * Many open pages poll the same thing (one run, one project's queue counts) about once a second.
 * A shared read runs the loader once per key and hands every concurrent or recent caller the same
 * result: in flight (single-flight) or younger than its TTL (coalescing). A failed read is never
 * kept, so the next caller tries again.
 *
 * Rules for callers (the cache itself checks nothing):
 * - check the permission BEFORE calling: the cache is shared by every user of this process;
 * - the key names only the data's own scope and view kind (a run id, "redacted" / "unredacted"),
 *   never a user, so two users may share a result only when they are allowed the same view;
 * - treat the result as read-only: it is the same object for every caller.
 */
export type SharedReads = {
  read<T>(key: string, ttlMs: number, load: () => Promise<T>): Promise<T>;
  /** Drop every entry whose key starts with `prefix`: a write in this process shows on the next read. */
  forget(prefix: string): void;
  /** Entries held now (in flight or fresh); for tests and the metrics. */
  size(): number;
  clear(): void;
};

type Entry = { value: Promise<unknown>; expiresAt: number };

export function createSharedReads({ maxEntries, now = Date.now }: { maxEntries: number; now?: () => number }): SharedReads {
  // A Map keeps insertion order: the first key is the oldest, evicted first when full.
  const entries = new Map<string, Entry>();

  // Oldest first: a refreshed key is re-inserted at the end, so the first key is the least
  // recently loaded (usually stale already).
  const evict = () => {
    for (const key of entries.keys()) {
      if (entries.size <= maxEntries) break;
      entries.delete(key);
    }
  };

  return {
    read<T>(key: string, ttlMs: number, load: () => Promise<T>): Promise<T> {
      const hit = entries.get(key);
      if (hit && hit.expiresAt > now()) return hit.value as Promise<T>;
      if (hit) entries.delete(key);
      // In flight: never expires until settled, so a slow read is not started twice.
      const entry: Entry = { value: Promise.resolve(), expiresAt: Number.POSITIVE_INFINITY };
      const value = (async () => load())().then(
        (result) => {
          if (entries.get(key) === entry) entry.expiresAt = now() + ttlMs;
          return result;
        },
        (error: unknown) => {
          if (entries.get(key) === entry) entries.delete(key);
          throw error;
        },
      );
      entry.value = value;
      entries.set(key, entry);
      if (entries.size > maxEntries) evict();
      return value;
    },
    forget(prefix: string): void {
      for (const key of [...entries.keys()]) if (key.startsWith(prefix)) entries.delete(key);
    },
    size: () => entries.size,
    clear: () => entries.clear(),
  };
}

/** This web process's shared reads: bounded so a flood of distinct keys cannot grow memory. */
export const sharedReads: SharedReads = createSharedReads({ maxEntries: 10_000 });

/** `sharedReads.read`: run `load` once per key per `ttlMs` for every caller in this process. */
export function sharedRead<T>(key: string, ttlMs: number, load: () => Promise<T>): Promise<T> {
  return sharedReads.read(key, ttlMs, load);
}
