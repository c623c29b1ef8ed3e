// What the demo log says, as data: who logs what, how often, with which words. `{name}` placeholders are
// filled by FILLERS in demo-data.ts; adding a kind of record is adding a row here.

export type Level = "DEBUG" | "INFO" | "WARNING" | "ERROR" | "CRITICAL";

export const LEVELNO: Record<Level, number> = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 };

/** Who writes a record: its username, host, qual_name and identifier follow from this. */
export type Writer =
  | "login" // core4's login handler, on an app host, as www-data, one identifier per request
  | "role" // core4's role model, in the login's request
  | "request" // the request handler, on an app host
  | "worker" // a worker, on a worker host, as core4, identified by the worker's name
  | "worker-job" // a worker about a job, identified by no one
  | "scheduler" // the scheduler, on the first worker host
  | "job"; // a job, on a worker host, identified by the job's id

/**
 * One way a login is written. `user: "field"` puts the person in the record's `user` field (the use case);
 * otherwise the message names them.
 */
export interface LoginStyle {
  name: string;
  /** Relative frequency among logins. */
  weight: number;
  writer: Writer;
  message: string;
  user?: "field";
}

export const LOGIN_STYLES: readonly LoginStyle[] = [
  {
    name: "set last_login",
    weight: 5,
    writer: "role",
    message: "set [last_login] for role [{person}] with _id [{roleId}]",
  },
  { name: "successful login", weight: 3, writer: "login", message: "successful login", user: "field" },
  { name: "login user", weight: 2, writer: "login", message: "login user [{person}] with _id [{roleId}]" },
];

/** One kind of record that is not a login. */
export interface NoiseTemplate {
  /** Relative frequency among noise. */
  weight: number;
  level: Level;
  writer: Writer;
  message: string;
  /** A second message the same writer logs minutes later on the same day (a job's end). */
  followedBy?: string;
  /** Carries a traceback, sometimes (ERROR and CRITICAL only). */
  exception?: boolean;
}

// Mostly debug chatter, less info, fewer warnings, rare errors, very rare critical ones.
export const NOISE: readonly NoiseTemplate[] = [
  { weight: 110, level: "DEBUG", writer: "worker", message: "enter [{step}] at cycle [{cycle}]" },
  { weight: 110, level: "DEBUG", writer: "worker", message: "exit [{step}] at cycle [{cycle}]" },
  { weight: 110, level: "DEBUG", writer: "worker", message: "next job from bottom chunk [{hourAgoId}]" },
  { weight: 110, level: "DEBUG", writer: "worker", message: "successfully launched job [{id}] at [{timestamp}]" },
  { weight: 110, level: "DEBUG", writer: "request", message: "prepare {method} {path} from [{ip}]" },
  {
    weight: 50,
    level: "INFO",
    writer: "job",
    message: "start execution",
    followedBy: "done execution with [complete] after [{runtime}] sec.",
  },
  { weight: 100, level: "INFO", writer: "request", message: "200 {method} {path} ({ip}) {fastMs}ms" },
  // core4's access log: one record per request, `None` for anonymous ones; 4xx are warnings.
  {
    weight: 60,
    level: "INFO",
    writer: "request",
    message: "[{okStatus}] [{method} {path}] in [{fastMs}ms] by [{caller}] from [{appHost}]",
  },
  { weight: 50, level: "INFO", writer: "scheduler", message: "enqueued job [{job}] with _id [{id}]" },
  { weight: 50, level: "INFO", writer: "worker-job", message: "cleanup removed [{few}] sys.lock records" },
  // Mostly real people mistyping their password, sometimes someone trying a default account.
  { weight: 35, level: "WARNING", writer: "login", message: "failed login of user [{someone}] from [{ip}]" },
  { weight: 35, level: "WARNING", writer: "request", message: "{clientError} GET {path} ({ip}) {fastMs}ms" },
  {
    weight: 15,
    level: "WARNING",
    writer: "request",
    message: "[{clientError}] [GET {path}] in [{fastMs}ms] by [{caller}] from [{appHost}]",
  },
  { weight: 35, level: "WARNING", writer: "worker", message: "successfully set non-stop job [{hoursAgoId}]" },
  { weight: 35, level: "WARNING", writer: "job", message: "defer execution with [{few}] attempts left" },
  {
    weight: 17,
    level: "ERROR",
    writer: "request",
    message: "500 POST {path} ({ip}) {slowMs}ms",
    exception: true,
  },
  {
    weight: 17,
    level: "ERROR",
    writer: "worker",
    message: "failed to journal and remove job [{dayAgoId}]",
    exception: true,
  },
  { weight: 16, level: "ERROR", writer: "job", message: "failed execution", exception: true },
  {
    weight: 5,
    level: "CRITICAL",
    writer: "worker",
    message: "lost connection to [mongo-01.core4.local:27017]",
    exception: true,
  },
  {
    weight: 5,
    level: "CRITICAL",
    writer: "worker",
    message: "failed to update job [{tenMinutesAgoId}] state [failed]",
    exception: true,
  },
];

// biome-ignore format: a table
export const FIRST_NAMES = [
  "anna", "ben", "clara", "david", "emma", "felix", "greta", "hannah", "ida", "jonas",
  "karl", "lena", "max", "nina", "oskar", "paula", "quentin", "rosa", "simon", "tina",
  "uwe", "vera", "walter", "xenia", "yusuf", "zoe", "lukas", "marie", "noah", "sophie",
  "elias", "lea", "paul", "mia", "leon", "laura", "finn", "julia", "tim", "sarah",
];
// biome-ignore format: a table
export const LAST_NAMES = [
  "schmidt", "mueller", "schneider", "fischer", "weber", "meyer", "wagner", "becker", "schulz", "hoffmann",
  "koch", "richter", "klein", "wolf", "schroeder", "neumann", "schwarz", "braun", "zimmermann", "krueger",
  "hofmann", "hartmann", "lange", "werner", "krause", "lehmann", "koehler", "maier", "koenig", "walter",
  "huber", "kaiser", "fuchs", "peters", "lang", "scholz", "jung", "moeller", "weiss", "keller",
];

/** Accounts in sys.role that never log in: technical ones, and people who left (disabled). */
export const IDLE_ACCOUNTS: readonly { name: string; email: string; is_active: boolean }[] = [
  { name: "monitoring", email: "monitoring@core4.local", is_active: true },
  { name: "reporting-bot", email: "reporting@core4.local", is_active: true },
  { name: "olga.berger", email: "olga.berger@example.com", is_active: true },
  { name: "rainer.vogel", email: "rainer.vogel@example.com", is_active: false },
  { name: "susi.engel", email: "susi.engel@example.com", is_active: false },
];

/**
 * core4 groups (roles without an email): divisions, teams inside them (`parent`), and one group that was
 * switched off. `members` are the people whose number ends in these digits (person number modulo 10).
 */
export const DEMO_GROUPS: readonly {
  name: string;
  parent?: string;
  is_active: boolean;
  perm: readonly string[];
  members?: readonly number[];
}[] = [
  { name: "marketing", is_active: true, perm: ["app://mkt"] },
  { name: "mkt-analytics", parent: "marketing", is_active: true, perm: ["api://mkt.report"], members: [0, 1] },
  { name: "mkt-campaigns", parent: "marketing", is_active: true, perm: ["api://mkt.etl"], members: [2] },
  { name: "sales", is_active: true, perm: ["app://sales"] },
  { name: "sales-north", parent: "sales", is_active: true, perm: [], members: [3, 4] },
  { name: "sales-south", parent: "sales", is_active: true, perm: [], members: [5] },
  { name: "engineering", is_active: true, perm: ["job://core4.*"], members: [7] },
  { name: "platform", parent: "engineering", is_active: true, perm: ["cop"], members: [6] },
  // Switched off: its members count in no group through it.
  { name: "legacy-reporting", is_active: false, perm: ["api://mkt.report"], members: [9] },
];

export const APP_HOSTS = ["app-01.core4.local", "app-02.core4.local"];
export const WORKER_HOSTS = ["worker-01.core4.local", "worker-02.core4.local", "worker-03.core4.local"];
export const STRANGERS = ["root", "test", "guest", "administrator"];
export const JOBS = [
  "mkt.report.job.DailyReport",
  "mkt.report.job.WeeklyDigest",
  "mkt.etl.facebook.ImportInsights",
  "mkt.etl.adwords.ImportCampaigns",
  "core4.queue.helper.job.example.DummyJob",
  "core4.account.job.SyncAccounts",
];
export const WORKER_STEPS = ["work_jobs", "remove_jobs", "nonstop_jobs", "kill_jobs", "nopid_jobs", "collect_stats"];
export const PATHS = [
  "/core4/api/v1/profile",
  "/core4/api/v1/jobs",
  "/core4/api/v1/roles",
  "/core4/api/v1/info",
  "/core4/api/v1/event/history",
  "/mkt/api/v1/report/daily",
  "/mkt/api/v1/report/campaign",
];
export const METHODS = ["GET", "GET", "GET", "POST", "PUT"];
export const EXCEPTIONS: ReadonlyArray<{ info: string; frame: string }> = [
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
