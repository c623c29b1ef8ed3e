/** Thrown when the queue is full; the API answers 503 with Retry-After. */
export class BusyError extends Error {
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number) {
    super(message);
    this.name = "BusyError";
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export interface LimiterOptions {
  /** Computations running at once. */
  concurrency: number;
  /** Computations that may wait for a slot; one more is refused. */
  queue: number;
  /** What Retry-After says when refusing. @default 5 */
  retryAfterSeconds?: number;
}

/**
 * Bounds cold computations (database queries, chart rendering): a burst of distinct expensive requests
 * waits in a short queue instead of piling onto the database, and beyond the queue is told to come back.
 */
export function createLimiter(options: LimiterOptions) {
  let active = 0;
  const waiting: (() => void)[] = [];

  // A finished computation hands its slot straight to the next in line, so none can jump the queue.
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };

  return {
    async run<T>(signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
      signal?.throwIfAborted();
      if (active < options.concurrency) {
        active++;
      } else {
        if (waiting.length >= options.queue) {
          throw new BusyError(
            `the server is busy: ${active} reports are being computed and ${waiting.length} wait; try again shortly`,
            options.retryAfterSeconds ?? 5,
          );
        }
        await new Promise<void>((resolve, reject) => {
          const start = () => {
            signal?.removeEventListener("abort", onAbort);
            resolve();
          };
          const onAbort = () => {
            const index = waiting.indexOf(start);
            if (index >= 0) waiting.splice(index, 1);
            reject(signal?.reason);
          };
          signal?.addEventListener("abort", onAbort, { once: true });
          waiting.push(start);
        });
      }
      try {
        return await work();
      } finally {
        release();
      }
    },
    get active() {
      return active;
    },
    get waiting() {
      return waiting.length;
    },
  };
}

export type Limiter = ReturnType<typeof createLimiter>;
