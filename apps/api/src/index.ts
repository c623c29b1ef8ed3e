import {
  connectDatabase,
  createLogger,
  HomeUsageError,
  type LogFormat,
  loadConfig,
  redactUri,
  type SettingKey,
  settingOptions,
} from "@home-usage/core";
import { Command, CommanderError, Option } from "commander";
import { answerClientErrors } from "./envelope.js";
import { checkSignInSettings, createServer } from "./server.js";

const program = new Command()
  .name("home-usage-api")
  .description("Serves unique users per period as JSON, CSV, HTML, text and SVG charts.")
  .version("0.1.0")
  .option("--config <file>", "a JSON or YAML configuration file")
  .option("--insecure", "allow listening beyond loopback without HOME_USAGE_API_TOKENS")
  .addOption(new Option("--log-format <format>", "log lines as text or json").choices(["text", "json"]).default("text"))
  .exitOverride()
  .configureOutput({ outputError: () => {} });
for (const { flag, help } of settingOptions("api")) program.option(flag, help);
program.addHelpText(
  "after",
  `
Examples:
  $ MONGODB_URI=mongodb://127.0.0.1:27017 home-usage-api          # http://127.0.0.1:5001/usage/login
  $ HOME_USAGE_API_TOKENS=a-token-of-16-chars-or-more home-usage-api --host 0.0.0.0 --port 8080
  $ home-usage-api --config /etc/home-usage.yaml --log-format json
`,
);

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

async function main() {
  program.parse(process.argv);
  const options = program.opts<
    Partial<Record<SettingKey, string | boolean>> & { config?: string; insecure?: boolean; logFormat: LogFormat }
  >();
  const config = await loadConfig({
    file: options.config,
    env: process.env,
    // Commander names each option after its flag, which SETTINGS names after the setting.
    flags: Object.fromEntries(settingOptions("api").map(({ key }) => [key, options[key]])),
  });
  const logger = createLogger(options.logFormat);
  checkSignInSettings(config);
  // core4 sign-in guards the API as tokens do.
  if (config.apiTokens.length === 0 && !config.core4Permission) {
    if (!LOOPBACK.test(config.host) && !options.insecure) {
      throw new HomeUsageError(
        "E_USAGE",
        `refusing to listen on ${config.host} without HOME_USAGE_API_TOKENS; set tokens, or pass --insecure`,
      );
    }
    logger.warn(
      LOOPBACK.test(config.host)
        ? "no HOME_USAGE_API_TOKENS: anyone on this machine may read the API; listening on loopback only"
        : `no HOME_USAGE_API_TOKENS and --insecure: anyone who reaches ${config.host} may read the API`,
    );
  }
  const client = await connectDatabase(config.mongodbUri, {
    appName: "home-usage-api",
    onWaiting: (message) => logger.info(message),
  });
  const server = answerClientErrors(createServer({ client, config, logger }).listen(config.port, config.host));
  server.on("listening", () => {
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : config.port;
    logger.info(
      `home-usage-api listening on http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port} (MongoDB ${redactUri(config.mongodbUri)}, rollup ${config.target.db}.${config.target.collection})`,
    );
  });
  server.on("error", (error: NodeJS.ErrnoException) => {
    // As db:start does: name a port to try instead.
    const hint =
      error.code === "EADDRINUSE"
        ? `; port ${config.port} is in use by another program: pick a free one, such as PORT=${config.port + 1} (or --port ${config.port + 1})`
        : "";
    process.stderr.write(`home-usage-api: cannot listen on ${config.host}:${config.port}: ${error.message}${hint}\n`);
    process.exit(1);
  });

  // Graceful shutdown: stop accepting, let requests in flight finish, then close the database.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: finishing requests in flight, then stopping`);
    server.close(async () => {
      await client.close();
      process.exit(0);
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((error) => {
  if (error instanceof CommanderError) {
    if (error.exitCode === 0) process.exit(0);
    process.stderr.write(`home-usage-api: ${error.message.replace(/^error: /, "").replace(/\s*\n\s*/g, " ")}\n`);
    process.exit(2);
  }
  const usage = error instanceof HomeUsageError && error.code === "E_USAGE";
  process.stderr.write(`home-usage-api: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}\n`);
  process.exit(usage ? 2 : 1);
});
