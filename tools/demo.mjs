// `pnpm demo`: starts the bundled database (unless MONGODB_URI points elsewhere), writes demo core4 log
// records, runs the job over them and shows its status. Run `pnpm build` first.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "apps", "cli", "dist", "index.js");

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

if (!existsSync(cli)) {
  console.error("demo: apps/cli is not built yet; run `pnpm build` first");
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
console.log(`\nThe rollup is in home.login on ${uri}; \`pnpm db:stop\` stops the bundled database.`);
