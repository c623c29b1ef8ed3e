export {
  CORE4_ADMIN_PERMISSION,
  createRoleGraph,
  isAccount,
  type RoleDocument,
  type RoleGraph,
  readRoles,
} from "./accounts/core4-roles.js";
export {
  type AccountAccess,
  type Core4SignIn,
  type Core4SignInOptions,
  createCore4SignIn,
  type SignInOutcome,
} from "./accounts/core4-sign-in.js";
export { type Core4Token, looksLikeJwt, verifyCore4Token } from "./accounts/core4-token.js";
export {
  dummyPasswordHash,
  type ParsedPasswordHash,
  type PasswordHash,
  parsePasswordHash,
  verifyPasswordHash,
} from "./accounts/password-hash.js";
export {
  CHART_METRICS,
  CHART_SIZE,
  CHART_THEMES,
  type ChartMetric,
  type ChartOptions,
  type ChartRow,
  type ChartTheme,
  calendarTicks,
  chartTitle,
  parseMetric,
  renderChart,
} from "./chart/chart.js";
export { type PngOptions, renderPng } from "./chart/chart-png.js";
export { type ErrorChartOptions, renderErrorChart } from "./chart/error-chart.js";
export { type RetentionChartOptions, renderRetentionChart, retentionTitle } from "./chart/retention-chart.js";
export { type Collections, collections } from "./collections.js";
export { boundedQuery, connectDatabase, formatNamespace, isOutOfTime, lostDatabase, redactUri } from "./database.js";
export {
  type EmbedArguments,
  MAX_EMBED_LIFETIME_MS,
  MAX_TITLE_LENGTH,
  parseDuration,
  signEmbedToken,
  verifyEmbedToken,
} from "./embed/embed-token.js";
export { type ErrorCode, HomeUsageError } from "./errors.js";
export {
  type AggregationOptions,
  type AggregationProgress,
  type AggregationResult,
  parseRunDates,
  type RunDates,
  runAggregation,
} from "./job/aggregation.js";
export {
  type Cookie,
  checkCookie,
  createCookieStore,
  type RunRecord,
  type SignalCount,
  type SkippedBy,
} from "./job/cookie.js";
export { acquireLock, checkLock, type LockDocument, lockId, readLock } from "./job/lock.js";
export { MAX_NAME_LENGTH } from "./job/run-tally.js";
export { readStatus, type Status } from "./job/status.js";
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
} from "./log/login-signal.js";
export { createLogger, type LogFormat, type Logger } from "./logger.js";
export {
  CHART_GROUPS,
  type GroupLine,
  type GroupReport,
  type GroupRow,
  NO_ACCOUNT,
  NO_GROUP,
  OTHER_GROUPS,
  readGroups,
} from "./report/group-report.js";
export {
  type Change,
  changeOf,
  type Figure,
  type Headline,
  type HeadlineSentence,
  headlineOf,
  headlineSentences,
  headlineText,
  sameElapsedRange,
} from "./report/headline.js";
export { listPeople, type PersonRow } from "./report/people-list.js";
export {
  formatReport,
  formatTable,
  neutralised,
  printable,
  REPORT_FORMATS,
  type ReportFormat,
} from "./report/report-format.js";
export {
  COHORT_KINDS,
  type CohortKind,
  parseCohort,
  parseRetentionArguments,
  parseRetentionPeriods,
  type RetentionArguments,
  type RetentionQuery,
} from "./report/retention-arguments.js";
export {
  formatRetention,
  formatShare,
  RETENTION_COLUMNS,
  RETENTION_DEFINITION,
  type RetentionReport,
  type RetentionRow,
  readRetention,
} from "./report/retention-report.js";
export { parseUsageArguments, type UsageArguments } from "./report/usage-arguments.js";
export {
  queryDays,
  readUsage,
  rollupZone,
  type UsageQuery,
  type UsageReport,
  type UsageRow,
} from "./report/usage-report.js";
export { createUsageService, type OpenedRetention, type UsageService } from "./report/usage-service.js";
export {
  FIELD_DECIMALS,
  formatMetric,
  headlineField,
  METRIC_FIELDS,
  METRIC_TERMS,
  type MetricField,
  type MetricTerm,
  type MetricUnit,
  metricColumns,
  termOf,
} from "./report/vocabulary.js";
export {
  createRollupStore,
  type DayDocument,
  type PeriodDocument,
  type PeriodSummary,
  type RollupSettings,
  type RollupStore,
  type SummaryPage,
} from "./rollup/rollup.js";
export { type ConfigSources, type HomeUsageConfig, loadConfig, type Namespace } from "./settings/config.js";
export {
  describeSetting,
  type Program,
  SETTINGS,
  type Setting,
  type SettingKey,
  settingOptions,
  settingsTable,
} from "./settings/settings.js";
export { sharedRead } from "./shared-read.js";
export { countDays, type DayRange, parseDate, toDayRange } from "./time/date-range.js";
export {
  PERIODS,
  type Period,
  type PeriodKeys,
  type PeriodSpan,
  parsePeriod,
  periodKeys,
  periodOf,
  startOfDay,
} from "./time/periods.js";
