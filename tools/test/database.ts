// Gives each test file a database of its own on the test server, dropped at the end.
import { randomBytes } from "node:crypto";
import { type Db, MongoClient } from "mongodb";
import { afterAll, beforeAll, inject } from "vitest";
import "./provided.js";

export interface TestDatabase {
  readonly uri: string;
  readonly client: MongoClient;
  readonly db: Db;
  readonly name: string;
}

/** The URI of the test server: the bundled FerretDB or MONGODB_URI. */
export function testServerUri(): string {
  return inject("mongodbUri");
}

/** A fresh database name no other test uses. */
export function uniqueDatabaseName(label: string): string {
  return `hu_${label.replace(/[^a-z0-9]/gi, "_").slice(0, 24)}_${randomBytes(4).toString("hex")}`;
}

/**
 * Connects before the file's tests and drops the database after them.
 * The returned object's fields are filled in by `beforeAll`.
 */
export function useTestDatabase(label: string): TestDatabase {
  const state = {} as { uri: string; client: MongoClient; db: Db; name: string };
  beforeAll(async () => {
    state.uri = testServerUri();
    state.name = uniqueDatabaseName(label);
    state.client = new MongoClient(state.uri, { serverSelectionTimeoutMS: 10_000 });
    await state.client.connect();
    state.db = state.client.db(state.name);
  });
  afterAll(async () => {
    if (!state.client) return;
    await state.db.dropDatabase();
    await state.client.close();
  });
  return state;
}

/**
 * The environment that points home-usage at collections of a test database: `sys.log`, `login`, `cookie`
 * and `role`, or with a `suffix` (`log_<suffix>`, `login_<suffix>`, `cookie_<suffix>`, `role_<suffix>`) to
 * keep sets apart.
 */
export function databaseEnv(t: TestDatabase, suffix?: string, source?: string): Record<string, string> {
  const tail = suffix ? `_${suffix}` : "";
  return {
    MONGODB_URI: t.uri,
    HOME_USAGE_SOURCE: `${t.name}.${source ?? (suffix ? `log${tail}` : "sys.log")}`,
    HOME_USAGE_TARGET: `${t.name}.login${tail}`,
    HOME_USAGE_COOKIES: `${t.name}.cookie${tail}`,
    // core4's accounts too: the default, core4.sys.role, would be one collection for every test file.
    HOME_USAGE_ROLES: `${t.name}.role${tail}`,
  };
}
