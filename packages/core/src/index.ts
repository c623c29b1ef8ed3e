export {
  type AggregationOptions,
  type AggregationProgress,
  type AggregationResult,
  parseRunDates,
  type RunDates,
  runAggregation,
} from "./aggregation.js";
export { type ChartOptions, renderChart } from "./chart.js";
export { type ConfigSources, type HomeUsageConfig, loadConfig, type Namespace } from "./config.js";
export { type Cookie, createCookieStore, type RunRecord } from "./cookie.js";
export { connectDatabase, formatNamespace, redactUri } from "./database.js";
export { countDays, type DayRange, parseDate, toDayRange } from "./date-range.js";
export { type EmbedArguments, parseDuration, signEmbedToken, verifyEmbedToken } from "./embed-token.js";
export { type ErrorCode, HomeUsageError } from "./errors.js";
export { acquireLock, type LockDocument, lockId, readLock } from "./lock.js";
export { createLogger, type LogFormat, type Logger } from "./logger.js";
export {
  checkLoginSignalOnDatabase,
  compileLoginSignal,
  frequentMessages,
  LOGIN_PRESETS,
  type LoginMatcher,
  type LoginPattern,
  type LoginPreset,
  type LoginSignal,
  loginPreset,
} from "./login-signal.js";
export { PERIODS, type Period, type PeriodKeys, parsePeriod, periodKeys, startOfDay } from "./periods.js";
export { formatReport, REPORT_FORMATS, type ReportFormat } from "./report-format.js";
export { createRollupStore, type RollupDay, type UserDay } from "./rollup.js";
export {
  describeSetting,
  type Program,
  SETTINGS,
  type Setting,
  type SettingKey,
  settingOptions,
  settingsTable,
} from "./settings.js";
export { readStatus, type Status } from "./status.js";
export { parseUsageArguments, type UsageArguments } from "./usage-arguments.js";
export { type UsageQuery, type UsageReport, type UsageRow, uniqueUsers } from "./usage-query.js";
