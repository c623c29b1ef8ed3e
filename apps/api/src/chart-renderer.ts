import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import {
  type ChartOptions,
  type ChartRow,
  type GroupLine,
  type PngOptions,
  type RetentionChartOptions,
  type RetentionRow,
  renderChart,
  renderPng,
  renderRetentionChart,
} from "@home-usage/core";

export type RenderChart = (rows: readonly ChartRow[] | readonly GroupLine[], options: ChartOptions) => Promise<string>;
export type RenderRetentionChart = (rows: readonly RetentionRow[], options: RetentionChartOptions) => Promise<string>;

/** Rasterises a chart's SVG to PNG. */
export type Rasterise = (svg: string, options: PngOptions) => Promise<Buffer>;

interface Pending {
  resolve: (drawn: string | Buffer) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  /** Resolves true once the worker has loaded and warmed Plot, jsdom and resvg, false if it stopped first. */
  ready: Promise<boolean>;
  warm: boolean;
  /** It has drawn since it started. */
  used: boolean;
  /** Replaced: it stops once its last job is answered. */
  retired: boolean;
}

/** How long the pool is idle before it gives back the workers that drew. */
const RECYCLE_AFTER_MS = 3_000;

/**
 * Draws charts in up to `workers` worker threads, each loading Plot and jsdom once. Drawing twenty years
 * of days takes a second of CPU; in the main thread that second would stall every other request,
 * /healthz included. Where the worker script is not built (tests run the TypeScript sources), charts are
 * drawn in this thread.
 *
 * Each worker holds some 70 MiB once it has drawn (its heap, its allocator's arenas), collected or not. So
 * once the pool has been idle `recycleAfterMs`, one fresh worker is started and warmed, then takes the
 * place of all that drew, which stop: an idle API keeps one warm worker, and the others start again with
 * the next charts, drawn meanwhile by the warm one.
 */
export function createChartRenderer(options: { workers: number; script?: URL; recycleAfterMs?: number }): {
  render: RenderChart;
  renderRetention: RenderRetentionChart;
  rasterise: Rasterise;
  /** The pool's worker threads, by id: a fresh worker has a new one. */
  threadIds: () => number[];
  close: () => Promise<void>;
} {
  const script = options.script ?? new URL("./chart-worker.js", import.meta.url);
  if (!existsSync(fileURLToPath(script))) {
    return {
      render: (rows, chart) => renderChart(rows, chart),
      renderRetention: (rows, chart) => renderRetentionChart(rows, chart),
      rasterise: (svg, png) => renderPng(svg, png),
      threadIds: () => [],
      close: async () => {},
    };
  }
  let slots: Slot[] = [];
  let ids = 0;
  let inFlight = 0;
  let idle: NodeJS.Timeout | undefined;
  let recycling = false;
  let closed = false;

  const retire = (slot: Slot) => {
    slot.retired = true;
    if (slot.pending.size === 0) void slot.worker.terminate();
  };

  const start = (): Slot => {
    // A young generation of 8 MiB, not V8's 48: a freshly warmed worker, the one an idle pool keeps, would
    // otherwise hold its 32 MiB of semi-spaces (a worker that drew shrinks them by itself). Charts draw
    // as fast (a 20-year chart of days: about 1.1 s either way).
    const worker = new Worker(script, { resourceLimits: { maxYoungGenerationSizeMb: 8 } });
    let warmed: (ok: boolean) => void = () => {};
    const ready = new Promise<boolean>((resolve) => {
      warmed = resolve;
    });
    const slot: Slot = { worker, pending: new Map(), ready, warm: false, used: false, retired: false };
    // A worker never keeps the process alive by itself; the HTTP server does.
    worker.unref();
    type Message = { ready?: true; id: number; svg?: string; png?: Uint8Array; error?: string };
    worker.on("message", ({ ready, id, svg, png, error }: Message) => {
      if (ready) {
        slot.warm = true;
        return warmed(true);
      }
      const job = slot.pending.get(id);
      slot.pending.delete(id);
      const drawn = svg ?? (png && Buffer.from(png.buffer, png.byteOffset, png.byteLength));
      if (error !== undefined || drawn === undefined) job?.reject(new Error(`drawing the chart failed: ${error}`));
      else job?.resolve(drawn);
      if (slot.retired && slot.pending.size === 0) void worker.terminate();
    });
    const fail = (error: Error) => {
      warmed(false);
      slots = slots.filter((other) => other !== slot);
      for (const job of slot.pending.values()) job.reject(error);
      slot.pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`the chart worker stopped (exit code ${code})`)));
    return slot;
  };

  // The fresh worker takes over only once warm, so a chart asked for meanwhile is drawn by a warm one.
  const recycle = async () => {
    if (recycling || closed || !slots.some((slot) => slot.used)) return;
    recycling = true;
    try {
      const fresh = start();
      if (!(await fresh.ready) || closed) return void fresh.worker.terminate();
      const old = slots;
      slots = [fresh];
      for (const slot of old) retire(slot);
    } finally {
      recycling = false;
    }
  };

  const post = <T extends string | Buffer>(message: Record<string, unknown>) => {
    while (slots.length < options.workers) slots.push(start());
    // The report limiter bounds concurrent drawings: the least busy warm worker takes the job.
    const warm = slots.filter((slot) => slot.warm);
    const slot = (warm.length > 0 ? warm : slots).reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    slot.used = true;
    const id = ids++;
    inFlight++;
    clearTimeout(idle);
    return new Promise<T>((resolve, reject) => {
      slot.pending.set(id, { resolve: resolve as (drawn: string | Buffer) => void, reject });
      slot.worker.postMessage({ id, ...message });
    }).finally(() => {
      if (--inFlight > 0 || closed) return;
      idle = setTimeout(recycle, options.recycleAfterMs ?? RECYCLE_AFTER_MS);
      idle.unref();
    });
  };
  // Every worker starts now and loads Plot, jsdom and resvg before the first request needs them: the
  // first chart a process draws costs what the others do.
  while (slots.length < options.workers) slots.push(start());

  return {
    render: (rows, chart) => post<string>({ rows, options: chart }),
    renderRetention: (rows, chart) => post<string>({ rows, options: chart, kind: "retention" }),
    // PNGs too: encoding a 4000 x 2400 image takes the thread that does it for a moment, never the event loop's.
    rasterise: (svg, png) => post<Buffer>({ kind: "png", svg, scale: png.scale ?? 1 }),
    threadIds: () => slots.map((slot) => slot.worker.threadId),
    async close() {
      closed = true;
      clearTimeout(idle);
      const old = slots;
      slots = [];
      await Promise.all(old.map((slot) => slot.worker.terminate()));
    },
  };
}
