// Starts one FerretDB for the whole test run, unless MONGODB_URI points the
// suite at a server of its own (a real MongoDB, say).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import "./provided.js";
// @ts-expect-error -- plain ESM helper shared with tools/ferretdb/db.mjs
import { ensureBuilt, startServer } from "../ferretdb/launcher.mjs";

export default async function setup(project: TestProject) {
  const external = process.env.MONGODB_URI;
  if (external) {
    project.provide("mongodbUri", external);
    return;
  }
  ensureBuilt();
  const dataDir = await mkdtemp(join(tmpdir(), "home-usage-test-"));
  const { child, uri, exited } = await startServer({ port: 0, dataDir, logFile: join(dataDir, "ferretdb.log") });
  project.provide("mongodbUri", uri);
  return async () => {
    child.kill("SIGTERM");
    await exited;
    await rm(dataDir, { recursive: true, force: true });
  };
}
