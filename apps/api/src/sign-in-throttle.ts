/** Failed sign-ins allowed per address, and per name, within the window. */
export const SIGN_IN_FAILURES = 10;
/** The window failed sign-ins are counted in. */
export const SIGN_IN_WINDOW_MS = 10 * 60_000;

/**
 * Counts failed sign-ins per key (an address, a name) in a sliding window: once a key has
 * `SIGN_IN_FAILURES` failures in the last `SIGN_IN_WINDOW_MS`, every sign-in that names it is refused,
 * right or wrong, until the oldest of them leaves the window. Kept in memory, bounded in keys.
 */
export function createSignInThrottle(options: { clock: () => Date; maxKeys?: number }) {
  const failures = new Map<string, number[]>();
  const maxKeys = options.maxKeys ?? 100_000;

  const recent = (key: string, now: number): number[] => {
    const times = (failures.get(key) ?? []).filter((t) => t > now - SIGN_IN_WINDOW_MS && t <= now);
    if (times.length === 0) failures.delete(key);
    else failures.set(key, times);
    return times;
  };

  return {
    /** Seconds until a sign-in naming these keys may be tried again; 0 when it may now. */
    retryAfter(keys: readonly string[]): number {
      const now = options.clock().getTime();
      let wait = 0;
      for (const key of keys) {
        const times = recent(key, now);
        if (times.length < SIGN_IN_FAILURES) continue;
        // The failure that must leave the window before the key is under the limit again.
        const freeing = times[times.length - SIGN_IN_FAILURES] as number;
        wait = Math.max(wait, Math.ceil((freeing + SIGN_IN_WINDOW_MS - now) / 1000));
      }
      return Math.max(wait, 0);
    },

    fail(keys: readonly string[]): void {
      const now = options.clock().getTime();
      if (failures.size >= maxKeys) {
        for (const key of failures.keys())
          if (recent(key, now).length === 0 || failures.size >= maxKeys) failures.delete(key);
      }
      for (const key of keys) {
        const times = recent(key, now);
        times.push(now);
        failures.set(key, times.slice(-SIGN_IN_FAILURES));
      }
    },

    /** A right password clears its name's failures (not its address's: one's own account must not reset those). */
    succeed(key: string): void {
      failures.delete(key);
    },
  };
}

export type SignInThrottle = ReturnType<typeof createSignInThrottle>;
