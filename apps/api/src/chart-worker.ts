// A worker thread that draws charts, so that the API's event loop keeps answering while one is drawn.
import { parentPort } from "node:worker_threads";
import {
  type ChartOptions,
  type ChartRow,
  type GroupLine,
  type RetentionChartOptions,
  type RetentionRow,
  renderChart,
  renderRetentionChart,
} from "@home-usage/core";

type Job =
  | { id: number; kind?: undefined; rows: ChartRow[] | GroupLine[]; options: ChartOptions }
  | { id: number; kind: "retention"; rows: RetentionRow[]; options: RetentionChartOptions };

parentPort?.on("message", async (job: Job) => {
  const { id } = job;
  try {
    const svg =
      job.kind === "retention"
        ? await renderRetentionChart(job.rows, job.options)
        : await renderChart(job.rows, job.options);
    parentPort?.postMessage({ id, svg });
  } catch (error) {
    parentPort?.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
