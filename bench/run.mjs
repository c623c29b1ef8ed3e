// `pnpm bench [--size S|M|L]`: demo data into a fresh database, then the job, the cursor drain it is
// bounded by, an incremental run, the API's latency and a load test. Prints a table and writes
// bench/results/<size>.json. Run `pnpm build` first. Uses MONGODB_URI, else starts its own FerretDB.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { collections, compileLoginSignal, createUsageService, loadConfig, renderChart } from "@home-usage/core";
import autocannon from "autocannon";
import { BSON, MongoClient } from "mongodb";
import { ensureBuilt, startServer } from "../tools/ferretdb/launcher.mjs";
import { chartBurst } from "./chart-burst.mjs";
import { databaseEnv, databaseWork, writeLoginsOnly } from "./database.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "apps", "cli", "dist", "index.js");
const api = join(root, "apps", "api", "dist", "index.js");

/**
 * Sizes: S a quarter of log, M a year, L ten years, all of 100 people; P a quarter of 20,000 people whose
 * log holds their logins only (no other records), so that it is the people, not the log, that grow.
 */
const SIZES = {
  S: { days: 90, users: 100, runs: 3, incremental: 3, apiRepeats: 7 },
  M: { days: 365, users: 100, runs: 3, incremental: 3, apiRepeats: 5 },
  L: { days: 3650, users: 100, runs: 1, incremental: 1, apiRepeats: 3 },
  // P's people list reads 20,000 people's documents in parts; FerretDB finds each part by reading the
  // table, so the API's 30 s budget is raised to let the bench measure what it costs.
  P: { days: 90, users: 20_000, runs: 1, incremental: 1, apiRepeats: 3, loginsOnly: true, queryTimeoutMs: 600_000 },
};

const size = (() => {
  const i = process.argv.indexOf("--size");
  const value = i >= 0 ? process.argv[i + 1] : "S";
  if (!SIZES[value]) {
    console.error(`bench: --size must be S, M, L or P, not ${value}`);
    process.exit(2);
  }
  return value;
})();
const plan = SIZES[size];
const END = "2026-10-31"; // the last demo day: fixed, so every run sees the same data
const NOW = "2026-11-01T12:00:00Z";

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)];
const log = (line) => process.stderr.write(`bench: ${line}\n`);

/** Every process the bench starts, so that a bench stopped by hand stops them too. */
const children = new Set();
function track(child) {
  children.add(child);
  child.on("close", () => children.delete(child));
  return child;
}

function runCli(args, env) {
  return new Promise((resolve, reject) => {
    const began = performance.now();
    const child = track(
      spawn(process.execPath, [cli, ...args, "--log-format", "json"], {
        env,
        stdio: ["ignore", "pipe", "pipe"],
      }),
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("close", (code) => {
      const ms = performance.now() - began;
      if (code !== 0)
        reject(new Error(`home-usage ${args.join(" ")} exited ${code}: ${stderr.trim().split("\n").at(-1)}`));
      else resolve({ ms, stdout, stderr });
    });
  });
}

async function main() {
  let uri = process.env.MONGODB_URI;
  let server = null;
  let dataDir = null;
  if (!uri) {
    ensureBuilt(log);
    dataDir = await mkdtemp(join(tmpdir(), "home-usage-bench-"));
    server = await startServer({ port: 0, dataDir, logFile: join(dataDir, "ferretdb.log") });
    uri = server.uri;
    stopServer = async () => {
      server.child.kill("SIGTERM");
      await server.exited;
      await rm(dataDir, { recursive: true, force: true });
    };
  }
  const dbName = `hu_bench_${size}_${randomBytes(3).toString("hex")}`;
  const env = {
    ...databaseEnv(uri, dbName, NOW),
    ...(plan.queryTimeoutMs ? { HOME_USAGE_QUERY_TIMEOUT_MS: String(plan.queryTimeoutMs) } : {}),
  };
  const client = await new MongoClient(uri).connect();
  const db = client.db(dbName);
  const results = {
    size,
    machine: {
      cores: cpus().length,
      cpu: cpus()[0]?.model,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
    },
    database: process.env.MONGODB_URI ? "MONGODB_URI" : "bundled FerretDB v1.24.2 (SQLite)",
    data: {},
    job: {},
    drain: {},
    incremental: {},
    api: [],
    users: [],
    retention: {},
    groups: {},
    burst: {},
    load: {},
  };
  // Saved after every step, so a step that fails (or a bench stopped by hand) keeps what was measured.
  const save = () => writeFile(join(root, "bench", "results", `${size}.json`), `${JSON.stringify(results, null, 2)}\n`);
  try {
    // The log.
    log(`writing ${plan.days} days x ${plan.users} people of demo data into ${dbName}`);
    const demo = await writeLog(db, plan, env);
    // Counted by the writer: a count over the whole log is a full decode on FerretDB, minutes at L.
    const records = demo.records;
    results.data = {
      days: plan.days,
      people: plan.users,
      records,
      insertSeconds: demo.ms / 1000,
      insertPerSecond: records / (demo.ms / 1000),
    };
    log(`${records} records in ${(demo.ms / 1000).toFixed(1)} s`);

    // 1. The job over the whole range, and 2. the bare cursor drain of the same filter and projection.
    const config = await loadConfig({ env });
    const matcher = compileLoginSignal(config.login);
    const jobRuns = [];
    const drainRuns = [];
    let summary;
    let lastDrain;
    for (let i = 0; i < plan.runs; i++) {
      const job = await runCli(["aggregate", "--reset"], env);
      summary = JSON.parse(job.stdout.trim().split("\n").at(-1)).summary;
      jobRuns.push({ ms: job.ms, maxRssKb: summary.maxRssKb });
      log(
        `job ${i + 1}/${plan.runs}: ${(job.ms / 1000).toFixed(1)} s, ${summary.records} login records, peak ${Math.round(summary.maxRssKb / 1024)} MiB`,
      );
      lastDrain = await drain(db, matcher, {
        $lt: new Date(new Date(`${END}T00:00:00Z`).getTime() + 2 * 86_400_000),
      });
      const { ms: drainMs, drained } = lastDrain;
      drainRuns.push(drainMs);
      log(`drain ${i + 1}/${plan.runs}: ${(drainMs / 1000).toFixed(1)} s, ${drained} records`);
      if (drained !== summary.records) throw new Error(`the drain read ${drained} records, the job ${summary.records}`);
    }
    const jobMs = median(jobRuns.map((r) => r.ms));
    results.job = {
      runs: jobRuns,
      medianSeconds: jobMs / 1000,
      days: summary.days,
      loginRecords: summary.records,
      logins: summary.logins,
      users: summary.users,
      logRecordsPerSecond: records / (jobMs / 1000),
      loginsPerSecond: summary.logins / (jobMs / 1000),
      peakRssMiB: Math.max(...jobRuns.map((r) => r.maxRssKb)) / 1024,
      secondsPerMillionLogRecords: jobMs / 1000 / (records / 1e6),
    };
    results.drain = {
      runs: drainRuns,
      medianSeconds: median(drainRuns) / 1000,
      jobOverDrain: jobMs / median(drainRuns),
      drainOverJob: median(drainRuns) / jobMs,
    };

    results.largestDocument = await largestDocument(db);
    results.largestDocumentBytes = results.largestDocument.bytes;
    log(
      `largest document: ${results.largestDocument.collection} ${results.largestDocument.id}, ${results.largestDocumentBytes} bytes, ${results.largestDocument.people} people`,
    );

    // The rollup must hold what the log says: the drain's own count of people's logins (the same records,
    // counted here without the job's code) must equal the job's.
    if (summary.logins !== lastDrain.people)
      throw new Error(`the job counted ${summary.logins} logins, the drain ${lastDrain.people}`);

    await save();
    // 3. Incremental: one more day appended, then the job again (the daily cron case), beside the drain
    // of the same query (from the checkpoint's day on): what is the database's scan and what is ours.
    const incrementalRuns = [];
    const incrementalDrains = [];
    let lastDay = END;
    for (let i = 1; i <= plan.incremental; i++) {
      const day = new Date(new Date(`${END}T00:00:00Z`).getTime() + i * 86_400_000).toISOString().slice(0, 10);
      lastDay = day;
      // The log only: the accounts were written with it (rewriting 20,000 of them is no part of a day).
      await writeLog(db, { ...plan, days: 1, accounts: false }, { ...env, HOME_USAGE_NOW: `${day}T23:00:00Z` }, day);
      const offset = (await collections(client, config).cookies.read())?.offset;
      const run = await runCli(["aggregate"], { ...env, HOME_USAGE_NOW: `${day}T23:30:00Z` });
      const s = JSON.parse(run.stdout.trim().split("\n").at(-1)).summary;
      const d = await drain(db, matcher, {
        $gte: offset,
        $lt: new Date(new Date(`${day}T00:00:00Z`).getTime() + 86_400_000),
      });
      if (d.drained !== s.records)
        throw new Error(`incremental: the drain read ${d.drained} records, the job ${s.records}`);
      incrementalRuns.push(run.ms);
      incrementalDrains.push(d.ms);
      log(
        `incremental ${day}: ${(run.ms / 1000).toFixed(1)} s (drain ${(d.ms / 1000).toFixed(1)} s), ${s.days} days, ${s.records} login records`,
      );
    }
    results.incremental = {
      runs: incrementalRuns,
      drains: incrementalDrains,
      medianSeconds: median(incrementalRuns) / 1000,
      drainMedianSeconds: median(incrementalDrains) / 1000,
    };

    await save();
    // 4. The API: latency of /raw and /plot, and where the time goes.
    // "Now" is late on the last day the job processed, as when a cron job has just run.
    const apiNow = `${lastDay}T23:45:00Z`;
    const apiEnv = { ...env, HOME_USAGE_NOW: apiNow };
    const apiProcess = track(
      spawn(process.execPath, [api, "--port", "0", "--log-format", "json"], {
        env: apiEnv,
        stdio: ["ignore", "ignore", "pipe"],
      }),
    );
    const base = await new Promise((resolve, reject) => {
      let text = "";
      apiProcess.stderr.on("data", (d) => {
        text += d;
        const url = /listening on (http:\/\/[\d.:]+)/.exec(text)?.[1];
        if (url) resolve(url);
      });
      apiProcess.on("close", () => reject(new Error(text)));
    });
    try {
      const now = new Date(apiNow);
      const usage = createUsageService({ client, config: { ...config, now } });
      const first = new Date(new Date(`${END}T00:00:00Z`).getTime() - (plan.days - 1) * 86_400_000);
      const dayLogins = await rollupDayLogins(db);
      const ranges = { "90 days": "", whole: first.toISOString().slice(0, 10) };
      for (const [range, start] of Object.entries(ranges)) {
        for (const aggregate of ["d", "w", "m"]) {
          const args = { aggregate, ...(start ? { start } : {}) };
          const query = new URLSearchParams(args).toString();
          const row = { range, aggregate };
          // The first request computes (cold); the API caches until the job writes, so repeats are warm.
          for (const route of ["raw", "plot"]) {
            const times = [];
            let rows;
            for (let i = 0; i < plan.apiRepeats; i++) {
              const began = performance.now();
              const res = await fetch(`${base}/usage/login/${route}?${query}`);
              const body = await res.text();
              times.push(performance.now() - began);
              if (res.status !== 200) throw new Error(`${route}?${query} answered ${res.status}: ${body}`);
              if (route === "raw") rows = JSON.parse(body).data;
            }
            row[route] = { coldMs: times[0], warmMedianMs: median(times.slice(1)), warmP95Ms: p95(times.slice(1)) };
            if (rows) {
              row.periods = rows.length;
              const logins = rows.reduce((sum, r) => sum + r.logins, 0);
              const { query: q } = await usage.report(args, now);
              const expected = [...dayLogins]
                .filter(([d]) => d >= q.start.toISODate() && d < q.end.toISO())
                .reduce((sum, [, n]) => sum + n, 0);
              if (logins !== expected) {
                throw new Error(`${query}: the periods' ${logins} logins are not the rollup's days' ${expected}`);
              }
              for (const r of rows) {
                if (r.new + r.returning + r.resurrected !== r.user)
                  throw new Error(`${query}: ${r.period} does not add up`);
              }
            }
          }
          // Where the time goes, uncached: the database reads against rendering, measured in this process.
          const dbTimes = [];
          const renderTimes = [];
          const { query: parsed } = await usage.report(args, now);
          await renderChart([], { aggregate: parsed.aggregate }); // loads Plot and jsdom outside the timing
          for (let i = 0; i < Math.min(3, plan.apiRepeats); i++) {
            const { report } = await usage.report(args, now);
            dbTimes.push(report.databaseMs);
            const began = performance.now();
            await renderChart(report.rows, { aggregate: parsed.aggregate });
            renderTimes.push(performance.now() - began);
          }
          const work = await databaseWork(uri, (client) =>
            createUsageService({ client, config: { ...config, now } }).report(args, now),
          );
          row.database = { commands: work.commands, documents: work.documents, replyBytes: work.replyBytes };
          row.databaseMs = median(dbTimes);
          row.renderMs = median(renderTimes);
          row.databaseShare = row.databaseMs / (row.databaseMs + row.renderMs);
          results.api.push(row);
          log(
            `api ${range} ${aggregate}: ${row.periods} periods, raw cold ${row.raw.coldMs.toFixed(0)} ms warm ${row.raw.warmMedianMs.toFixed(0)} ms, plot cold ${row.plot.coldMs.toFixed(0)} ms warm ${row.plot.warmMedianMs.toFixed(0)} ms; db ${row.databaseMs.toFixed(0)} ms, render ${row.renderMs.toFixed(0)} ms`,
          );
        }
      }

      await save();
      // 4b. Retention: a cold 12 x 12 monthly retention (12 monthly cohorts, the 12 months after each), over
      // the API, and in this process with the driver's own count of what it asked for.
      results.retention = await retention(base, uri, { ...config, now: new Date(apiNow) }, plan.apiRepeats);
      log(
        `api retention 12 x 12 months: ${results.retention.rows} rows, cold ${results.retention.coldMs.toFixed(0)} ms, warm ${results.retention.warmMedianMs.toFixed(0)} ms, plot cold ${results.retention.plotColdMs.toFixed(0)} ms; ${results.retention.finds} look-ups by _id (${results.retention.distinct} distinct, ${results.retention.documents} documents), ${results.retention.logReads} reads of the log`,
      );

      await save();
      // 5. Who: /usage/login/users for the last 90 days and the whole range: its first page (JSON), cold and
      // warm, and everyone as CSV; then, uncached in this process, what the list asks of the database.
      for (const [range, start] of Object.entries(ranges)) {
        const query = start ? `?start=${start}` : "";
        const times = [];
        let pageRows = 0;
        for (let i = 0; i < plan.apiRepeats; i++) {
          const began = performance.now();
          const res = await fetch(`${base}/usage/login/users${query}`);
          const body = await res.text();
          times.push(performance.now() - began);
          if (res.status !== 200) throw new Error(`users${query} answered ${res.status}: ${body}`);
          pageRows = JSON.parse(body).data.length;
        }
        const csvBegan = performance.now();
        const csv = await fetch(`${base}/usage/login/users${query}${query ? "&" : "?"}content_type=csv`);
        const csvBody = await csv.text();
        const csvMs = performance.now() - csvBegan;
        if (csv.status !== 200) throw new Error(`users${query} as CSV answered ${csv.status}: ${csvBody}`);
        const people = csvBody.trimEnd().split("\n").length - 1;
        const args = start ? { start } : {};
        const work = await databaseWork(uri, (client) =>
          createUsageService({ client, config: { ...config, now } }).people(args, now),
        );
        if (work.result.rows.length !== people)
          throw new Error(`users${query}: the CSV lists ${people} people, the list ${work.result.rows.length}`);
        const database = { commands: work.commands, documents: work.documents, replyBytes: work.replyBytes };
        const warmMedianMs = median(times.slice(1));
        results.users.push({ range, people, pageRows, coldMs: times[0], warmMedianMs, csvMs, database });
        log(
          `api users ${range}: ${people} people (${pageRows} on the first page), cold ${times[0].toFixed(0)} ms, warm ${warmMedianMs.toFixed(0)} ms, CSV ${csvMs.toFixed(0)} ms; ${database.commands} database commands, ${database.documents} documents, ${(database.replyBytes / 1024).toFixed(0)} KiB`,
        );
      }

      await save();
      // 5b. Which teams: a cold 90-day weekly groups report over the API (the people of each week and
      // sys.role), then warm; and, in this process, what it asks of the database as the driver sees it.
      results.groups = await groupsReport(base, uri, config, now, plan.apiRepeats);
      log(
        `api groups 90 days, w: ${results.groups.rows} rows, cold ${results.groups.coldMs.toFixed(0)} ms, warm ${results.groups.warmMedianMs.toFixed(0)} ms; ${results.groups.commands} database commands, ${results.groups.documents} documents, ${(results.groups.replyBytes / 1024).toFixed(0)} KiB`,
      );

      await save();
      // 6. A burst: 50 concurrent cold requests over the longest range allowed (20 years), all metrics, by
      // day; meanwhile /healthz is polled. The API may shed load with 503 + Retry-After, nothing else.
      results.burst = await burst(base, apiProcess.pid, apiNow);
      log(
        `burst: ${results.burst.requests} requests in ${(results.burst.ms / 1000).toFixed(1)} s, statuses ${JSON.stringify(results.burst.statuses)}, healthz p99 ${results.burst.healthzP99Ms.toFixed(0)} ms, API peak ${results.burst.peakRssMiB.toFixed(0)} MiB`,
      );
      if (results.burst.bad5xx)
        throw new Error(`burst: ${results.burst.bad5xx} answers were 5xx other than 503 with Retry-After`);
      await save();
      // 6b. A burst of heavy charts: 200 PNGs of 2000 x 1200 at 2x, /healthz polled, memory at the peak and idle.
      results.chartBurst = await chartBurst(base, apiProcess.pid, new Date(apiNow));
      log(
        `chart burst: ${results.chartBurst.requests} PNGs in ${(results.chartBurst.ms / 1000).toFixed(1)} s, statuses ${JSON.stringify(results.chartBurst.statuses)}, healthz p99 ${results.chartBurst.healthzP99Ms.toFixed(0)} ms, API peak ${results.chartBurst.peakRssMiB.toFixed(0)} MiB, idle ${results.chartBurst.idle10sRssMiB.toFixed(0)} MiB after 10 s, ${results.chartBurst.idleRssMiB.toFixed(0)} MiB after 30 s`,
      );
      if (results.chartBurst.bad5xx)
        throw new Error(`chart burst: ${results.chartBurst.bad5xx} answers were 5xx other than 503 with Retry-After`);

      await save();
      // 7. Load: 30 s at 50 connections on the wiki's URL.
      log("load: 30 s at 50 connections on /usage/login/plot.svg");
      const load = await autocannon({
        url: `${base}/usage/login/plot.svg`,
        connections: 50,
        duration: 30,
        timeout: 120,
      });
      results.load = {
        requests: load.requests.total,
        requestsPerSecond: load.requests.average,
        latencyP50Ms: load.latency.p50,
        latencyP99Ms: load.latency.p99,
        errors: load.errors,
        timeouts: load.timeouts,
        non2xx: load.non2xx,
      };
      if (load.errors || load.timeouts || load.non2xx)
        throw new Error(`load: ${load.errors} errors, ${load.timeouts} timeouts, ${load.non2xx} non-2xx`);
    } finally {
      apiProcess.kill("SIGTERM");
    }
  } catch (error) {
    results.error = error.message;
    await save();
    throw error;
  } finally {
    await db.dropDatabase().catch(() => {});
    await client.close();
    await stopServer();
  }

  await save();
  print(results);
}

/**
 * The cold 12 x 12 monthly retention: the API's first answer (cold) and its repeats (warm), the heatmap's
 * first drawing, and, in this process on a client of its own, every command the driver sends: one find by
 * `_id` per period shown that the rollup can hold, each period once, and nothing on the log.
 */
async function retention(base, uri, config, repeats) {
  // The 12 months whose 12 months after have all begun: cohorts from 24 months back to 12 months back.
  const month = new Date(Date.UTC(config.now.getUTCFullYear(), config.now.getUTCMonth(), 1));
  const back = (n) => new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() - n, 1)).toISOString().slice(0, 10);
  const args = { cohort: "m", periods: 12, start: back(24), end: back(12) };
  const query = new URLSearchParams(args).toString();
  const times = [];
  let rows;
  for (let i = 0; i < repeats; i++) {
    const began = performance.now();
    const res = await fetch(`${base}/usage/login/retention?${query}`);
    const body = await res.text();
    times.push(performance.now() - began);
    if (res.status !== 200) throw new Error(`retention?${query} answered ${res.status}: ${body}`);
    rows = JSON.parse(body).data;
  }
  const began = performance.now();
  const plot = await fetch(`${base}/usage/login/retention/plot.svg?${query}`);
  const plotColdMs = performance.now() - began;
  if (plot.status !== 200) throw new Error(`retention/plot.svg answered ${plot.status}: ${await plot.text()}`);
  await plot.text();
  for (const r of rows) {
    if (r.active > r.size || (r.k === 0 && r.active !== r.size))
      throw new Error(`retention: ${r.cohort} k=${r.k} is off`);
  }

  const monitored = await new MongoClient(uri, { monitorCommands: true }).connect();
  const started = [];
  let documents = 0;
  monitored.on("commandStarted", (e) => started.push(e));
  monitored.on("commandSucceeded", (e) => {
    documents += e.reply?.cursor?.firstBatch?.length ?? 0;
  });
  try {
    const { report } = await createUsageService({ client: monitored, config }).retention(args, config.now);
    const finds = started.filter((e) => e.commandName === "find" && e.command.find === config.target.collection);
    const ids = finds.map((e) => e.command.filter?._id);
    const logReads = started.filter((e) => e.command[e.commandName] === config.source.collection).length;
    if (new Set(ids).size !== ids.length) throw new Error(`retention: a period was looked up twice: ${ids}`);
    // A period of more than 10,000 people is its document and its further parts (`2026-08/2`).
    const periods = ids.filter((id) => !String(id).includes("/"));
    if (periods.length !== report.lookups)
      throw new Error(`retention: ${periods.length} periods looked up, ${report.lookups} counted`);
    return {
      query,
      cohorts: report.cohorts.length,
      periods: 12,
      rows: rows.length,
      coldMs: times[0],
      warmMedianMs: median(times.slice(1)),
      plotColdMs,
      finds: ids.length,
      partFinds: ids.length - periods.length,
      distinct: new Set(ids).size,
      documents,
      logReads,
      databaseMs: report.databaseMs,
    };
  } finally {
    await monitored.close();
  }
}

/** 50 concurrent cold requests over 20 years by day, with /healthz polled throughout. */
async function burst(base, pid, now) {
  const end = new Date(now);
  const requests = Array.from({ length: 50 }, (_, k) => {
    const start = new Date(Date.UTC(end.getUTCFullYear() - 20, end.getUTCMonth(), end.getUTCDate() + 1 + k));
    return `${base}/usage/login/raw?aggregate=d&start=${start.toISOString().slice(0, 10)}`;
  });
  const statuses = {};
  let bad5xx = 0;
  const healthz = [];
  let polling = true;
  const poll = (async () => {
    while (polling) {
      const began = performance.now();
      await fetch(`${base}/healthz`).then((r) => r.text());
      healthz.push(performance.now() - began);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const began = performance.now();
  await Promise.all(
    requests.map(async (url) => {
      const res = await fetch(url);
      await res.text();
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      if (res.status >= 500 && !(res.status === 503 && res.headers.get("retry-after"))) bad5xx++;
    }),
  );
  const ms = performance.now() - began;
  polling = false;
  await poll;
  const status = await import("node:fs/promises").then((fs) => fs.readFile(`/proc/${pid}/status`, "utf8"));
  const peakKb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return {
    requests: requests.length,
    ms,
    statuses,
    bad5xx,
    healthzP99Ms: p99(healthz),
    healthzPolls: healthz.length,
    peakRssMiB: peakKb / 1024,
  };
}

const p99 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.99) - 1)];

/** The logins of every processed day, straight from the rollup's day documents. */
async function rollupDayLogins(db) {
  const days = await db
    .collection("login")
    .find({ kind: "day", of: { $exists: false } }, { projection: { logins: 1 } })
    .toArray();
  return new Map(days.map((d) => [d._id, d.logins]));
}

/**
 * The demo log and core4's accounts for `plan`, ending on `end`: the CLI's demo-data, or, for a size of
 * logins only, the demo's own writer without its other records (the same people, days and seed).
 */
async function writeLog(db, plan, env, end = END) {
  const began = performance.now();
  if (!plan.loginsOnly) {
    const args = ["demo-data", "--days", String(plan.days), "--users", String(plan.users), "--seed", "1", "--end", end];
    const { stdout } = await runCli(args, env);
    return { records: Number(/(\d+) records written/.exec(stdout)?.[1] ?? Number.NaN), ms: performance.now() - began };
  }
  const records = await writeLoginsOnly(db, { days: plan.days, users: plan.users, end, accounts: plan.accounts });
  return { records, ms: performance.now() - began };
}

/**
 * The largest document home-usage wrote (every collection but core4's), by its BSON size, and how many
 * people it lists: MongoDB refuses a document over 16 MB.
 */
async function largestDocument(db) {
  let largest = { collection: null, id: null, bytes: 0, people: 0 };
  for (const { name } of await db.listCollections({}, { nameOnly: true }).toArray()) {
    if (name.startsWith("sys.")) continue;
    for await (const doc of db.collection(name).find({})) {
      const bytes = BSON.calculateObjectSize(doc);
      if (bytes > largest.bytes)
        largest = {
          collection: name,
          id: String(doc._id),
          bytes,
          people: Array.isArray(doc.users) ? doc.users.length : 0,
        };
    }
  }
  return largest;
}

/** A bare cursor over the job's filter and projection, drained and dropped: what the database costs. */
async function drain(db, matcher, created) {
  const began = performance.now();
  let drained = 0;
  let people = 0;
  const cursor = db
    .collection("sys.log")
    .find({ ...matcher.filter, created }, { projection: matcher.projection })
    .sort({ created: 1 })
    .batchSize(10_000);
  for await (const record of cursor) {
    drained++;
    // People's logins, by the login signal's own matcher (the job's grouping and rollup are not involved).
    const hit = matcher.match(record);
    if (hit && !matcher.excludes(hit.user)) people++;
  }
  return { ms: performance.now() - began, drained, people };
}

/**
 * The 90-day weekly groups report: cold and warm over the API, each group's people checked against the
 * week's distinct people of /raw; then, uncached in this process, the database commands it sends, the
 * documents and bytes they return (the driver's command monitoring).
 */
async function groupsReport(base, uri, config, now, repeats) {
  const times = [];
  let rows;
  for (let i = 0; i < repeats; i++) {
    const began = performance.now();
    const res = await fetch(`${base}/usage/login/groups?aggregate=w`);
    const body = await res.text();
    times.push(performance.now() - began);
    if (res.status !== 200) throw new Error(`groups answered ${res.status}: ${body}`);
    rows = JSON.parse(body).data;
  }
  const raw = JSON.parse(await (await fetch(`${base}/usage/login/raw?aggregate=w`)).text()).data;
  const people = new Map(raw.map((r) => [r.period, r.user]));
  for (const r of rows) {
    if (r.suppressed !== (r.user === null) || (r.user !== null && !(r.user <= people.get(r.period))))
      throw new Error(`groups: ${r.period} ${r.group} has ${r.user} people, the week ${people.get(r.period)}`);
  }
  const work = await databaseWork(uri, (client) =>
    createUsageService({ client, config: { ...config, now } }).groups({ aggregate: "w" }, now),
  );
  return {
    range: "90 days",
    aggregate: "w",
    rows: rows.length,
    periods: new Set(rows.map((r) => r.period)).size,
    coldMs: times[0],
    warmMedianMs: median(times.slice(1)),
    uncachedMs: work.ms,
    commands: work.commands,
    documents: work.documents,
    replyBytes: work.replyBytes,
  };
}

function print(r) {
  const f = (n, d = 1) => (typeof n === "number" ? n.toFixed(d) : String(n));
  const lines = [
    `home-usage bench, size ${r.size}: ${r.machine.cores} cores (${r.machine.cpu}), ${r.machine.memoryGiB} GiB, Node ${r.machine.node}, ${r.database}`,
    `data: ${r.data.days} days x ${r.data.people} people = ${r.data.records} log records (written at ${f(r.data.insertPerSecond, 0)}/s)`,
    "",
    "step                          median     figure",
    `job (aggregate --reset)       ${f(r.job.medianSeconds).padStart(7)} s  ${f(r.job.logRecordsPerSecond, 0)} log records/s, ${f(r.job.loginsPerSecond, 0)} logins/s, peak ${f(r.job.peakRssMiB, 0)} MiB, ${f(r.job.secondsPerMillionLogRecords)} s per million log records`,
    `drain (same filter, driver)   ${f(r.drain.medianSeconds).padStart(7)} s  drain / job = ${f(r.drain.drainOverJob, 2)} (job / drain = ${f(r.drain.jobOverDrain, 2)})`,
    `incremental (one more day)    ${f(r.incremental.medianSeconds).padStart(7)} s  its drain ${f(r.incremental.drainMedianSeconds)} s`,
    "",
    "API (ms)          periods  raw cold  warm p50/p95  plot cold  warm p50/p95     db  render  db share",
    ...r.api.map(
      (a) =>
        `${`${a.range}, ${a.aggregate}`.padEnd(18)}${String(a.periods).padStart(7)}  ${f(a.raw.coldMs, 0).padStart(8)}  ${`${f(a.raw.warmMedianMs, 0)}/${f(a.raw.warmP95Ms, 0)}`.padStart(12)}  ${f(a.plot.coldMs, 0).padStart(9)}  ${`${f(a.plot.warmMedianMs, 0)}/${f(a.plot.warmP95Ms, 0)}`.padStart(12)}  ${f(a.databaseMs, 0).padStart(5)}  ${f(a.renderMs, 0).padStart(6)}  ${f(a.databaseShare * 100, 0).padStart(7)}%`,
    ),
    "",
    `retention 12 x 12 months (${r.retention.rows} rows): cold ${f(r.retention.coldMs, 0)} ms, warm p50 ${f(r.retention.warmMedianMs, 0)} ms, heatmap cold ${f(r.retention.plotColdMs, 0)} ms; ${r.retention.finds} look-ups by _id (${r.retention.distinct} distinct, ${r.retention.documents} documents, ${f(r.retention.databaseMs, 0)} ms), ${r.retention.logReads} reads of the log`,
    "",
    "database work, uncached (commands · documents · KiB returned)",
    ...r.api.map(
      (a) =>
        `  /raw ${`${a.range}, ${a.aggregate}`.padEnd(14)} ${a.database.commands} · ${a.database.documents} · ${f(a.database.replyBytes / 1024, 0)}`,
    ),
    ...r.users.map(
      (u) =>
        `  /users ${u.range.padEnd(12)} ${u.database.commands} · ${u.database.documents} · ${f(u.database.replyBytes / 1024, 0)}`,
    ),
    `largest document: ${r.largestDocument.collection} ${r.largestDocument.id}, ${r.largestDocumentBytes} bytes, ${r.largestDocument.people} people${r.largestDocument.people ? ` (${f(r.largestDocumentBytes / r.largestDocument.people, 0)} bytes a person)` : ""}`,
    "",
    ...r.users.map(
      (u) =>
        `/usage/login/users, ${u.range}: ${u.people} people, first page cold ${f(u.coldMs, 0)} ms, warm p50 ${f(u.warmMedianMs, 0)} ms, everyone as CSV ${f(u.csvMs, 0)} ms`,
    ),
    `/usage/login/groups, 90 days, w: ${r.groups.rows} rows (${r.groups.periods} weeks), cold ${f(r.groups.coldMs, 0)} ms, warm p50 ${f(r.groups.warmMedianMs, 0)} ms; uncached ${f(r.groups.uncachedMs, 0)} ms, ${r.groups.commands} database commands, ${r.groups.documents} documents, ${f(r.groups.replyBytes / 1024, 0)} KiB`,
    `burst: 50 concurrent cold 20-year daily reports in ${f(r.burst.ms / 1000)} s, statuses ${JSON.stringify(r.burst.statuses)}, /healthz p99 ${f(r.burst.healthzP99Ms, 0)} ms over ${r.burst.healthzPolls} polls, API peak ${f(r.burst.peakRssMiB, 0)} MiB, 5xx other than 503 + Retry-After: ${r.burst.bad5xx}`,
    "",
    `load /usage/login/plot.svg, 50 connections, 30 s: ${f(r.load.requestsPerSecond)} req/s, p50 ${r.load.latencyP50Ms} ms, p99 ${r.load.latencyP99Ms} ms, ${r.load.errors} errors, ${r.load.timeouts} timeouts, ${r.load.non2xx} non-2xx`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

// A bench stopped by hand still stops the database it started.
let stopServer = async () => {};
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    for (const child of children) child.kill("SIGTERM");
    await stopServer();
    process.exit(130);
  });
}

main().catch((error) => {
  console.error(`bench: failed: ${error.message}`);
  process.exit(1);
});
