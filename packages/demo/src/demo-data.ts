// Synthetic core4 `sys.log` records, so home-usage can be tried, tested and benchmarked without a production log.
import { createHash } from "node:crypto";
import { HomeUsageError } from "@home-usage/core";
import { type AnyBulkWriteOperation, type Collection, type Document, ObjectId } from "mongodb";
import { demoGroups, demoHasAccount, demoMembership } from "./demo-groups.js";
import {
  APP_HOSTS,
  EXCEPTIONS,
  FIRST_NAMES,
  IDLE_ACCOUNTS,
  JOBS,
  LAST_NAMES,
  LEVELNO,
  type Level,
  LOGIN_STYLES,
  type LoginStyle,
  METHODS,
  NOISE,
  type NoiseTemplate,
  PATHS,
  STRANGERS,
  WORKER_HOSTS,
  WORKER_STEPS,
  type Writer,
} from "./templates.js";

export interface DemoDataOptions {
  /** Number of days of log, ending with `end`. @default 90 */
  days: number;
  /** Number of people who may log in. @default 50 */
  users: number;
  /** PRNG seed; the same seed, days, users and end give the same records. @default 1 */
  seed: number;
  /** The last day to generate (UTC), as a Date at 00:00:00Z of that day. */
  end: Date;
  /** Non-login records per login, on average. @default 12 */
  noisePerLogin?: number;
}

export interface DemoDataSummary {
  records: number;
  inserted: number;
  alreadyPresent: number;
  logins: number;
  people: number;
  first: Date;
  last: Date;
  /** The first login record, admin's too: the day `home-usage aggregate` starts from on a fresh rollup. */
  firstLogin: Date | null;
}

export interface DemoLogRecord {
  _id: ObjectId;
  created: Date;
  message: string;
  level: Level;
  levelno: number;
  username: string;
  hostname: string;
  identifier: string | null;
  qual_name: string;
  epoch: number;
  user?: string;
  exception?: { info: string; text: string };
}

const _DAY_MS = 86_400_000;
const _LOGIN_WEIGHTS = LOGIN_STYLES.reduce((sum, style) => sum + style.weight, 0);
const _NOISE_WEIGHTS = NOISE.reduce((sum, template) => sum + template.weight, 0);
const _DAY_S = 86_400;
const _BATCH = 5000;
const _ROLE_BATCH = 100;
const _DUPLICATE_KEY = 11000;
const _ADMIN = "admin";
const _WEB_USER = "www-data";
const _CORE4_USER = "core4";

// Who each writer is: the fields of the records it writes.
const _QUAL_NAMES: Record<Exclude<Writer, "job">, string> = {
  login: "core4.api.v1.request.role.login.LoginHandler",
  role: "core4.api.v1.request.role.model.CoreRole",
  request: "core4.api.v1.request.main.CoreRequestHandler",
  worker: "core4.queue.worker.CoreWorker",
  "worker-job": "core4.queue.worker.CoreWorker",
  scheduler: "core4.queue.scheduler.CoreScheduler",
};

interface _Options {
  days: number;
  users: number;
  seed: number;
  end: Date;
  noisePerLogin: number;
}

interface _Person {
  name: string;
  roleId: string;
  joinDay: number;
  activity: number;
}

// mulberry32: small, fast and good enough for synthetic data; reproducible, unlike Math.random.
class _Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  uint32(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = Math.imul(this.state ^ (this.state >>> 15), 1 | this.state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  }
  next(): number {
    return this.uint32() / 4294967296;
  }
  int(below: number): number {
    return Math.floor(this.next() * below);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
}

const _LOGIN_MESSAGES = [/^set \[last_login\] for role \[([^\]]+)\]/, /^login user \[([^\]]+)\] with _id/];

/**
 * Who logged in with a demo record, read with plain regular expressions rather than home-usage's login
 * signal, so tests can count the demo log independently of the code they test.
 */
export function demoLoginOf(record: object): string | null {
  const { message, user } = record as { message?: unknown; user?: unknown };
  if (typeof message !== "string") return null;
  if (message === "successful login") return typeof user === "string" ? user : null;
  for (const pattern of _LOGIN_MESSAGES) {
    const name = message.match(pattern)?.[1];
    if (name) return name;
  }
  return null;
}

export function generateDemoRecords(options: DemoDataOptions): Generator<DemoLogRecord> {
  // Validated here rather than inside the generator, so bad options fail at the call and not at the first `next()`.
  return _generate(_validate(options));
}

export async function writeDemoData(
  collection: Collection<Document>,
  options: DemoDataOptions,
  onBatch?: (written: number) => void,
): Promise<DemoDataSummary> {
  const valid = _validate(options);
  const people = new Set<string>();
  let records = 0;
  let inserted = 0;
  let alreadyPresent = 0;
  let logins = 0;
  let first: Date | undefined;
  let last: Date | undefined;
  let firstLogin: Date | null = null;
  let batch: DemoLogRecord[] = [];
  const flush = async () => {
    const result = await _insertBatch(collection, batch);
    inserted += result.inserted;
    alreadyPresent += result.alreadyPresent;
    batch = [];
    onBatch?.(inserted + alreadyPresent);
  };
  for (const record of _generate(valid)) {
    records++;
    first ??= record.created;
    last = record.created;
    // Counted from the records themselves, the way home-usage's auto preset reads them.
    const person = demoLoginOf(record);
    if (person !== null) firstLogin ??= record.created;
    if (person !== null && person !== _ADMIN) {
      logins++;
      people.add(person);
    }
    batch.push(record);
    if (batch.length === _BATCH) await flush();
  }
  if (batch.length > 0) await flush();
  const firstDay = new Date(valid.end.getTime() - (valid.days - 1) * _DAY_MS);
  return {
    records,
    inserted,
    alreadyPresent,
    logins,
    people: people.size,
    // An empty log (no logins, no noise) still covers its days.
    first: first ?? firstDay,
    last: last ?? new Date(valid.end.getTime() + _DAY_MS - 1000),
    firstLogin,
  };
}

function _validate(options: DemoDataOptions): _Options {
  const { days, users, seed, end } = options;
  const noisePerLogin = options.noisePerLogin ?? 12;
  const fail = (message: string) => new HomeUsageError("E_USAGE", `demo data: ${message}`);
  if (!Number.isInteger(days) || days < 1) throw fail(`days must be a whole number of at least 1, not ${days}`);
  if (!Number.isInteger(users) || users < 0) throw fail(`users must be a whole number of at least 0, not ${users}`);
  if (!Number.isSafeInteger(seed)) throw fail(`seed must be a whole number, not ${seed}`);
  if (!(end instanceof Date) || Number.isNaN(end.getTime()) || end.getTime() % _DAY_MS !== 0) {
    throw fail(`end must be a Date at 00:00:00Z of a day, not ${String(end)}`);
  }
  // An ObjectId holds its seconds in 4 unsigned bytes.
  if (end.getTime() - (days - 1) * _DAY_MS < 0 || end.getTime() + _DAY_MS > 2 ** 32 * 1000) {
    throw fail(`the ${days} days up to ${end.toISOString().slice(0, 10)} must lie between 1970 and 2106`);
  }
  if (!Number.isFinite(noisePerLogin) || noisePerLogin < 0) {
    throw fail(`noisePerLogin must be a number of at least 0, not ${noisePerLogin}`);
  }
  return { days, users, seed, end, noisePerLogin };
}

function _seedState(seed: number): number {
  // Folds the high bits in, so seeds that differ only above 2^32 still differ.
  const high = Math.floor(seed / 4294967296) >>> 0;
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(high ^ 0x85ebca6b, 0xc2b2ae35)) >>> 0;
}

function _personName(index: number): string {
  const f = FIRST_NAMES.length;
  const l = LAST_NAMES.length;
  const a = index % f;
  // Shifting the last name by the first keeps every (first, last) pair of a round unique.
  const b = (a + Math.floor(index / f)) % l;
  const round = Math.floor(index / (f * l));
  return `${FIRST_NAMES[a]}.${LAST_NAMES[b]}${round === 0 ? "" : round + 1}`;
}

// Derived from the name, not the seed, so a person keeps one role id across demo runs, as in a real sys.role.
function _roleId(name: string, index: number): string {
  const created = (Date.UTC(2018, 5, 1) / 1000 + index * 3607).toString(16).padStart(8, "0");
  return created + createHash("sha1").update(`role:${name}`).digest("hex").slice(0, 16);
}

function _createPeople(options: _Options, random: _Random): _Person[] {
  // Joining over the first 60% of the range makes the active population grow, then settle.
  const joinSpan = Math.max(1, Math.ceil(options.days * 0.6));
  const people: _Person[] = [];
  for (let i = 0; i < options.users; i++) {
    const name = _personName(i);
    people.push({
      name,
      roleId: _roleId(name, i + 1),
      joinDay: random.int(joinSpan),
      activity: 0.4 + random.next() * 1.2,
    });
  }
  return people;
}

function* _generate(options: _Options): Generator<DemoLogRecord> {
  const random = new _Random(_seedState(options.seed));
  const people = _createPeople(options, random);
  const admin = _roleId(_ADMIN, 0);
  const firstDay = options.end.getTime() - (options.days - 1) * _DAY_MS;
  for (let day = 0; day < options.days; day++) {
    const dayStart = (firstDay + day * _DAY_MS) / 1000;
    const weekday = new Date(dayStart * 1000).getUTCDay();
    const weekend = weekday === 0 || weekday === 6;
    const records: DemoLogRecord[] = [];
    const joined: string[] = [];
    let events = 0;
    for (const person of people) {
      if (person.joinDay > day) continue;
      joined.push(person.name);
      if (random.next() >= (weekend ? 0.08 : 0.55) * person.activity) continue;
      const count = _loginsPerDay(random);
      for (let i = 0; i < count; i++) _pushLogin(records, random, dayStart, person.name, person.roleId);
      events += count;
    }
    if (random.next() < (weekend ? 0.15 : 0.4)) {
      const count = 1 + random.int(2);
      for (let i = 0; i < count; i++) _pushLogin(records, random, dayStart, _ADMIN, admin);
      events += count;
    }
    // Workers log on days nobody logs in, too; randomised rounding keeps the average ratio exact.
    const noise = Math.floor(options.noisePerLogin * Math.max(events, 1) + random.next());
    for (let written = 0; written < noise; ) written += _pushNoise(records, random, dayStart, joined);
    records.sort((a, b) => a.epoch - b.epoch);
    yield* records;
  }
}

function _loginsPerDay(random: _Random): number {
  const r = random.next();
  return r < 0.6 ? 1 : r < 0.9 ? 2 : 3;
}

// People log in mostly during (UTC) office hours, peaking around noon; some at any hour.
function _loginSecond(random: _Random): number {
  if (random.next() < 0.15) return random.int(_DAY_S);
  return 6 * 3600 + Math.floor(((random.next() + random.next()) / 2) * 12 * 3600);
}

// Workers and the scheduler run around the clock; requests follow the people.
function _noiseSecond(random: _Random): number {
  return random.next() < 0.55 ? random.int(_DAY_S) : _loginSecond(random);
}

function _hexId(random: _Random, seconds: number): string {
  return (
    seconds.toString(16).padStart(8, "0") +
    random.uint32().toString(16).padStart(8, "0") +
    random.uint32().toString(16).padStart(8, "0")
  );
}

function _objectId(random: _Random, seconds: number): ObjectId {
  const bytes = new Uint8Array(12);
  _putUint32(bytes, 0, seconds);
  _putUint32(bytes, 4, random.uint32());
  _putUint32(bytes, 8, random.uint32());
  return new ObjectId(bytes);
}

// Big-endian, as ObjectId wants; a DataView per record costs more than the record.
function _putUint32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24;
  bytes[at + 1] = (value >>> 16) & 0xff;
  bytes[at + 2] = (value >>> 8) & 0xff;
  bytes[at + 3] = value & 0xff;
}

interface _Fields {
  message: string;
  level: Level;
  username: string;
  hostname: string;
  identifier: string | null;
  qual_name: string;
}

function _record(random: _Random, seconds: number, micros: number, fields: _Fields): DemoLogRecord {
  return {
    _id: _objectId(random, seconds),
    created: new Date(seconds * 1000),
    message: fields.message,
    level: fields.level,
    levelno: LEVELNO[fields.level],
    username: fields.username,
    hostname: fields.hostname,
    identifier: fields.identifier,
    qual_name: fields.qual_name,
    epoch: seconds + micros / 1e6,
  };
}

/** Picks a row of a table by its weight. */
function _weighted<T extends { weight: number }>(random: _Random, rows: readonly T[], total: number): T {
  let left = random.next() * total;
  for (const row of rows) {
    left -= row.weight;
    if (left < 0) return row;
  }
  return rows.at(-1) as T;
}

/** The fields a writer puts on its records at `seconds`. */
function _writer(random: _Random, writer: Writer, seconds: number): Omit<_Fields, "message" | "level"> {
  switch (writer) {
    case "login":
    case "role":
    case "request":
      return {
        username: _WEB_USER,
        hostname: random.pick(APP_HOSTS),
        identifier: _hexId(random, seconds),
        qual_name: _QUAL_NAMES[writer],
      };
    case "scheduler":
      return {
        username: _CORE4_USER,
        hostname: WORKER_HOSTS[0] as string,
        identifier: null,
        qual_name: _QUAL_NAMES[writer],
      };
    case "job":
      return {
        username: _CORE4_USER,
        hostname: random.pick(WORKER_HOSTS),
        identifier: _hexId(random, seconds - random.int(3600)),
        qual_name: random.pick(JOBS),
      };
    default: {
      const hostname = random.pick(WORKER_HOSTS);
      const name = hostname.slice(0, hostname.indexOf("."));
      return {
        username: _CORE4_USER,
        hostname,
        identifier: writer === "worker" ? name : null,
        qual_name: _QUAL_NAMES[writer],
      };
    }
  }
}

interface _Context {
  random: _Random;
  seconds: number;
  ip: string;
  joined: readonly string[];
  person?: string;
  roleId?: string;
  runtime?: string;
}

// What each `{placeholder}` of templates.ts becomes.
const _FILLERS: Record<string, (c: _Context) => string> = {
  person: (c) => c.person ?? "",
  roleId: (c) => c.roleId ?? "",
  runtime: (c) => c.runtime ?? "",
  ip: (c) => c.ip,
  step: (c) => c.random.pick(WORKER_STEPS),
  cycle: (c) => String(1 + c.random.int(90_000)),
  id: (c) => _hexId(c.random, c.seconds),
  tenMinutesAgoId: (c) => _hexId(c.random, c.seconds - 600),
  hourAgoId: (c) => _hexId(c.random, c.seconds - c.random.int(3600)),
  hoursAgoId: (c) => _hexId(c.random, c.seconds - 7200),
  dayAgoId: (c) => _hexId(c.random, c.seconds - 86_000),
  timestamp: (c) => new Date(c.seconds * 1000).toISOString().replace("T", " ").slice(0, 19),
  method: (c) => c.random.pick(METHODS),
  path: (c) => c.random.pick(PATHS),
  job: (c) => c.random.pick(JOBS),
  few: (c) => String(c.random.int(5)),
  fastMs: (c) => (1 + c.random.next() * 180).toFixed(2),
  slowMs: (c) => (1 + c.random.next() * 900).toFixed(2),
  clientError: (c) => String(c.random.pick([401, 403, 404])),
  okStatus: (c) => String(c.random.pick([200, 200, 200, 201, 204, 302, 304])),
  appHost: (c) => c.random.pick(APP_HOSTS),
  // A request of someone who has joined, or an anonymous one.
  caller: (c) => (c.random.next() < 0.75 && c.joined.length > 0 ? c.random.pick(c.joined) : "None"),
  someone: (c) => (c.random.next() < 0.8 && c.joined.length > 0 ? c.random.pick(c.joined) : c.random.pick(STRANGERS)),
};

function _fill(template: string, context: _Context): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const filler = _FILLERS[name];
    if (!filler) throw new Error(`demo template has no filler for {${name}}: ${template}`);
    return filler(context);
  });
}

function _pushLogin(records: DemoLogRecord[], random: _Random, dayStart: number, name: string, roleId: string): void {
  const seconds = dayStart + _loginSecond(random);
  const style: LoginStyle = _weighted(random, LOGIN_STYLES, _LOGIN_WEIGHTS);
  const context: _Context = { random, seconds, ip: "", joined: [], person: name, roleId };
  const login = _record(random, seconds, random.int(900_000), {
    ..._writer(random, style.writer, seconds),
    message: _fill(style.message, context),
    level: "INFO",
  });
  if (style.user === "field") login.user = name;
  records.push(login);
}

function _exception(random: _Random): { info: string; text: string } {
  const { info, frame } = random.pick(EXCEPTIONS);
  const text = [
    "Traceback (most recent call last):",
    '  File "/srv/core4/lib/core4/queue/process.py", line 61, in run',
    "    job.execute(**job.args)",
    `  ${frame}`,
    info.replace(/^(\w+)\((.*)\)$/, "$1: $2"),
  ].join("\n");
  return { info, text };
}

// One non-login event; a job logs its start and its end, so it returns how many records it added.
function _pushNoise(records: DemoLogRecord[], random: _Random, dayStart: number, joined: readonly string[]): number {
  const seconds = dayStart + _noiseSecond(random);
  const template: NoiseTemplate = _weighted(random, NOISE, _NOISE_WEIGHTS);
  const context: _Context = { random, seconds, ip: `10.0.${random.int(4)}.${2 + random.int(250)}`, joined };
  const fields = { ..._writer(random, template.writer, seconds), level: template.level };
  const record = _record(random, seconds, random.int(1_000_000), {
    ...fields,
    message: _fill(template.message, context),
  });
  if (template.exception && random.next() < 0.6) record.exception = _exception(random);
  records.push(record);
  if (!template.followedBy) return 1;
  const runtime = 1 + random.int(900);
  const endSeconds = Math.min(seconds + runtime, dayStart + _DAY_S - 1);
  context.runtime = `${runtime}.${random.int(100)}`;
  // Cut short at midnight, the end may share the start's second; it must still sort after it.
  const micros = endSeconds === seconds ? 999_999 : random.int(1_000_000);
  records.push(_record(random, endSeconds, micros, { ...fields, message: _fill(template.followedBy, context) }));
  return 2;
}

/** What writeDemoRoles wrote. */
export interface DemoRolesSummary {
  accounts: number;
  active: number;
  disabled: number;
  /** Groups: roles without an email. */
  groups: number;
}

/** A core4 account, as the demo writes it into sys.role. */
export interface DemoRole {
  _id: ObjectId;
  name: string;
  realname: string;
  email: string;
  is_active: boolean;
  /** The ObjectIds of the groups it belongs to directly, as core4 stores them. */
  role: (ObjectId | string)[];
  created: Date;
  /** Only for the accounts of DEMO_SIGN_IN: a werkzeug hash, and what they may use. */
  password?: string;
  perm?: string[];
}

/**
 * Two demo accounts that can sign in to the API run with HOME_USAGE_CORE4_PERMISSION=api://home.usage
 * (the README lists their passwords): one with werkzeug ≥ 3's scrypt hash holding that permission, and
 * admin with an older werkzeug's pbkdf2 hash holding core4's `cop`. Made by werkzeug 3.1.9:
 * `generate_password_hash("olga-demo-password", "scrypt")` and
 * `generate_password_hash("admin-demo-password", "pbkdf2:sha256:260000")`.
 */
export const DEMO_SIGN_IN: Readonly<Record<string, { password: string; perm: string[] }>> = {
  "olga.berger": {
    password:
      "scrypt:32768:8:1$cKRhIiuDvvrUfeEz$ac11b5c77a78d11fc78e33daaa09fecee54a97bed387bd80dd87af842f558bb9829afe6eac2fdde772888605860a74ce3d732e1f94c8fb2895f718dce7f31140",
    perm: ["api://home.usage"],
  },
  admin: {
    password: "pbkdf2:sha256:260000$ielxaZDq4utjqmgI$133f533d35c7284b054db8dd7eca3420270b490c2f24589911c77e9b78b93502",
    perm: ["cop"],
  },
};

/**
 * Writes core4's accounts for the demo's people into `collection` (core4's `sys.role`): every person who
 * may log in but a few whose accounts were deleted, admin, and a few accounts that never log in, two of
 * them disabled; and core4 groups (demo-groups.ts) the accounts refer to by ObjectId. Idempotent:
 * documents are replaced by `_id`, which depends on the name only.
 */
export async function writeDemoRoles(
  collection: Collection<Document>,
  options: Pick<DemoDataOptions, "users">,
): Promise<DemoRolesSummary> {
  const { users } = options;
  if (!Number.isInteger(users) || users < 0) {
    throw new HomeUsageError("E_USAGE", `demo data: users must be a whole number of at least 0, not ${users}`);
  }
  const role = (
    name: string,
    index: number,
    email: string,
    is_active: boolean,
    roles: (ObjectId | string)[],
  ): DemoRole => {
    const id = _roleId(name, index);
    const realname = name
      .split(/[.-]/)
      .map((part) => part.charAt(0).toUpperCase() + part.slice(1).replace(/\d+$/, ""))
      .join(" ");
    return {
      _id: new ObjectId(id),
      name,
      realname,
      email,
      is_active,
      role: roles,
      created: new Date(Number.parseInt(id.slice(0, 8), 16) * 1000),
      ...DEMO_SIGN_IN[name],
    };
  };
  const accounts = [
    role(_ADMIN, 0, "admin@core4.local", true, ["COP"]),
    ...Array.from({ length: users }, (_, i) => {
      const name = _personName(i);
      return role(name, i + 1, `${name}@example.com`, true, demoMembership(i));
    }).filter((_, i) => demoHasAccount(i)),
    ...IDLE_ACCOUNTS.map((a, i) => role(a.name, users + 1 + i, a.email, a.is_active, demoMembership(users + i))),
  ];
  // FerretDB 1.24 never answers a batch of more than 100 replacements of existing documents.
  const documents: Document[] = [...accounts, ...demoGroups()];
  for (let at = 0; at < documents.length; at += _ROLE_BATCH) {
    const operations: AnyBulkWriteOperation<Document>[] = documents.slice(at, at + _ROLE_BATCH).map((account) => ({
      replaceOne: { filter: { _id: account._id }, replacement: account, upsert: true },
    }));
    try {
      await collection.bulkWrite(operations, { ordered: false });
    } catch (error) {
      throw new HomeUsageError(
        "E_DATABASE",
        `could not write demo accounts to ${collection.collectionName}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
  const disabled = accounts.filter((a) => !a.is_active).length;
  return {
    accounts: accounts.length,
    active: accounts.length - disabled,
    disabled,
    groups: documents.length - accounts.length,
  };
}

async function _insertBatch(
  collection: Collection<Document>,
  batch: DemoLogRecord[],
): Promise<{ inserted: number; alreadyPresent: number }> {
  try {
    await collection.insertMany(batch, { ordered: false });
    return { inserted: batch.length, alreadyPresent: 0 };
  } catch (error) {
    const duplicates = _duplicatesOnly(error, batch.length);
    if (duplicates === undefined) {
      throw new HomeUsageError(
        "E_DATABASE",
        `could not write demo records to ${collection.collectionName}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    return { inserted: batch.length - duplicates, alreadyPresent: duplicates };
  }
}

// How many records of the batch failed as duplicates, or undefined when anything else went wrong too.
function _duplicatesOnly(error: unknown, size: number): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { code, writeErrors, writeConcernError, result } = error as {
    code?: unknown;
    writeErrors?: unknown;
    writeConcernError?: unknown;
    result?: { insertedCount?: unknown };
  };
  if (writeConcernError) return undefined;
  // The driver gives one write error unwrapped and several as an array.
  const errors = writeErrors === undefined ? [] : Array.isArray(writeErrors) ? writeErrors : [writeErrors];
  if (errors.length > 0) {
    return errors.every((e) => (e as { code?: unknown }).code === _DUPLICATE_KEY) ? errors.length : undefined;
  }
  if (code !== _DUPLICATE_KEY) return undefined;
  const insertedCount = result?.insertedCount;
  return typeof insertedCount === "number" ? size - insertedCount : undefined;
}
