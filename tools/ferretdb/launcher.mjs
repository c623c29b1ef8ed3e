// Builds and starts the bundled FerretDB launcher (tools/ferretdb/main.go).
// Shared by `pnpm db:start`/`db:stop` (db.mjs) and the vitest global setup, so
// both build and start the database the same way.
import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = join(here, "..", "..");
export const binaryPath = join(repoRoot, ".data", "bin", "ferretdb-launcher");
const sources = ["main.go", "go.mod", "go.sum"].map((f) => join(here, f));

/** Builds the launcher unless a binary newer than its sources exists. */
export function ensureBuilt(log = (line) => process.stderr.write(`${line}\n`)) {
  if (existsSync(binaryPath)) {
    const built = statSync(binaryPath).mtimeMs;
    if (sources.every((f) => statSync(f).mtimeMs <= built)) return binaryPath;
  }
  log("building the FerretDB launcher (first time takes a few minutes)...");
  mkdirSync(dirname(binaryPath), { recursive: true });
  const result = spawnSync("go", ["build", "-o", binaryPath, "."], {
    cwd: here,
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (result.error)
    throw new Error(`cannot run go (Go >= 1.24 is needed to build the bundled database): ${result.error.message}`);
  if (result.status !== 0) throw new Error(`go build of tools/ferretdb failed with exit code ${result.status}`);
  return binaryPath;
}

/** Resolves to a TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts the launcher and resolves once it accepts connections.
 * Output goes to `logFile`; the launcher prints its URI there when it is ready.
 * With `detached`, the server outlives this process.
 */
export async function startServer({ port, dataDir, logFile, detached = false, timeoutMs = 60_000 }) {
  mkdirSync(dirname(logFile), { recursive: true });
  const fd = openSync(logFile, "w");
  const child = spawn(binaryPath, ["-data", dataDir, "-listen", `127.0.0.1:${port}`], {
    detached,
    stdio: ["ignore", fd, fd],
  });
  closeSync(fd);
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const uri = readFileSync(logFile, "utf8")
      .split("\n")
      .find((line) => line.startsWith("mongodb://"));
    if (uri) {
      if (detached) child.unref();
      return { child, uri: uri.trim(), exited };
    }
    const done = await Promise.race([exited, new Promise((r) => setTimeout(() => r(null), 100))]);
    if (done) {
      const output = readFileSync(logFile, "utf8").trim();
      throw new Error(`FerretDB exited (${done.code ?? done.signal}) before it was ready:\n${output}`);
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`FerretDB did not report ready within ${timeoutMs / 1000}s; see ${logFile}`);
    }
  }
}
