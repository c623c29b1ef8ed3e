import { CHART_SIZE, type ErrorCode, HomeUsageError, settingOptions } from "@home-usage/core";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { aggregate } from "./commands/aggregate.js";
import { demoData } from "./commands/demo-data.js";
import { digest } from "./commands/digest.js";
import { forget } from "./commands/forget.js";
import { embedUrl, plot, report, users } from "./commands/report.js";
import { retention } from "./commands/retention.js";
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
  .addOption(new Option("--log-format <format>", "log lines as text or json").choices(["text", "json"]).default("text"))
  .showHelpAfterError(false)
  .exitOverride()
  .configureOutput({ outputError: () => {} })
  // A command's help lists its own options; the shared settings are in `home-usage --help`, once.
  .configureHelp({ showGlobalOptions: false, sortSubcommands: false });
for (const { flag, help } of settingOptions("cli")) program.option(flag, help);
program.addHelpText(
  "after",
  examples(
    [
      "MONGODB_URI=mongodb://core4-db:27017 home-usage aggregate        # from the checkpoint through today",
      "home-usage status",
      "home-usage report --aggregate m --format csv",
    ],
    false,
  ),
);

/** The examples that end a command's help, after a pointer to the shared options (a command's help has only its own). */
function examples(lines: string[], shared = true): string {
  const pointer = shared
    ? "\nShared options (the database, collections, time zone, --config, --log-format, ...): home-usage --help\n"
    : "";
  return `${pointer}\nExamples:\n${lines.map((line) => `  $ ${line}`).join("\n")}\n`;
}

program
  .command("aggregate")
  .description(
    "read new login records into the daily rollup, from the checkpoint (or --start) through --end; both days are included",
  )
  .option("--start <date>", "first day, included: YYYY-MM-DD, an ISO date-time, today or yesterday")
  .option("--end <date>", "last day, included (inclusive; default: today)")
  .option("--reset", "forget the checkpoint and the rollup and start again from HOME_USAGE_START or the oldest login")
  .option("--dry-run", "say what would be processed and write nothing")
  .option("--yes", "process a range longer than HOME_USAGE_MAX_RUN_DAYS given with --start")
  .addHelpText(
    "after",
    examples([
      "home-usage aggregate",
      "home-usage aggregate --start 2026-01-01 --end 2026-06-30   # both days included",
      "home-usage aggregate --reset --log-format json              # rebuild, JSON lines for cron",
    ]),
  )
  .action((_options, command: Command) => aggregate(command.optsWithGlobals()));

program
  .command("digest")
  .description(
    "send the last complete week's or month's figures and chart to chat services and e-mail, once per period and target (for cron, after aggregate)",
  )
  .addOption(
    new Option("--period <period>", "required: the last complete week or month")
      .choices(["week", "month"])
      .makeOptionMandatory(),
  )
  .option(
    "--to <target...>",
    "where to: slack:URL, mattermost:URL, teams:URL (incoming webhooks) or mailto:ADDRESS (via HOME_USAGE_SMTP_URL)",
  )
  .option("--force", "send again to targets that already have this period's digest")
  .option("--dry-run", "print each message as it would be sent; send nothing, remember nothing")
  .option("--out <dir>", "with --dry-run: write the mail as an HTML file, with its chart, into this directory")
  .addHelpText(
    "after",
    examples([
      "home-usage digest --period week --to slack:https://hooks.slack.com/services/T0/B0/XXXX mailto:team@example.com",
      "home-usage digest --period month --to teams:https://prod.westeurope.logic.azure.com/workflows/... --force",
      "home-usage digest --period week --to mailto:team@example.com --dry-run --out /tmp/digest",
    ]),
  )
  .action((_options, command: Command) => digest(command.optsWithGlobals()));

program
  .command("status")
  .description("show the checkpoint, the last run, the lock and the rollup")
  .option("--json", "print JSON")
  .addHelpText("after", examples(["home-usage status", "home-usage status --json"]))
  .action((_options, command: Command) => status(command.optsWithGlobals()));

program
  .command("forget")
  .description(
    "erase people from the rollup as if their logins had never been read; the rollup keeps only their keyed pseudonyms, so no later run counts them again (needs HOME_USAGE_PSEUDONYM_SECRET; core4's sys.log is not touched)",
  )
  .argument("<name...>", "the people's names, as the log writes them")
  .addHelpText(
    "after",
    examples([
      "HOME_USAGE_PSEUDONYM_SECRET=... home-usage forget anna.schmidt",
      "home-usage forget anna.schmidt bernd.kraus",
    ]),
  )
  .action((names: string[], _options, command: Command) => forget(names, command.optsWithGlobals()));

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
  .addHelpText(
    "after",
    examples([
      "home-usage demo-data --days 120 --users 100 --drop",
      "HOME_USAGE_SOURCE=demo.sys.log HOME_USAGE_ROLES=demo.sys.role home-usage demo-data --seed 2",
    ]),
  )
  .action((_options, command: Command) => demoData(command.optsWithGlobals()));

const range = (command: Command) =>
  command
    .option(
      "--start <date>",
      "inclusive start: YYYY-MM-DD, an ISO date-time, today or yesterday (default: the start of the period holding the day 90 days before end)",
    )
    .option("--end <date>", "end, exclusive: the first instant not counted (default: now)")
    .option("--aggregate <period>", "d, w, m, q or y (or day, week, ...; default w)");

range(program.command("report").description("distinct people per period with every metric, from the rollup"))
  .option("--metric <name>", "show only this metric's columns: as plot --metric")
  .addOption(
    new Option("--by <what>", "period: every metric (default); group: distinct people per core4 group").choices([
      "period",
      "group",
    ]),
  )
  .addOption(
    new Option("--format <format>", "output format").choices(["table", "csv", "json", "markdown"]).default("table"),
  )
  .addHelpText(
    "after",
    examples([
      "home-usage report --aggregate m",
      "home-usage report --by group --aggregate w          # distinct people per core4 group and week",
      "home-usage report --start 2026-01-01 --end 2026-07-01 --aggregate w --format csv   # all of June 30 counted",
    ]),
  )
  .action((_options, command: Command) => report(command.optsWithGlobals()));

range(program.command("users").description("everybody known to the rollup or with a core4 account, with their logins"))
  .addOption(new Option("--format <format>", "output format").choices(["table", "csv", "json"]).default("table"))
  .addHelpText(
    "after",
    examples([
      "home-usage users                                   # the last 90 days",
      "home-usage users --start 2026-01-01 --format csv    # who came this year, and who never did",
    ]),
  )
  .action((_options, command: Command) => users(command.optsWithGlobals()));

program
  .command("retention")
  .description("first-time cohorts: of the people who first came in each week or month, the share who came back later")
  .option("--cohort <period>", "week or month (or w, m; default week)")
  .option(
    "--start <date>",
    "the cohorts shown are those whose period starts in [start, end): YYYY-MM-DD, an ISO date-time, today (default: 12 cohorts back)",
  )
  .option("--end <date>", "end, exclusive (default: now)")
  // The global --periods (the summaries collection) takes this flag's value wherever it stands; the
  // command reads it from there, and says so in its help.
  .option("--periods <n>", "periods after each cohort's, 1 to 52 (default 12); here not the summaries collection")
  .addOption(
    new Option("--format <format>", "output format").choices(["table", "csv", "json", "markdown"]).default("table"),
  )
  .addHelpText(
    "after",
    examples([
      "home-usage retention --cohort month                       # the last 12 months, 12 months on",
      "home-usage retention --cohort week --periods 8 --start 2026-09-01 --format csv",
    ]),
  )
  .action((_options, command: Command) => retention(command.optsWithGlobals()));

range(
  program
    .command("plot")
    .description("write the chart of distinct people per period as an SVG or PNG file (--out is required)"),
)
  .option("--title <text>", "title drawn on the chart (default: what is drawn, per period)")
  .option(
    "--width <px>",
    `width in pixels, ${CHART_SIZE.width.min} to ${CHART_SIZE.width.max} (default ${CHART_SIZE.width.default})`,
    integer(CHART_SIZE.width.min, CHART_SIZE.width.max),
  )
  .option(
    "--height <px>",
    `height in pixels, ${CHART_SIZE.height.min} to ${CHART_SIZE.height.max} (default ${CHART_SIZE.height.default})`,
    integer(CHART_SIZE.height.min, CHART_SIZE.height.max),
  )
  .option(
    "--metric <name>",
    "users (default), logins, active7, active28, new, returning, resurrected, dormant, stickiness, lifecycle or groups",
  )
  .option("--theme <theme>", "light (default), dark, or auto (SVG only: follows the viewer's colour scheme)")
  .option("--scale <n>", "PNG pixels per unit: 1 (default) or 2")
  .requiredOption(
    "--out <file>",
    "required: where to write the chart, .svg or .png (replaced whole; its directory must exist)",
  )
  .addHelpText(
    "after",
    examples([
      'home-usage plot --aggregate w --title "Weekly users" --out /srv/wiki/files/usage.svg',
      "home-usage plot --aggregate m --metric lifecycle --scale 2 --out usage.png",
    ]),
  )
  .action((_options, command: Command) => plot(command.optsWithGlobals()));

range(
  program
    .command("embed-url")
    .description("print a signed chart URL (SVG, or PNG with --png) that needs no API token (for wikis)"),
)
  .option("--title <text>", "title drawn on the chart (at most 200 characters)")
  .option("--metric <name>", "what to draw, as plot --metric")
  .option("--expires <duration>", "lifetime, such as 30d, 12h or 1y; at most 10 years", "30d")
  .option("--png", "the PNG chart's URL instead of the SVG's")
  .option("--retention", "the retention heatmap's URL instead, with --cohort and --periods as retention takes them")
  .option("--cohort <period>", "with --retention: week or month (default week)")
  .option(
    "--base-url <url>",
    "where the API is reached, such as https://usage.example.com (default: HOME_USAGE_PUBLIC_URL)",
  )
  .addHelpText(
    "after",
    examples([
      'HOME_USAGE_EMBED_SECRET=... home-usage embed-url --aggregate m --title "Monthly users" --expires 90d --base-url https://usage.example.com',
      "home-usage embed-url --start 2026-01-01 --end 2026-07-01 --aggregate w --png   # a fixed range, as PNG",
    ]),
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
