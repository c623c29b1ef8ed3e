import type { AggregationProgress, Logger } from "@home-usage/core";
import { SingleBar } from "cli-progress";

/** "1 day", "2 days". */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** Seconds of data the ETA waits for: the first day often includes the wait for the first record. */
const SETTLE_MS = 3_000;

/**
 * Estimates the time left from the rate over the run's extent (days done of days in the run), measured
 * from the first progress report once `settleMs` of reports exist; never extrapolated from the first day.
 */
export function createEta(options: { now?: () => number; settleMs?: number } = {}) {
  const now = options.now ?? Date.now;
  const settleMs = options.settleMs ?? SETTLE_MS;
  let first: { at: number; days: number } | null = null;
  return (p: Pick<AggregationProgress, "days" | "total">): number | null => {
    const at = now();
    if (!first) {
      first = { at, days: p.days };
      return null;
    }
    const elapsed = at - first.at;
    const done = p.days - first.days;
    if (elapsed < settleMs || done <= 0) return null;
    return Math.round(((p.total - p.days) * elapsed) / done / 1000);
  };
}

/** "45s", "3m 05s", "1h 02m"; "…" while there is no estimate yet. */
export function formatEta(seconds: number | null): string {
  if (seconds === null) return "…";
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, "0")}s`;
  return `${Math.floor(seconds / 3600)}h ${String(Math.floor((seconds % 3600) / 60)).padStart(2, "0")}m`;
}

/**
 * Shows a run's progress: a bar on a terminal (days done of total, records/s, ETA),
 * otherwise a log line every few seconds.
 */
export function createProgress(options: { tty: boolean; logger: Logger; intervalMs?: number }) {
  const began = Date.now();
  const rate = (records: number) => Math.round(records / Math.max((Date.now() - began) / 1000, 0.001));
  const eta = createEta();
  if (options.tty) {
    const bar = new SingleBar({
      format: "{bar} {value}/{total} days | {day} | {records} records, {rate}/s | ETA {left}",
      hideCursor: true,
      stream: process.stderr,
    });
    let started = false;
    return {
      update(p: AggregationProgress) {
        const left = formatEta(eta(p));
        if (!started) {
          bar.start(p.total, 0, { day: p.day, records: 0, rate: 0, left });
          started = true;
        }
        bar.update(p.days, { day: p.day, records: p.records, rate: rate(p.records), left });
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
      const left = eta(p);
      if (Date.now() - lastLog < interval) return;
      lastLog = Date.now();
      options.logger.info(
        `progress: ${p.days}/${plural(p.total, "day")} (at ${p.day}), ${plural(p.records, "record")} at ${rate(p.records)}/s, ${plural(p.logins, "login")}, ETA ${formatEta(left)}`,
      );
    },
    stop() {},
  };
}
