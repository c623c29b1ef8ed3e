import { createHash } from "node:crypto";
import { LRUCache } from "lru-cache";

export interface ReportCacheOptions {
  /** Bytes the cached answers may take, as their `size` estimates them. @default 64 MiB */
  maxBytes?: number;
  /** A safety net for rollups changed behind the job's back. @default 300_000 */
  ttlMs?: number;
}

interface Flight {
  promise: Promise<unknown>;
  controller: AbortController;
  waiters: number;
}

/**
 * Reports and charts, kept until the rollup changes, bounded by bytes. Concurrent requests for the same
 * answer share one computation (single-flight); it is cancelled when every request waiting for it has
 * gone, so a client that hangs up stops the database work it started.
 */
export function createReportCache(options: ReportCacheOptions = {}) {
  const cache = new LRUCache<string, { value: unknown }>({
    maxSize: options.maxBytes ?? 64 * 1024 * 1024,
    ttl: options.ttlMs ?? 300_000,
    // Set explicitly by `get`; anything else is a programming error the cache would hide.
    sizeCalculation: () => {
      throw new Error("report cache: every entry needs a size");
    },
  });
  const flights = new Map<string, Flight>();

  return {
    /**
     * The cached answer for `key` (any JSON-able value: it is hashed, never stored), or `compute`'s.
     * `signal` is the asking request's; `size` estimates an answer's bytes.
     */
    get<T>(
      key: unknown,
      compute: (signal: AbortSignal) => Promise<T>,
      { signal, size }: { signal?: AbortSignal; size: (value: T) => number },
    ): Promise<T> {
      const id = createHash("sha256").update(JSON.stringify(key)).digest("base64url");
      const hit = cache.get(id);
      if (hit) return Promise.resolve(hit.value as T);
      signal?.throwIfAborted();

      let flight = flights.get(id);
      if (!flight || flight.controller.signal.aborted) {
        const controller = new AbortController();
        const promise = compute(controller.signal).then((value) => {
          if (!controller.signal.aborted) cache.set(id, { value }, { size: Math.max(1, Math.ceil(size(value))) });
          return value;
        });
        const started: Flight = { promise, controller, waiters: 0 };
        const done = () => {
          if (flights.get(id) === started) flights.delete(id);
        };
        promise.then(done, done);
        flights.set(id, started);
        flight = started;
      }
      const current = flight;
      current.waiters++;
      if (!signal) return current.promise as Promise<T>;
      return new Promise<T>((resolve, reject) => {
        const leave = () => {
          signal.removeEventListener("abort", onAbort);
          current.waiters--;
        };
        const onAbort = () => {
          leave();
          if (current.waiters === 0) current.controller.abort(signal.reason);
          reject(signal.reason);
        };
        signal.addEventListener("abort", onAbort, { once: true });
        current.promise.then(
          (value) => {
            leave();
            resolve(value as T);
          },
          (error) => {
            leave();
            reject(error);
          },
        );
      });
    },
    /** Bytes held now, for tests and logs. */
    get bytes() {
      return cache.calculatedSize;
    },
  };
}

export type ReportCache = ReturnType<typeof createReportCache>;
