import { type ErrorCode, HomeUsageError, settingOptions } from "@home-usage/core";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { aggregate } from "./commands/aggregate.js";
import { demoData } from "./commands/demo-data.js";
import { embedUrl, plot, report } from "./commands/report.js";
import { status } from "./commands/status.js";

/** Exit codes: the one place errors become them. */
const EXIT = { ok: 0, failure: 1, usage: 2, locked: 75, interrupted: 130 } as const;

const EXIT_CODES: Record<ErrorCode, number> = {
  E_USAGE: EXIT.usage,
  E_STATE: EXIT.usage,
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
  .addOption(new Option("--log-format <format>", "log lines as text or json").choices(["text", "json"]).default("text"))
  .showHelpAfterError(false)
  .exitOverride()
  .configureOutput({ outputError: () => {} });
for (const { flag, help } of settingOptions("cli")) program.option(flag, help);

program
  .command("aggregate")
  .description("read new login records into the daily rollup, from the cookie's offset (or --start) through --end")
  .option("--start <date>", "first day: YYYY-MM-DD, an ISO date-time, today or yesterday")
  .option("--end <date>", "last day, inclusive (default: today)")
  .option("--reset", "forget the cookie and the rollup and start again from the configured start")
  .option("--dry-run", "say what would be processed and write nothing")
  .action((_options, command: Command) => aggregate(command.optsWithGlobals()));

program
  .command("status")
  .description("show the cookie, the last run, the lock and the rollup")
  .option("--json", "print JSON")
  .action((_options, command: Command) => status(command.optsWithGlobals()));

program
  .command("demo-data")
  .description(
    "write reproducible synthetic core4 log records (logins in three styles, and noise) into the source, and accounts into roles",
  )
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

range(program.command("report").description("unique users per period, from the rollup"))
  .addOption(
    new Option("--format <format>", "output format").choices(["table", "csv", "json", "markdown"]).default("table"),
  )
  .action((_options, command: Command) => report(command.optsWithGlobals()));

range(program.command("plot").description("write the chart of unique users per period as an SVG file"))
  .option("--title <text>", "title drawn on the chart")
  .option("--width <px>", "width", integer(200, 2000))
  .option("--height <px>", "height", integer(150, 1200))
  .requiredOption("--out <file.svg>", "where to write the SVG (replaced whole)")
  .action((_options, command: Command) => plot(command.optsWithGlobals()));

range(program.command("embed-url").description("print a signed chart URL that needs no API token (for wikis)"))
  .option("--title <text>", "title drawn on the chart")
  .option("--expires <duration>", "lifetime, such as 30d, 12h or 1y", "30d")
  .requiredOption("--base-url <url>", "where the API is reached, such as https://usage.example.com")
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
