// A worker thread that draws charts, so that the API's event loop keeps answering while one is drawn.
import { parentPort } from "node:worker_threads";
import { type ChartOptions, type ChartRow, type GroupLine, renderChart } from "@home-usage/core";

interface Job {
  id: number;
  rows: ChartRow[] | GroupLine[];
  options: ChartOptions;
}

parentPort?.on("message", async ({ id, rows, options }: Job) => {
  try {
    parentPort?.postMessage({ id, svg: await renderChart(rows, options) });
  } catch (error) {
    parentPort?.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
