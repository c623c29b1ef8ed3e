import { LRUCache } from "lru-cache";

export interface ReportCacheOptions {
  /** What the rollup looks like now: any change to it must change this string. */
  version: () => Promise<string>;
  /** @default 500 */
  max?: number;
  /** A safety net for rollups changed behind the job's back. @default 300_000 */
  ttlMs?: number;
}

/**
 * Reports and charts, kept until the rollup changes. Counting distinct users is the API's only costly
 * step, and wikis ask for the same chart again and again; concurrent requests for the same answer share
 * one computation.
 */
export function createReportCache(options: ReportCacheOptions) {
  const cache = new LRUCache<string, Promise<unknown>>({ max: options.max ?? 500, ttl: options.ttlMs ?? 300_000 });
  return {
    async get<T>(key: string, compute: () => Promise<T>): Promise<T> {
      const full = `${await options.version()}\u0000${key}`;
      let entry = cache.get(full) as Promise<T> | undefined;
      if (!entry) {
        entry = compute();
        cache.set(full, entry);
        entry.catch(() => cache.delete(full));
      }
      return entry;
    },
  };
}
