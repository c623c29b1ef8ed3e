// Synthetic core4 `sys.log` records, so home-usage can be tried, tested and benchmarked without a production log.
import { createHash } from "node:crypto";
import { type Collection, type Document, ObjectId } from "mongodb";
import { HomeUsageError } from "./errors.js";

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
}

export interface DemoLogRecord {
  _id: ObjectId;
  created: Date;
  message: string;
  level: "DEBUG" | "INFO" | "WARNING" | "ERROR" | "CRITICAL";
  levelno: number;
  username: string;
  hostname: string;
  identifier: string | null;
  qual_name: string;
  epoch: number;
  user?: string;
  exception?: { info: string; text: string };
}

type _Level = DemoLogRecord["level"];

const _DAY_MS = 86_400_000;
const _DAY_S = 86_400;
const _BATCH = 5000;
const _DUPLICATE_KEY = 11000;
const _ADMIN = "admin";
const _LEVELNO: Record<_Level, number> = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 };

// biome-ignore format: a table
const _FIRST_NAMES = [
  "anna", "ben", "clara", "david", "emma", "felix", "greta", "hannah", "ida", "jonas",
  "karl", "lena", "max", "nina", "oskar", "paula", "quentin", "rosa", "simon", "tina",
  "uwe", "vera", "walter", "xenia", "yusuf", "zoe", "lukas", "marie", "noah", "sophie",
  "elias", "lea", "paul", "mia", "leon", "laura", "finn", "julia", "tim", "sarah",
];
// biome-ignore format: a table
const _LAST_NAMES = [
  "schmidt", "mueller", "schneider", "fischer", "weber", "meyer", "wagner", "becker", "schulz", "hoffmann",
  "koch", "richter", "klein", "wolf", "schroeder", "neumann", "schwarz", "braun", "zimmermann", "krueger",
  "hofmann", "hartmann", "lange", "werner", "krause", "lehmann", "koehler", "maier", "koenig", "walter",
  "huber", "kaiser", "fuchs", "peters", "lang", "scholz", "jung", "moeller", "weiss", "keller",
];

// The web tier runs as www-data, the workers and the scheduler as core4.
const _APP_HOSTS = ["app-01.core4.local", "app-02.core4.local"];
const _WORKER_HOSTS = ["worker-01.core4.local", "worker-02.core4.local", "worker-03.core4.local"];
const _WEB_USER = "www-data";
const _CORE4_USER = "core4";

const _LOGIN_HANDLER = "core4.api.v1.request.role.login.LoginHandler";
const _ROLE = "core4.api.v1.request.role.model.CoreRole";
const _REQUEST_HANDLER = "core4.api.v1.request.main.CoreRequestHandler";
const _WORKER = "core4.queue.worker.CoreWorker";
const _SCHEDULER = "core4.queue.scheduler.CoreScheduler";
const _QUEUE = "core4.queue.main.CoreQueue";
const _JOBS = [
  "mkt.report.job.DailyReport",
  "mkt.report.job.WeeklyDigest",
  "mkt.etl.facebook.ImportInsights",
  "mkt.etl.adwords.ImportCampaigns",
  "core4.queue.helper.job.example.DummyJob",
  "core4.account.job.SyncAccounts",
];
const _WORKER_STEPS = ["work_jobs", "remove_jobs", "nonstop_jobs", "kill_jobs", "nopid_jobs", "collect_stats"];
const _PATHS = [
  "/core4/api/v1/profile",
  "/core4/api/v1/jobs",
  "/core4/api/v1/roles",
  "/core4/api/v1/info",
  "/core4/api/v1/event/history",
  "/mkt/api/v1/report/daily",
  "/mkt/api/v1/report/campaign",
];
const _METHODS = ["GET", "GET", "GET", "POST", "PUT"];
const _STRANGERS = ["root", "test", "guest", "administrator"];
const _EXCEPTIONS: ReadonlyArray<{ info: string; frame: string }> = [
  {
    info: "ConnectionError(\"HTTPSConnectionPool(host='graph.facebook.com', port=443): Read timed out.\")",
    frame: 'File "/srv/core4/project/mkt/etl/facebook.py", line 214, in execute\n    data = self.fetch(page)',
  },
  {
    info: "KeyError('account_id')",
    frame: 'File "/srv/core4/project/mkt/report/job.py", line 88, in execute\n    account = row["account_id"]',
  },
  {
    info: "ServerSelectionTimeoutError('mongo-01.core4.local:27017: timed out')",
    frame:
      'File "/srv/core4/lib/core4/queue/main.py", line 412, in lock_job\n    ret = self.config.sys.lock.insert_one(doc)',
  },
  {
    info: "ZeroDivisionError('division by zero')",
    frame: 'File "/srv/core4/project/mkt/report/job.py", line 131, in ratio\n    return clicks / impressions',
  },
];

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
    // Counted from the records themselves, the way home-usage's seed preset reads them.
    if (record.user !== undefined && record.user !== _ADMIN) {
      logins++;
      people.add(record.user);
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
  const f = _FIRST_NAMES.length;
  const l = _LAST_NAMES.length;
  const a = index % f;
  // Shifting the last name by the first keeps every (first, last) pair of a round unique.
  const b = (a + Math.floor(index / f)) % l;
  const round = Math.floor(index / (f * l));
  return `${_FIRST_NAMES[a]}.${_LAST_NAMES[b]}${round === 0 ? "" : round + 1}`;
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
  level: _Level;
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
    levelno: _LEVELNO[fields.level],
    username: fields.username,
    hostname: fields.hostname,
    identifier: fields.identifier,
    qual_name: fields.qual_name,
    epoch: seconds + micros / 1e6,
  };
}

function _pushLogin(records: DemoLogRecord[], random: _Random, dayStart: number, name: string, roleId: string): void {
  const seconds = dayStart + _loginSecond(random);
  const hostname = random.pick(_APP_HOSTS);
  const identifier = _hexId(random, seconds);
  const micros = random.int(900_000);
  const login = _record(random, seconds, micros, {
    message: "successful login",
    level: "INFO",
    username: _WEB_USER,
    hostname,
    identifier,
    qual_name: _LOGIN_HANDLER,
  });
  login.user = name;
  records.push(login);
  // The role update follows the login within the same request and the same second.
  records.push(
    _record(random, seconds, micros + 1 + random.int(99_000), {
      message: `set [last_login] for role [${name}] with _id [${roleId}]`,
      level: "INFO",
      username: _WEB_USER,
      hostname,
      identifier,
      qual_name: _ROLE,
    }),
  );
}

function _exception(random: _Random): { info: string; text: string } {
  const { info, frame } = random.pick(_EXCEPTIONS);
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
  const micros = random.int(1_000_000);
  const worker = random.pick(_WORKER_HOSTS);
  const workerName = worker.slice(0, worker.indexOf("."));
  const app = random.pick(_APP_HOSTS);
  const ip = `10.0.${random.int(4)}.${2 + random.int(250)}`;
  const push = (fields: _Fields, exception = false) => {
    const record = _record(random, seconds, micros, fields);
    if (exception && random.next() < 0.6) record.exception = _exception(random);
    records.push(record);
    return 1;
  };
  const onWorker = (level: _Level, message: string, identifier: string | null = workerName) =>
    push(
      { message, level, username: _CORE4_USER, hostname: worker, identifier, qual_name: _WORKER },
      _LEVELNO[level] >= _LEVELNO.ERROR,
    );
  const request = (level: _Level, status: number, method: string, path: string) =>
    push(
      {
        message: `${status} ${method} ${path} (${ip}) ${(1 + random.next() * (status >= 500 ? 900 : 180)).toFixed(2)}ms`,
        level,
        username: _WEB_USER,
        hostname: app,
        identifier: _hexId(random, seconds),
        qual_name: _REQUEST_HANDLER,
      },
      level === "ERROR",
    );

  const r = random.next();
  if (r < 0.55) {
    const d = random.int(5);
    if (d === 0) return onWorker("DEBUG", `enter [${random.pick(_WORKER_STEPS)}] at cycle [${1 + random.int(90_000)}]`);
    if (d === 1) return onWorker("DEBUG", `exit [${random.pick(_WORKER_STEPS)}] at cycle [${1 + random.int(90_000)}]`);
    if (d === 2) return onWorker("DEBUG", `next job from bottom chunk [${_hexId(random, seconds - random.int(3600))}]`);
    if (d === 3) {
      const at = new Date(seconds * 1000).toISOString().replace("T", " ").slice(0, 19);
      return onWorker("DEBUG", `successfully launched job [${_hexId(random, seconds)}] at [${at}]`);
    }
    return push({
      message: `prepare ${random.pick(_METHODS)} ${random.pick(_PATHS)} from [${ip}]`,
      level: "DEBUG",
      username: _WEB_USER,
      hostname: app,
      identifier: _hexId(random, seconds),
      qual_name: _REQUEST_HANDLER,
    });
  }
  if (r < 0.8) {
    const d = random.int(5);
    if (d === 0) {
      // A job logs its start and, minutes later on the same day, its end under the same identifier.
      const job = random.pick(_JOBS);
      const identifier = _hexId(random, seconds - random.int(600));
      const fields = { level: "INFO" as const, username: _CORE4_USER, hostname: worker, identifier, qual_name: job };
      push({ ...fields, message: "start execution" });
      const runtime = 1 + random.int(900);
      const endSeconds = Math.min(seconds + runtime, dayStart + _DAY_S - 1);
      records.push(
        // Cut short at midnight, the end may share the start's second; it must still sort after it.
        _record(random, endSeconds, endSeconds === seconds ? 999_999 : random.int(1_000_000), {
          ...fields,
          message: `done execution with [complete] after [${runtime}.${random.int(100)}] sec.`,
        }),
      );
      return 2;
    }
    if (d === 1 || d === 2) return request("INFO", 200, random.pick(_METHODS), random.pick(_PATHS));
    if (d === 3) {
      return push({
        message: `enqueued job [${random.pick(_JOBS)}] with _id [${_hexId(random, seconds)}]`,
        level: "INFO",
        username: _CORE4_USER,
        hostname: _WORKER_HOSTS[0] as string,
        identifier: null,
        qual_name: _SCHEDULER,
      });
    }
    return onWorker("INFO", `cleanup removed [${random.int(3)}] sys.lock records`, null);
  }
  if (r < 0.94) {
    const d = random.int(4);
    if (d === 0) {
      // Mostly real people mistyping their password, sometimes someone trying a default account.
      const who = random.next() < 0.8 && joined.length > 0 ? random.pick(joined) : random.pick(_STRANGERS);
      return push({
        message: `failed login of user [${who}] from [${ip}]`,
        level: "WARNING",
        username: _WEB_USER,
        hostname: app,
        identifier: _hexId(random, seconds),
        qual_name: _LOGIN_HANDLER,
      });
    }
    if (d === 1) return request("WARNING", random.pick([401, 403, 404]), "GET", random.pick(_PATHS));
    if (d === 2) return onWorker("WARNING", `successfully set non-stop job [${_hexId(random, seconds - 7200)}]`);
    return push({
      message: `defer execution with [${random.int(5)}] attempts left`,
      level: "WARNING",
      username: _CORE4_USER,
      hostname: worker,
      identifier: _hexId(random, seconds - random.int(3600)),
      qual_name: random.pick(_JOBS),
    });
  }
  if (r < 0.99) {
    const d = random.int(3);
    if (d === 0) return request("ERROR", 500, "POST", random.pick(_PATHS));
    if (d === 1) return onWorker("ERROR", `failed to journal and remove job [${_hexId(random, seconds - 86_000)}]`);
    return push(
      {
        message: "failed execution",
        level: "ERROR",
        username: _CORE4_USER,
        hostname: worker,
        identifier: _hexId(random, seconds - random.int(3600)),
        qual_name: random.pick(_JOBS),
      },
      true,
    );
  }
  if (random.next() < 0.5) {
    return push(
      {
        message: "lost connection to [mongo-01.core4.local:27017]",
        level: "CRITICAL",
        username: _CORE4_USER,
        hostname: worker,
        identifier: workerName,
        qual_name: _QUEUE,
      },
      true,
    );
  }
  return onWorker("CRITICAL", `failed to update job [${_hexId(random, seconds - 600)}] state [failed]`);
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
