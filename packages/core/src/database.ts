import {
  type Collection,
  type Document,
  MongoClient,
  MongoError,
  MongoNetworkError,
  MongoOperationTimeoutError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from "mongodb";
import { HomeUsageError } from "./errors.js";
import type { Namespace } from "./settings/config.js";
import { describeSetting } from "./settings/settings.js";

/** A URI safe to print: the password, if any, is hidden. */
export function redactUri(uri: string): string {
  return uri.replace(/\/\/([^:/@]+):[^@/]*@/, "//$1:***@");
}

/**
 * Runs `query` bounded as a whole, every batch of it: the database stops at `maxTimeMS`, and the driver
 * gives up when the budget runs out (a find's `maxTimeMS` covers only its first batch; the batches after
 * it are fetched without one) or when `signal` aborts. Once the budget has run out, whatever the
 * database said (a cursor it dropped at its own limit) is reported as the time-out it is.
 */
export async function boundedQuery<T>(
  maxTimeMS: number | undefined,
  signal: AbortSignal | undefined,
  query: (options: { maxTimeMS?: number; signal?: AbortSignal }) => Promise<T>,
): Promise<T> {
  const timeout = maxTimeMS ? AbortSignal.timeout(maxTimeMS) : undefined;
  const signals = [signal, timeout].filter((s): s is AbortSignal => s !== undefined);
  try {
    return await query({
      ...(maxTimeMS ? { maxTimeMS } : {}),
      ...(signals.length > 0 ? { signal: signals.length === 1 ? signals[0] : AbortSignal.any(signals) } : {}),
    });
  } catch (error) {
    if (timeout?.aborted && !signal?.aborted) throw timeout.reason;
    throw error;
  }
}

/** Whether a query failed for running out of its time budget, on the database or in the driver. */
export function isOutOfTime(error: unknown): error is Error {
  return (
    (error instanceof MongoServerError && error.code === 50) ||
    error instanceof MongoOperationTimeoutError ||
    (error instanceof DOMException && error.name === "TimeoutError")
  );
}

/** `database.collection`, as people write it. */
export function formatNamespace(ns: Namespace): string {
  return `${ns.db}.${ns.collection}`;
}

export interface ConnectOptions {
  /** How long to wait for the server to answer. @default 5000 */
  timeoutMs?: number;
  appName?: string;
  /** Told once when the server has not answered within `waitingAfterMs`, so nobody stares at silence. */
  onWaiting?: (message: string) => void;
  /** @default 1000 */
  waitingAfterMs?: number;
}

/**
 * Connects to MongoDB and checks the server answers, failing within `timeoutMs` with one clear line
 * (an `E_DATABASE` error) that says what to check when it cannot be reached.
 */
export async function connectDatabase(uri: string, options: ConnectOptions = {}): Promise<MongoClient> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const began = Date.now();
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    appName: options.appName ?? "home-usage",
  });
  const waiting = setTimeout(
    () => options.onWaiting?.(`waiting up to ${seconds(timeoutMs)} for MongoDB at ${redactUri(uri)} ...`),
    options.waitingAfterMs ?? 1_000,
  );
  try {
    await client.connect();
    await client.db("admin").command({ ping: 1 });
    return client;
  } catch (error) {
    await client.close().catch(() => {});
    const reason = (error as Error).message.split("\n")[0];
    throw new HomeUsageError(
      "E_DATABASE",
      `cannot reach MongoDB at ${redactUri(uri)} (waited ${seconds(Date.now() - began)}: ${reason}); check ${describeSetting("mongodbUri")}, or start the bundled database with pnpm db:start`,
      { cause: error },
    );
  } finally {
    clearTimeout(waiting);
  }
}

/**
 * The database gone in the middle of work (a reset connection, a server no longer selectable) as an
 * `E_DATABASE` error that names the server and the setting; null for any other error.
 */
export function lostDatabase(error: unknown, uri: string, what: string): HomeUsageError | null {
  if (
    !(
      error instanceof MongoNetworkError ||
      error instanceof MongoServerSelectionError ||
      error instanceof MongoTopologyClosedError ||
      (error instanceof MongoError && error.hasErrorLabel("ResetPool"))
    )
  ) {
    return null;
  }
  const reason = error.message.split("\n")[0];
  return new HomeUsageError(
    "E_DATABASE",
    `lost MongoDB at ${redactUri(uri)} (${describeSetting("mongodbUri")}) ${what}: ${reason}`,
    { cause: error },
  );
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Says how to index the source on `created` when it has no such index. */
export async function indexAdvice<T extends Document>(source: Collection<T>, ns: Namespace): Promise<string | null> {
  let indexes: { key: Record<string, unknown> }[];
  try {
    indexes = (await source.listIndexes().toArray()) as { key: Record<string, unknown> }[];
  } catch {
    return null; // no such collection yet: nothing to advise on
  }
  if (indexes.some((index) => Object.keys(index.key)[0] === "created")) return null;
  return `${formatNamespace(ns)} has no index on created, so every run scans the whole log; create one with: mongosh --eval 'db.getSiblingDB("${ns.db}").getCollection("${ns.collection}").createIndex({ created: 1 })'`;
}
