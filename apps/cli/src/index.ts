import { type ErrorCode, HomeUsageError } from "@home-usage/core";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { aggregate } from "./commands/aggregate.js";
import { demoData } from "./commands/demo-data.js";
import { embedUrl, plot, report, users } from "./commands/report.js";
import { status } from "./commands/status.js";

/** Exit codes: the one place errors become them. */
const EXIT = { ok: 0, failure: 1, usage: 2, locked: 75, interrupted: 130 } as const;

const EXIT_CODES: Record<ErrorCode, number> = {
  E_USAGE: EXIT.usage,
  E_STATE: EXIT.usage,
  E_CONFLICT: EXIT.usage,
  E_LOCKED: EXIT.locked,
  E_INTERRUPTED: EXIT.interrupted,
  E_DATABASE: EXIT.failure,
  E_UNAUTHORIZED: EXIT.failure,
  E_FORBIDDEN: EXIT.failure,
};

const integer = (min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || n < min || n > max) {
    throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}.`);
  }
  return n;
};

const program = new Command()
  .name("home-usage")
  .description("Counts the distinct people who log in to a core4 system, per day, week, month, quarter and year.")
  .version("0.1.0")
  .option("--config <file>", "a JSON or YAML configuration file")
  .option("--mongodb-uri <uri>", "the MongoDB server (env MONGODB_URI)")
  .option("--source <db.collection>", "the core4 log (env HOME_USAGE_SOURCE, default core4.sys.log)")
  .option("--target <db.collection>", "the daily rollup (env HOME_USAGE_TARGET, default home.login)")
  .option("--cookies <db.collection>", "job cookies and the lock (env HOME_USAGE_COOKIES, default home.sys.cookie)")
  .option("--timezone <zone>", "IANA zone whose midnight starts a day (env HOME_USAGE_TIMEZONE, default UTC)")
  .option("--login-preset <name>", "which records are logins: seed or core4 (env HOME_USAGE_LOGIN_PRESET)")
  .option("--now <iso>", "pretend it is this instant, for tests and reproducible runs (env HOME_USAGE_NOW)")
  .addOption(new Option("--log-format <format>", "log lines as text or json").choices(["text", "json"]).default("text"))
  .showHelpAfterError(false)
  .exitOverride()
  .configureOutput({ outputError: () => {} });

program
  .command("aggregate")
  .description("read new login records into the daily rollup, from the cookie's offset (or --start) through --end")
  .option("--start <date>", "first day: YYYY-MM-DD, an ISO date-time, today or yesterday")
  .option("--end <date>", "last day, inclusive (default: today)")
  .option("--reset", "forget the cookie and the rollup and start again from the configured start")
  .option("--dry-run", "say what would be processed and write nothing")
  .option("--yes", "process a range longer than HOME_USAGE_MAX_RUN_DAYS given with --start")
  .action((_options, command: Command) => aggregate(command.optsWithGlobals()));

program
  .command("status")
  .description("show the cookie, the last run, the lock and the rollup")
  .option("--json", "print JSON")
  .action((_options, command: Command) => status(command.optsWithGlobals()));

program
  .command("demo-data")
  .description("write reproducible synthetic core4 log records (logins in both styles, and noise) into the source")
  .option("--days <n>", "days of log", integer(1, 36_600), 90)
  .option("--users <n>", "people who may log in", integer(1, 100_000), 50)
  .option("--seed <s>", "random seed", integer(0, 2 ** 31 - 1), 1)
  .option("--end <date>", "last day (UTC)", "yesterday")
  .option("--drop", "drop the source collection first")
  .action((_options, command: Command) => demoData(command.optsWithGlobals()));

const range = (command: Command) =>
  command
    .option(
      "--start <date>",
      "inclusive start: YYYY-MM-DD, an ISO date-time, today or yesterday (default: 90 days before end)",
    )
    .option("--end <date>", "exclusive end (default: now)")
    .option("--aggregate <period>", "d, w, m, q or y (or day, week, ...; default w)");

range(program.command("report").description("distinct people per period with every metric, from the rollup"))
  .option("--metric <name>", "show only this metric's columns: as plot --metric")
  .addOption(
    new Option("--format <format>", "output format").choices(["table", "csv", "json", "markdown"]).default("table"),
  )
  .action((_options, command: Command) => report(command.optsWithGlobals()));

range(program.command("users").description("everybody known to the rollup or with a core4 account, with their logins"))
  .addOption(new Option("--format <format>", "output format").choices(["table", "csv", "json"]).default("table"))
  .action((_options, command: Command) => users(command.optsWithGlobals()));

range(program.command("plot").description("write the chart of unique users per period as an SVG or PNG file"))
  .option("--title <text>", "title drawn on the chart (default: what is drawn, per period)")
  .option("--width <px>", "width, 200 to 2000 (default 800)", integer(200, 2000))
  .option("--height <px>", "height, 150 to 1200 (default 400)", integer(150, 1200))
  .option(
    "--metric <name>",
    "users (default), logins, active7, active28, new, returning, resurrected, dormant, stickiness or lifecycle",
  )
  .option("--theme <theme>", "light (default), dark, or auto (SVG only: follows the viewer's colour scheme)")
  .option("--scale <n>", "PNG pixels per unit: 1 (default) or 2")
  .requiredOption("--out <file>", "required: where to write the chart, .svg or .png (replaced whole)")
  .action((_options, command: Command) => plot(command.optsWithGlobals()));

range(
  program.command("embed-url").description("print signed chart URLs (SVG and PNG) that need no API token (for wikis)"),
)
  .option("--title <text>", "title drawn on the chart (at most 200 characters)")
  .option("--metric <name>", "what to draw, as plot --metric")
  .option("--expires <duration>", "lifetime, such as 30d, 12h or 1y; at most 10 years", "30d")
  .option("--png", "the PNG chart's URL instead of the SVG's")
  .option(
    "--base-url <url>",
    "where the API is reached, such as https://usage.example.com (default: HOME_USAGE_PUBLIC_URL)",
  )
  .action((_options, command: Command) => embedUrl(command.optsWithGlobals()));

function fail(code: number, message: string): never {
  process.stderr.write(`home-usage: ${message.replace(/\s*\n\s*/g, " ")}\n`);
  process.exit(code);
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    if (error.exitCode === 0) process.exit(EXIT.ok); // --help, --version
    fail(EXIT.usage, error.message.replace(/^error: /, ""));
  }
  if (error instanceof HomeUsageError) {
    fail(EXIT_CODES[error.code], error.message);
  }
  fail(EXIT.failure, `failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
}
