import type { AggregationProgress, Logger } from "@home-usage/core";
import { SingleBar } from "cli-progress";

/**
 * Shows a run's progress: a bar on a terminal (days done of total, records/s, ETA),
 * otherwise a log line every few seconds.
 */
export function createProgress(options: { tty: boolean; logger: Logger; intervalMs?: number }) {
  const began = Date.now();
  const rate = (records: number) => Math.round(records / Math.max((Date.now() - began) / 1000, 0.001));
  if (options.tty) {
    const bar = new SingleBar({
      format: "{bar} {value}/{total} days | {day} | {records} records, {rate}/s | ETA {eta_formatted}",
      hideCursor: true,
      stream: process.stderr,
    });
    let started = false;
    return {
      update(p: AggregationProgress) {
        if (!started) {
          bar.start(p.total, 0, { day: p.day, records: 0, rate: 0 });
          started = true;
        }
        bar.update(p.days, { day: p.day, records: p.records, rate: rate(p.records) });
      },
      stop() {
        if (started) bar.stop();
        started = false;
      },
    };
  }
  const interval = options.intervalMs ?? 5_000;
  let lastLog = began;
  return {
    update(p: AggregationProgress) {
      if (Date.now() - lastLog < interval) return;
      lastLog = Date.now();
      const eta = p.days > 0 ? Math.round((((Date.now() - began) / p.days) * (p.total - p.days)) / 1000) : 0;
      options.logger.info(
        `progress: ${p.days}/${p.total} days (at ${p.day}), ${p.records} records at ${rate(p.records)}/s, ${p.logins} logins, ETA ${eta}s`,
      );
    },
    stop() {},
  };
}
