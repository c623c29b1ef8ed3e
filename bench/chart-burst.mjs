// A burst of heavy charts: 200 concurrent PNGs of 2000 x 1200 at scale 2 over 20 ranges, with /healthz
// polled every 50 ms and the API's memory sampled every 100 ms; then its memory 10 and 30 s after. `pnpm bench`
// runs it as a step; `node bench/chart-burst.mjs` runs it alone against the rollup at MONGODB_URI (an API
// of this checkout is started on a free port).
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const REQUESTS = 200;
const RANGES = 20;

const rssMiB = async (pid) => {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024;
};
const p99 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.99) - 1)];

/** The burst against the API at `base` (process `pid`), ranges ending at `now`. */
export async function chartBurst(base, pid, now = new Date()) {
  const urls = Array.from({ length: REQUESTS }, (_, k) => {
    const start = new Date(now.getTime() - (60 + (k % RANGES)) * 86_400_000).toISOString().slice(0, 10);
    const aggregate = k % 2 ? "d" : "w";
    return `${base}/usage/login/plot.png?aggregate=${aggregate}&start=${start}&width=2000&height=1200&scale=2`;
  });
  const healthz = [];
  const rss = [];
  let running = true;
  const poll = (async () => {
    while (running) {
      const began = performance.now();
      await fetch(`${base}/healthz`).then((r) => r.text());
      healthz.push(performance.now() - began);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const sample = (async () => {
    while (running) {
      rss.push(await rssMiB(pid));
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const statuses = {};
  let bad5xx = 0;
  const began = performance.now();
  await Promise.all(
    urls.map(async (url) => {
      const res = await fetch(url);
      await res.arrayBuffer();
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      if (res.status >= 500 && !(res.status === 503 && res.headers.get("retry-after"))) bad5xx++;
    }),
  );
  const ms = performance.now() - began;
  running = false;
  await Promise.all([poll, sample]);
  // Idle, with its caches as they are: each second for 30 s after the burst (the chart pool gives back
  // the workers that drew a few seconds after the last chart).
  const idle = [];
  for (let second = 1; second <= 30; second++) {
    await new Promise((r) => setTimeout(r, 1000));
    idle.push(await rssMiB(pid));
  }
  return {
    requests: REQUESTS,
    ms,
    statuses,
    bad5xx,
    healthzP99Ms: p99(healthz),
    healthzMaxMs: Math.max(...healthz),
    healthzPolls: healthz.length,
    peakRssMiB: Math.max(...rss),
    idle10sRssMiB: idle[9],
    idleRssMiB: idle[29],
  };
}

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  const port = await freePort();
  const api = spawn(process.execPath, [join(root, "apps", "api", "dist", "index.js"), "--port", String(port)], {
    env: process.env,
    stdio: ["ignore", "ignore", "inherit"],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (
      await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    const startRss = await rssMiB(api.pid);
    const result = await chartBurst(base, api.pid);
    console.log(JSON.stringify({ startRssMiB: startRss, ...result }, null, 2));
  } finally {
    api.kill("SIGTERM");
  }
}
