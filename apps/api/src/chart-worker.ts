// A worker thread that draws charts, so that the API's event loop keeps answering while one is drawn.
import { parentPort } from "node:worker_threads";
import {
  type ChartOptions,
  type ChartRow,
  type GroupLine,
  type RetentionChartOptions,
  type RetentionRow,
  renderChart,
  renderPng,
  renderRetentionChart,
} from "@home-usage/core";
import { collectGarbage } from "./garbage-collection.js";

type Job =
  | { id: number; kind?: undefined; rows: ChartRow[] | GroupLine[]; options: ChartOptions }
  | { id: number; kind: "retention"; rows: RetentionRow[]; options: RetentionChartOptions }
  | { id: number; kind: "png"; svg: string; scale: 1 | 2 };

let idle: NodeJS.Timeout | undefined;

// Loads Plot, jsdom and resvg and warms them with a small chart before any request: the first chart of a
// process then costs what the others do. Jobs that come meanwhile wait for it.
const ready = renderChart(
  [
    {
      timestamp: "2026-01-05T00:00:00.000Z",
      end: "2026-01-12T00:00:00.000Z",
      period: "2026-W02",
      user: 1,
      logins: 1,
      partial: false,
    },
  ],
  { aggregate: "week" },
)
  .then((svg) => renderPng(svg))
  .catch(() => {})
  // The pool lets a fresh worker take jobs in place of others only once it is warm.
  .then(() => parentPort?.postMessage({ ready: true }));

parentPort?.on("message", async (job: Job) => {
  const { id } = job;
  try {
    await ready;
    if (job.kind === "png") {
      parentPort?.postMessage({ id, png: await renderPng(job.svg, { scale: job.scale }) });
      // The rasterised image (38 MB at 2000 x 1200 x 2) lives outside V8's heap, which does not know
      // of it and so sees no reason to collect: without this, a burst of PNGs keeps every one of them. A
      // young collection frees it at once.
      collectGarbage({ type: "minor" });
      return;
    }
    const svg =
      job.kind === "retention"
        ? await renderRetentionChart(job.rows, job.options)
        : await renderChart(job.rows, job.options);
    parentPort?.postMessage({ id, svg });
  } catch (error) {
    parentPort?.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  } finally {
    // What a burst of charts left behind (jsdom documents, images) goes once the worker is idle a second,
    // so an idle API gives its memory back.
    clearTimeout(idle);
    idle = setTimeout(() => collectGarbage({ type: "major" }), 1_000);
    idle.unref();
  }
});
