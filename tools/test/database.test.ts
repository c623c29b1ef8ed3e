import { describe, expect, it } from "vitest";
import { loadConfig } from "../../packages/core/src/settings/config.js";
import { databaseEnv, type TestDatabase } from "./database.js";

// Only the name and URI are read by databaseEnv; no server is needed to see where it points.
const fake = { uri: "mongodb://127.0.0.1:1", name: "hu_isolation_0000" } as TestDatabase;

/** Every `database.collection` the configuration names, by setting. */
function namespaces(config: Record<string, unknown>): Record<string, string> {
  const found: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value && typeof value === "object" && "db" in value && "collection" in value) {
      found[key] = `${String(value.db)}.${String(value.collection)}`;
    }
  }
  return found;
}

describe("databaseEnv", () => {
  it.each([undefined, "x1"])(
    "keeps every collection of the configuration in the test's database (suffix %s)",
    async (suffix) => {
      const config = await loadConfig({ env: databaseEnv(fake, suffix) });
      const all = namespaces(config as unknown as Record<string, unknown>);
      // source, target, periods, cookies and roles today; a collection setting added later is checked too.
      expect(Object.keys(all).length).toBeGreaterThanOrEqual(5);
      for (const [key, namespace] of Object.entries(all)) {
        expect(namespace.startsWith(`${fake.name}.`), `${key} is ${namespace}`).toBe(true);
      }
    },
  );
});
