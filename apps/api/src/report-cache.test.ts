import { describe, expect, it } from "vitest";
import { BusyError, createLimiter } from "./limiter.js";
import { createReportCache } from "./report-cache.js";

const later = <T>(value: T, ms = 20) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

describe("the report cache", () => {
  it("is bounded by bytes, not by entries: big answers push old ones out", async () => {
    const cache = createReportCache({ maxBytes: 10_000 });
    let computed = 0;
    const get = (key: number) =>
      cache.get(
        ["chart", key],
        async () => {
          computed++;
          return "x".repeat(3_000);
        },
        { size: (v) => v.length },
      );
    for (let i = 0; i < 20; i++) await get(i);
    expect(cache.bytes).toBeLessThanOrEqual(10_000);
    expect(computed).toBe(20);
    await get(19);
    expect(computed).toBe(20);
    await get(0);
    expect(computed).toBe(21);
  });

  it("computes identical concurrent requests once", async () => {
    const cache = createReportCache();
    let computed = 0;
    const compute = async () => {
      computed++;
      return later("answer");
    };
    const answers = await Promise.all(Array.from({ length: 5 }, () => cache.get("same", compute, { size: () => 6 })));
    expect(answers).toEqual(Array(5).fill("answer"));
    expect(computed).toBe(1);
  });

  it("cancels a computation when every request waiting for it has gone, and not before", async () => {
    const cache = createReportCache();
    let seen: AbortSignal | undefined;
    const compute = (signal: AbortSignal) => {
      seen = signal;
      return later("answer", 50);
    };
    const first = new AbortController();
    const second = new AbortController();
    const a = cache.get("k", compute, { signal: first.signal, size: () => 1 });
    const b = cache.get("k", compute, { signal: second.signal, size: () => 1 });
    first.abort(new Error("gone"));
    await expect(a).rejects.toThrow("gone");
    expect(seen?.aborted).toBe(false);
    second.abort(new Error("gone too"));
    await expect(b).rejects.toThrow("gone too");
    expect(seen?.aborted).toBe(true);
  });
});

describe("the limiter", () => {
  it("runs at most `concurrency` at once, queues `queue` more, refuses the rest with a retry time", async () => {
    const limiter = createLimiter({ concurrency: 2, queue: 1 });
    let running = 0;
    let most = 0;
    const work = () =>
      limiter.run(undefined, async () => {
        running++;
        most = Math.max(most, running);
        await later(null);
        running--;
        return "done";
      });
    const results = await Promise.allSettled([work(), work(), work(), work()]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "fulfilled", "rejected"]);
    const refused = (results[3] as PromiseRejectedResult).reason;
    expect(refused).toBeInstanceOf(BusyError);
    expect(refused.retryAfterSeconds).toBe(5);
    expect(most).toBe(2);
    expect(await work()).toBe("done");
  });

  it("takes a request that gave up out of the queue", async () => {
    const limiter = createLimiter({ concurrency: 1, queue: 1 });
    let release = () => {};
    const held = limiter.run(undefined, () => new Promise<void>((r) => (release = r)));
    const controller = new AbortController();
    const waiting = limiter.run(controller.signal, async () => "never");
    expect(limiter.waiting).toBe(1);
    controller.abort(new Error("client gone"));
    await expect(waiting).rejects.toThrow("client gone");
    expect(limiter.waiting).toBe(0);
    release();
    await held;
    expect(limiter.active).toBe(0);
  });
});
