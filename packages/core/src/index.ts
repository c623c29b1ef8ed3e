export {
  type AggregationOptions,
  type AggregationProgress,
  type AggregationResult,
  parseRunDates,
  type RunDates,
  runAggregation,
} from "./aggregation.js";
export {
  CHART_METRICS,
  CHART_THEMES,
  type ChartMetric,
  type ChartOptions,
  type ChartRow,
  type ChartTheme,
  calendarTicks,
  chartTitle,
  parseMetric,
  renderChart,
} from "./chart.js";
export { type PngOptions, renderPng } from "./chart-png.js";
export { type ConfigSources, type HomeUsageConfig, loadConfig, type Namespace } from "./config.js";
export { type Cookie, checkCookie, createCookieStore, type RunRecord } from "./cookie.js";
export { connectDatabase, formatNamespace, redactUri } from "./database.js";
export { countDays, type DayRange, parseDate, toDayRange } from "./date-range.js";
export {
  type EmbedArguments,
  MAX_EMBED_LIFETIME_MS,
  MAX_TITLE_LENGTH,
  parseDuration,
  signEmbedToken,
  verifyEmbedToken,
} from "./embed-token.js";
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
export { listPeople, type PersonRow, type RoleDocument } from "./people-list.js";
export {
  PERIODS,
  type Period,
  type PeriodKeys,
  type PeriodSpan,
  parsePeriod,
  periodKeys,
  periodOf,
  startOfDay,
} from "./periods.js";
export { formatReport, formatTable, REPORT_FORMATS, type ReportFormat } from "./report-format.js";
export {
  createRollupStore,
  type DayDocument,
  type PeriodDocument,
  type PeriodSummary,
  type RollupSettings,
  type RollupStore,
  type SummaryPage,
} from "./rollup.js";
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
export {
  queryDays,
  readUsage,
  rollupZone,
  type UsageQuery,
  type UsageReport,
  type UsageRow,
} from "./usage-report.js";
export { createUsageService, type UsageService } from "./usage-service.js";
