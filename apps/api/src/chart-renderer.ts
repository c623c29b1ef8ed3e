import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import {
  type ChartOptions,
  type ChartRow,
  type GroupLine,
  type RetentionChartOptions,
  type RetentionRow,
  renderChart,
  renderRetentionChart,
} from "@home-usage/core";

export type RenderChart = (rows: readonly ChartRow[] | readonly GroupLine[], options: ChartOptions) => Promise<string>;
export type RenderRetentionChart = (rows: readonly RetentionRow[], options: RetentionChartOptions) => Promise<string>;

interface Pending {
  resolve: (svg: string) => void;
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
  close: () => Promise<void>;
} {
  const script = options.script ?? new URL("./chart-worker.js", import.meta.url);
  if (!existsSync(fileURLToPath(script))) {
    return {
      render: (rows, chart) => renderChart(rows, chart),
      renderRetention: (rows, chart) => renderRetentionChart(rows, chart),
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
    worker.on("message", ({ id, svg, error }: { id: number; svg?: string; error?: string }) => {
      const job = slot.pending.get(id);
      slot.pending.delete(id);
      if (error !== undefined || svg === undefined) job?.reject(new Error(`drawing the chart failed: ${error}`));
      else job?.resolve(svg);
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

  const draw = (message: { rows: unknown; options: unknown; kind?: "retention" }) => {
    // The report limiter bounds concurrent drawings, so round robin keeps each worker to about one job.
    if (slots.length < options.workers) slots.push(start());
    const slot = slots[next++ % slots.length] as Slot;
    const id = ids++;
    return new Promise<string>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ id, ...message });
    });
  };

  return {
    render: (rows, chart) => draw({ rows, options: chart }),
    renderRetention: (rows, chart) => draw({ rows, options: chart, kind: "retention" }),
    async close() {
      await Promise.all(slots.splice(0).map((slot) => slot.worker.terminate()));
    },
  };
}
