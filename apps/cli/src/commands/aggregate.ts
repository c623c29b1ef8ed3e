import { hostname } from "node:os";
import { setFlagsFromString } from "node:v8";
import {
  type AggregationResult,
  clockOf,
  collections,
  formatNamespace,
  MAX_NAME_LENGTH,
  parseRunDates,
  printable,
  runAggregation,
  type SkippedBy,
} from "@home-usage/core";
import { type GlobalOptions, loggerFor, readConfig, withDatabase } from "../context.js";
import { createProgress, plural } from "../progress.js";

export interface AggregateOptions extends GlobalOptions {
  start?: string;
  end?: string;
  reset?: boolean;
  dryRun?: boolean;
  yes?: boolean;
}

export async function aggregate(options: AggregateOptions): Promise<void> {
  // The job's time is the database's scan, not ours, so V8 may favour memory over speed: when a long log
  // arrives at once, it collects the records the run is done with sooner instead of letting them pile up.
  // Replaying ten years of logins on the bundled database: peak 204 to 211 MiB without, 122 to 133 with,
  // and the run as fast.
  setFlagsFromString("--optimize-for-size");
  const config = await readConfig(options);
  const now = clockOf(config)();
  const dates = parseRunDates({ start: options.start, end: options.end }, { zone: config.timezone, now });
  const logger = loggerFor(options);
  const progress = createProgress({ tty: Boolean(process.stderr.isTTY) && options.logFormat === "text", logger });

  // A signal stops the run between two records, so the lock is released and the cookie says so.
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    const result = await withDatabase(config, async (client) => {
      // A pattern the database refuses is a usage error before anything is locked or written. The database
      // parses the pattern at once; a log without any match would be scanned whole, so the look is short.
      await collections(client, config).log.checkSignal(config.login, {
        maxTimeMS: Math.min(config.queryTimeoutMs, 5_000),
      });
      return runAggregation({
        client,
        config,
        ...dates,
        reset: options.reset,
        dryRun: options.dryRun,
        yes: options.yes,
        host: hostname(),
        pid: process.pid,
        signal: controller.signal,
        onProgress: (p) => progress.update(p),
        onNotice: (message) => logger.warn(message),
      });
    });
    progress.stop();
    report(result, options, formatNamespace(config.source));
  } finally {
    progress.stop();
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}

/** The reasons records were skipped, in words, the empty ones left out. */
export function skippedReasons(by: SkippedBy | undefined): string {
  if (!by) return "";
  return [
    by.created && `${by.created} without a valid created date`,
    by.user && `${by.user} without a usable user name`,
    by.tooLong && `${by.tooLong} with a name longer than ${MAX_NAME_LENGTH} characters`,
  ]
    .filter(Boolean)
    .join(", ");
}

function report(result: AggregationResult, options: AggregateOptions, source: string) {
  if (options.logFormat === "json") {
    // Peak memory is for operators and benchmarks: the job streams, so it should not grow with the log.
    const maxRssKb = process.resourceUsage().maxRSS;
    process.stdout.write(`${JSON.stringify({ summary: { ...result, maxRssKb } })}\n`);
    return;
  }
  const seconds = (result.elapsedMs / 1000).toFixed(1);
  if (!result.first) {
    const hint = result.noLogins;
    const lines = [`nothing to process: ${source} has no login records and no start day is configured`];
    if (hint) {
      lines.push(`  looked for: ${hint.signals.join("; ")}`);
      if (hint.messages.length) {
        lines.push(
          "  its most frequent messages (of the newest records) are:",
          ...hint.messages.map((m) => `    ${m.count} × ${m.message}`),
          "  if one of them is a login, set HOME_USAGE_LOGIN_PRESET or define the login pattern in a --config file",
        );
      } else {
        lines.push("  and it has no messages at all: is HOME_USAGE_SOURCE the core4 log?");
      }
    }
    process.stdout.write(`${lines.join("\n")}\n`);
  } else if (result.dryRun) {
    process.stdout.write(
      `dry run: would process ${plural(result.days, "day")} (${result.first} to ${result.last}), ${result.candidates} login records in range; nothing written\n`,
    );
  } else {
    const bySignal = result.signals
      .filter((s) => s.logins > 0)
      .map((s) => `${s.logins} ${printable(s.signal)}`)
      .join(", ");
    const why = skippedReasons(result.skippedBy);
    process.stdout.write(
      `aggregated ${plural(result.days, "day")} (${result.first} to ${result.last}): ${plural(result.records, "record")} read, ${plural(result.logins, "login")}${bySignal ? ` (${bySignal})` : ""}, ${result.users.toLocaleString("en-US")} distinct ${result.users === 1 ? "person" : "people"}, ${result.skipped} skipped${why ? ` (${why})` : ""}, ${result.excluded} excluded${result.forgotten ? `, ${plural(result.forgotten, "login")} of forgotten people left out` : ""}${result.refreshed ? `, ${plural(result.refreshed, "later day")} brought up to date` : ""}, ${seconds}s\n`,
    );
  }
}
