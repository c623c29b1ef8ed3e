// `pnpm db:start` / `pnpm db:stop`: the bundled FerretDB for the demo and for
// trying things by hand. Data lives under .data/ (git-ignored), or under HOME_USAGE_DB_DIR.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { ensureBuilt, repoRoot, startServer } from "./launcher.mjs";

const dataRoot = process.env.HOME_USAGE_DB_DIR ? resolve(process.env.HOME_USAGE_DB_DIR) : join(repoRoot, ".data");
const pidFile = join(dataRoot, "ferretdb.pid");
const uriFile = join(dataRoot, "ferretdb.uri");

function running() {
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, "utf8"));
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

async function start() {
  if (running()) {
    console.log("FerretDB is already running.");
    console.log(readFileSync(uriFile, "utf8").trim());
    return;
  }
  const raw = process.env.HOME_USAGE_DB_PORT ?? "27027";
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`HOME_USAGE_DB_PORT must be a TCP port number from 1 to 65535, got "${raw}"`);
  }
  ensureBuilt();
  let started;
  try {
    started = await startServer({
      port,
      dataDir: join(dataRoot, "ferretdb"),
      logFile: join(dataRoot, "ferretdb.log"),
      detached: true,
    });
  } catch (error) {
    if (/address already in use/.test(error.message)) {
      throw new Error(
        `port ${port} on 127.0.0.1 is in use by another program; pick a free one with HOME_USAGE_DB_PORT, such as HOME_USAGE_DB_PORT=${port + 1} pnpm db:start`,
      );
    }
    throw error;
  }
  const { child, uri } = started;
  writeFileSync(pidFile, String(child.pid));
  writeFileSync(uriFile, `${uri}\n`);
  const shown = relative(process.cwd(), dataRoot) || ".";
  console.log(
    `FerretDB started (pid ${child.pid}, data in ${join(shown, "ferretdb")}, log in ${join(shown, "ferretdb.log")}).`,
  );
  console.log(uri);
}

async function stop() {
  const pid = running();
  if (!pid) {
    rmSync(pidFile, { force: true });
    console.log("FerretDB is not running.");
    return;
  }
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + 10_000;
  while (running() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (running()) process.kill(pid, "SIGKILL");
  rmSync(pidFile, { force: true });
  console.log(`FerretDB stopped (pid ${pid}).`);
}

const command = process.argv[2];
const actions = { start, stop };
if (!actions[command]) {
  console.error("usage: node tools/ferretdb/db.mjs start|stop");
  process.exit(2);
}
actions[command]().catch((error) => {
  console.error(`db:${command}: ${error.message}`);
  process.exit(1);
});
