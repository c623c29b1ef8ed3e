import { connectDatabase, createLogger, HomeUsageError, type LogFormat, loadConfig, redactUri } from "@home-usage/core";
import { Command, CommanderError, Option } from "commander";
import { answerClientErrors } from "./envelope.js";
import { createServer } from "./server.js";

const program = new Command()
  .name("home-usage-api")
  .description("Serves unique users per period as JSON, CSV, HTML, text and SVG charts.")
  .version("0.1.0")
  .option("--config <file>", "a JSON or YAML configuration file")
  .option("--host <address>", "address to listen on (env HOST, default 127.0.0.1)")
  .option("--port <port>", "port to listen on (env PORT, default 5001)")
  .option("--insecure", "allow listening beyond loopback without HOME_USAGE_API_TOKENS")
  .option("--public-url <url>", "where readers reach the API, for links and embeds (env HOME_USAGE_PUBLIC_URL)")
  .option("--trust-proxy", "believe X-Forwarded-Proto/Host from a reverse proxy (env HOME_USAGE_TRUST_PROXY)")
  .option("--session-secret <key>", "signs browser sessions (env HOME_USAGE_SESSION_SECRET; default: from the tokens)")
  .option("--query-timeout-ms <ms>", "time budget of a report query (env HOME_USAGE_QUERY_TIMEOUT_MS, default 30000)")
  .option("--report-concurrency <n>", "reports computed at once (env HOME_USAGE_REPORT_CONCURRENCY, default 2)")
  .option("--report-queue <n>", "reports waiting beyond that, then 503 (env HOME_USAGE_REPORT_QUEUE, default 16)")
  .addOption(new Option("--log-format <format>", "log lines as text or json").choices(["text", "json"]).default("text"))
  .exitOverride()
  .configureOutput({ outputError: () => {} });

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

async function main() {
  program.parse(process.argv);
  const options = program.opts<{
    config?: string;
    host?: string;
    port?: string;
    insecure?: boolean;
    publicUrl?: string;
    trustProxy?: boolean;
    sessionSecret?: string;
    queryTimeoutMs?: string;
    reportConcurrency?: string;
    reportQueue?: string;
    logFormat: LogFormat;
  }>();
  const config = await loadConfig({
    file: options.config,
    env: process.env,
    flags: {
      host: options.host,
      port: options.port,
      publicUrl: options.publicUrl,
      trustProxy: options.trustProxy ? "true" : undefined,
      sessionSecret: options.sessionSecret,
      queryTimeoutMs: options.queryTimeoutMs,
      reportConcurrency: options.reportConcurrency,
      reportQueue: options.reportQueue,
    },
  });
  const logger = createLogger(options.logFormat);
  if (config.apiTokens.length === 0) {
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
  const client = await connectDatabase(config.mongodbUri, { appName: "home-usage-api" });
  const server = answerClientErrors(createServer({ client, config, logger }).listen(config.port, config.host));
  server.on("listening", () => {
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : config.port;
    logger.info(
      `home-usage-api listening on http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port} (MongoDB ${redactUri(config.mongodbUri)}, rollup ${config.target.db}.${config.target.collection})`,
    );
  });
  server.on("error", (error) => {
    process.stderr.write(`home-usage-api: cannot listen on ${config.host}:${config.port}: ${error.message}\n`);
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
