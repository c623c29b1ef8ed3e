/**
 * A read whose answer is believed for `ttlMs`: callers within that time share one read instead of each
 * asking the database. A failed read is not remembered. Each caller may stop waiting with its own signal
 * without stopping the read the others wait for.
 */
export function sharedRead<T>(ttlMs: number, read: () => Promise<T>): (signal?: AbortSignal) => Promise<T> {
  let known: { at: number; value: Promise<T> } | null = null;
  return (signal) => {
    const now = Date.now();
    if (!known || ttlMs <= 0 || now - known.at >= ttlMs) {
      const value = read();
      const entry = { at: now, value };
      known = entry;
      value.catch(() => {
        if (known === entry) known = null;
      });
    }
    const { value } = known;
    if (!signal) return value;
    return new Promise<T>((resolve, reject) => {
      const stop = () => reject(signal.reason);
      if (signal.aborted) return stop();
      signal.addEventListener("abort", stop, { once: true });
      value.then(resolve, reject).finally(() => signal.removeEventListener("abort", stop));
    });
  };
}
