// `pnpm demo [--serve]`: starts the bundled database (unless MONGODB_URI points elsewhere), writes demo core4
// log records and accounts, runs the job over them, shows its status, and says how to see the page; with
// --serve it starts the API itself. Run `pnpm build` first.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "apps", "cli", "dist", "index.js");
const api = join(root, "apps", "api", "dist", "index.js");
const serve = process.argv.includes("--serve");
const unknown = process.argv.slice(2).filter((arg) => arg !== "--serve");
if (unknown.length > 0) {
  console.error(`demo: unknown argument ${unknown.join(" ")}; usage: pnpm demo [--serve]`);
  process.exit(2);
}

function step(title, command, args, env = process.env, capture = false) {
  console.log(`\n$ ${title}`);
  const stdout = capture ? "pipe" : "inherit";
  const result = spawnSync(command, args, { cwd: root, env, stdio: ["ignore", stdout, "inherit"], encoding: "utf8" });
  if (capture) process.stdout.write(result.stdout ?? "");
  if (result.status !== 0) {
    console.error(`demo: "${title}" failed (exit ${result.status ?? result.signal})`);
    process.exit(1);
  }
  return result.stdout ?? "";
}

if (!existsSync(cli) || !existsSync(api)) {
  console.error("demo: the apps are not built yet; run `pnpm build` first");
  process.exit(1);
}

let uri = process.env.MONGODB_URI;
if (!uri) {
  const out = step(
    "pnpm db:start",
    process.execPath,
    [join(root, "tools", "ferretdb", "db.mjs"), "start"],
    process.env,
    true,
  );
  uri = out.trim().split("\n").at(-1);
}
const env = { ...process.env, MONGODB_URI: uri };
step(
  "home-usage demo-data --days 120 --users 100 --drop",
  process.execPath,
  [cli, "demo-data", "--days", "120", "--users", "100", "--drop"],
  env,
);
step("home-usage aggregate --reset", process.execPath, [cli, "aggregate", "--reset"], env);
step("home-usage status", process.execPath, [cli, "status"], env);
const port = process.env.PORT ?? "5001";
const page = `http://127.0.0.1:${port}/usage/login`;
console.log(`\nThe rollup is on ${uri}; \`pnpm db:stop\` stops the bundled database when you are done.`);
if (!serve) {
  console.log("\nSee it in a browser: start the API with");
  console.log(`\n  MONGODB_URI=${uri} pnpm home-usage-api\n`);
  console.log(`and open ${page} (or run \`pnpm demo --serve\`, which does both).`);
  console.log("HOME_USAGE_CORE4_PERMISSION=api://home.usage asks for a core4 sign-in (README: demo passwords).");
} else {
  console.log(`\n$ MONGODB_URI=${uri} pnpm home-usage-api`);
  console.log(`Open ${page}; Ctrl-C stops the API.\n`);
  const child = spawn(process.execPath, [api], { cwd: root, env, stdio: "inherit" });
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
  child.on("exit", (code) => process.exit(code ?? 0));
}
