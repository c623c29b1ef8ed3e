import { printable, readStatus } from "@home-usage/core";
import { type GlobalOptions, readConfig, withDatabase } from "../context.js";
import { skippedReasons } from "./aggregate.js";

export interface StatusOptions extends GlobalOptions {
  json?: boolean;
}

export async function status(options: StatusOptions): Promise<void> {
  const config = await readConfig(options);
  const s = await withDatabase(config, (client) => readStatus(client, config));
  if (options.json) {
    process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
    return;
  }
  const run = s.lastRun;
  const lines = [
    `job:        ${s.job} (${s.source} -> ${s.target}, time zone ${s.timezone})`,
    `checkpoint: ${s.offset ?? "none (the next run starts from the configured start)"}`,
    `last run:   ${
      run
        ? `${s.lastRunLost ? "ended without finishing (no run holds the lock: its process was stopped, or it lost the database)" : run.outcome}, started ${run.started.toISOString()}${run.finished ? `, finished ${run.finished.toISOString()}` : ""}, ${run.first} to ${run.last}: ${run.days} days, ${run.records} records, ${run.logins} logins${
            run.signals?.length ? ` (${run.signals.map((x) => `${x.logins} ${printable(x.signal)}`).join(", ")})` : ""
          }, ${run.users} people, ${run.skipped} skipped${skippedReasons(run.skippedBy) ? ` (${skippedReasons(run.skippedBy)})` : ""}${run.error ? ` (${printable(run.error)})` : ""}`
        : "never"
    }`,
    `lock:       ${s.lockProblem ? "damaged (see below)" : s.lock ? `held by pid ${s.lock.pid} on ${s.lock.host} since ${s.lock.acquired.toISOString()}, lease until ${s.lock.expires.toISOString()}` : "free"}`,
    `rollup:     ${s.rollup.first ? `${s.rollup.first} to ${s.rollup.last} (time zone ${s.rollup.timezone}, login signal ${s.rollup.loginPreset})` : "empty"} in ${s.target} and ${s.periods}`,
  ];
  if (s.lockProblem) lines.push(`problem:    ${s.lockProblem}`);
  if (s.rollup.problem) lines.push(`problem:    ${s.rollup.problem}`);
  if (s.cookieProblem)
    lines.push(`problem:    ${s.cookieProblem.message}`, `stored:     ${JSON.stringify(s.cookieProblem.stored)}`);
  if (s.rollup.unprocessed.length) {
    const days = s.rollup.unprocessed.reduce((sum, u) => sum + u.days, 0);
    lines.push(
      `never processed: ${days} ${days === 1 ? "day" : "days"} between the first and last processed day (run aggregate --start <day> --end <day> to fill them):`,
      ...s.rollup.unprocessed.map(
        (u) =>
          `  ${u.first === u.last ? u.first : `${u.first} – ${u.last}`} (${u.days} ${u.days === 1 ? "day" : "days"})`,
      ),
    );
  }
  if (s.indexAdvice) lines.push(`advice:     ${s.indexAdvice}`);
  process.stdout.write(`${lines.join("\n")}\n`);
}
