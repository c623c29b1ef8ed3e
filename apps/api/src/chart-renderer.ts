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
}

/**
 * Draws charts in up to `workers` worker threads, each loading Plot and jsdom once. Drawing twenty years
 * of days takes a second of CPU; in the main thread that second would stall every other request,
 * /healthz included. Where the worker script is not built (tests run the TypeScript sources), charts are
 * drawn in this thread.
 */
export function createChartRenderer(options: { workers: number; script?: URL }): {
  render: RenderChart;
  renderRetention: RenderRetentionChart;
  rasterise: Rasterise;
  close: () => Promise<void>;
} {
  const script = options.script ?? new URL("./chart-worker.js", import.meta.url);
  if (!existsSync(fileURLToPath(script))) {
    return {
      render: (rows, chart) => renderChart(rows, chart),
      renderRetention: (rows, chart) => renderRetentionChart(rows, chart),
      rasterise: (svg, png) => renderPng(svg, png),
      close: async () => {},
    };
  }
  const slots: Slot[] = [];
  let next = 0;
  let ids = 0;

  const start = (): Slot => {
    const worker = new Worker(script);
    const slot: Slot = { worker, pending: new Map() };
    // A worker never keeps the process alive by itself; the HTTP server does.
    worker.unref();
    worker.on("message", ({ id, svg, png, error }: { id: number; svg?: string; png?: Uint8Array; error?: string }) => {
      const job = slot.pending.get(id);
      slot.pending.delete(id);
      const drawn = svg ?? (png && Buffer.from(png.buffer, png.byteOffset, png.byteLength));
      if (error !== undefined || drawn === undefined) job?.reject(new Error(`drawing the chart failed: ${error}`));
      else job?.resolve(drawn);
    });
    const fail = (error: Error) => {
      const index = slots.indexOf(slot);
      if (index >= 0) slots.splice(index, 1);
      for (const job of slot.pending.values()) job.reject(error);
      slot.pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`the chart worker stopped (exit code ${code})`)));
    return slot;
  };

  const post = <T extends string | Buffer>(message: Record<string, unknown>) => {
    // The report limiter bounds concurrent drawings, so round robin keeps each worker to about one job.
    while (slots.length < options.workers) slots.push(start());
    const slot = slots[next++ % slots.length] as Slot;
    const id = ids++;
    return new Promise<T>((resolve, reject) => {
      slot.pending.set(id, { resolve: resolve as (drawn: string | Buffer) => void, reject });
      slot.worker.postMessage({ id, ...message });
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
    async close() {
      await Promise.all(slots.splice(0).map((slot) => slot.worker.terminate()));
    },
  };
}
