import { writeDemoData, writeDemoRoles } from "@home-usage/demo";
import { BSON, MongoClient } from "mongodb";

/**
 * What `work` asks of the database, as the driver sees it, on a client of its own with no cache in
 * front: commands sent (in all and by name), documents returned and the replies' BSON bytes; the same
 * on every server.
 */
export async function databaseWork(uri, work) {
  const monitored = await new MongoClient(uri, { monitorCommands: true }).connect();
  const figures = { commands: 0, documents: 0, replyBytes: 0, byCommand: {} };
  monitored.on("commandStarted", (event) => {
    figures.commands++;
    figures.byCommand[event.commandName] = (figures.byCommand[event.commandName] ?? 0) + 1;
  });
  monitored.on("commandSucceeded", (event) => {
    const batch = event.reply?.cursor?.firstBatch ?? event.reply?.cursor?.nextBatch ?? [];
    figures.documents += batch.length;
    figures.replyBytes += BSON.calculateObjectSize(event.reply ?? {});
  });
  try {
    const began = performance.now();
    const result = await work(monitored);
    return { ...figures, byCommand: { ...figures.byCommand }, ms: performance.now() - began, result };
  } finally {
    await monitored.close();
  }
}

/** The environment that points home-usage's programs at the collections of database `dbName` on `uri`. */
export function databaseEnv(uri, dbName, now) {
  return {
    PATH: process.env.PATH,
    MONGODB_URI: uri,
    HOME_USAGE_SOURCE: `${dbName}.sys.log`,
    HOME_USAGE_TARGET: `${dbName}.login`,
    HOME_USAGE_COOKIES: `${dbName}.cookie`,
    HOME_USAGE_ROLES: `${dbName}.sys.role`,
    HOME_USAGE_NOW: now,
  };
}

/**
 * A log of login records only (the demo's people and their logins, no other records) and, unless
 * `accounts` is false (a day appended to a log already written), their core4 accounts, into database
 * `db`: what the reports read is the same as with the whole demo log, written in a fraction of the time.
 */
export async function writeLoginsOnly(db, { days, users, end, accounts = true }) {
  const sysLog = db.collection("sys.log");
  const options = { days, users, seed: 1, end: new Date(`${end}T00:00:00Z`), noisePerLogin: 0 };
  const written = await writeDemoData(sysLog, options);
  await sysLog.createIndex({ created: 1 });
  if (accounts) await writeDemoRoles(db.collection("sys.role"), { users });
  return written.inserted;
}
