// `pnpm db:start` on a port another program holds: one line that names HOME_USAGE_DB_PORT.
import { spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const db = join(dirname(fileURLToPath(import.meta.url)), "db.mjs");

it("says which variable picks another port when its port is taken", async () => {
  // A data folder of its own: a bundled database someone runs in this checkout is not this test's.
  const dir = await mkdtemp(join(tmpdir(), "home-usage-db-"));
  const holder = createServer().listen(0, "127.0.0.1");
  await once(holder, "listening");
  const { port } = holder.address() as { port: number };
  try {
    const result = spawnSync(process.execPath, [db, "start"], {
      encoding: "utf8",
      env: { ...process.env, HOME_USAGE_DB_PORT: String(port), HOME_USAGE_DB_DIR: dir },
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      `db:start: port ${port} on 127.0.0.1 is in use by another program; pick a free one with HOME_USAGE_DB_PORT, such as HOME_USAGE_DB_PORT=${port + 1} pnpm db:start`,
    );
  } finally {
    holder.close();
    await rm(dir, { recursive: true, force: true });
  }
});
