// `node bench/report-work.mjs [--days N] [--users N] [--logins-only]`: what each cold report of the
// last 90 days asks of the database, as the driver sees it (commands, documents returned, reply bytes),
// and the bytes of the summary pages. Demo data of N days (default 365) into a fresh database (with
// --logins-only: the demo's logins without its other records, which no report reads), the job, then
// each report on a client of its own, so no cache is in front: the figures must not grow with N. Run
// `pnpm build` first. Uses MONGODB_URI, else starts its own FerretDB.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createUsageService, loadConfig } from "@home-usage/core";
import { BSON, MongoClient } from "mongodb";
import { ensureBuilt, startServer } from "../tools/ferretdb/launcher.mjs";
import { databaseEnv, databaseWork, writeLoginsOnly } from "./database.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "apps", "cli", "dist", "index.js");
const option = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const days = option("days", 365);
const users = option("users", 100);
const loginsOnly = process.argv.includes("--logins-only");
const END = "2026-10-31";
const NOW = `${END}T23:45:00Z`;
const log = (line) => process.stderr.write(`report-work: ${line}\n`);

function runCli(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`home-usage ${args.join(" ")} exited ${code}: ${stderr.trim()}`)),
    );
  });
}

/** The reports of the API's routes over their default range (the last 90 days), each with its rows. */
const REPORTS = [
  ["/raw?aggregate=d", async (s, now) => ({ rows: (await s.report({ aggregate: "d" }, now)).report.rows.length })],
  ["/raw?aggregate=w", async (s, now) => ({ rows: (await s.report({ aggregate: "w" }, now)).report.rows.length })],
  ["/raw?aggregate=m", async (s, now) => ({ rows: (await s.report({ aggregate: "m" }, now)).report.rows.length })],
  ["/users", async (s, now) => ({ rows: (await s.people({}, now)).rows.length })],
  ["/groups?aggregate=w", async (s, now) => ({ rows: (await s.groups({ aggregate: "w" }, now)).report.rows.length })],
  ["/retention?cohort=m", async (s, now) => ({ rows: (await s.retention({ cohort: "m" }, now)).report.rows.length })],
];

async function main() {
  let uri = process.env.MONGODB_URI;
  let stop = async () => {};
  if (!uri) {
    ensureBuilt(log);
    const dataDir = await mkdtemp(join(tmpdir(), "home-usage-report-work-"));
    const server = await startServer({ port: 0, dataDir, logFile: join(dataDir, "ferretdb.log") });
    uri = server.uri;
    stop = async () => {
      server.child.kill("SIGTERM");
      await server.exited;
      await rm(dataDir, { recursive: true, force: true });
    };
  }
  const dbName = `hu_work_${randomBytes(3).toString("hex")}`;
  // The job's scan on a busy machine: the measure is the report's, not the job's time.
  const env = { ...databaseEnv(uri, dbName, NOW), HOME_USAGE_QUERY_TIMEOUT_MS: "600000" };
  const client = await new MongoClient(uri).connect();
  try {
    log(`${days} days x ${users} people of demo data into ${dbName}, then the job`);
    if (loginsOnly) await writeLoginsOnly(client.db(dbName), { days, users, end: END });
    else
      await runCli(["demo-data", "--days", String(days), "--users", String(users), "--seed", "1", "--end", END], env);
    await runCli(["aggregate", "--reset"], env);
    const config = await loadConfig({ env });
    const now = new Date(NOW);
    const pages = await client.db(dbName).collection("login_period").find({}).toArray();
    const weekPage = pages.find((p) => p._id === "week:2026");
    for (const [report, run] of REPORTS) {
      const work = await databaseWork(uri, (c) =>
        run(createUsageService({ client: c, config: { ...config, now } }), now),
      );
      const figures = {
        days,
        users,
        report,
        rows: work.result.rows,
        commands: work.commands,
        byCommand: work.byCommand,
        documents: work.documents,
        replyBytes: work.replyBytes,
        ms: Math.round(work.ms),
        summaryPages: pages.length,
        summaryPagesBytes: pages.reduce((sum, p) => sum + BSON.calculateObjectSize(p), 0),
        weekPage2026Bytes: weekPage ? BSON.calculateObjectSize(weekPage) : null,
      };
      process.stdout.write(`${JSON.stringify(figures)}\n`);
    }
  } finally {
    await client.db(dbName).dropDatabase();
    await client.close();
    await stop();
  }
}

main().catch((error) => {
  process.stderr.write(`report-work: ${error.stack ?? error}\n`);
  process.exitCode = 1;
});
