export type { RoleDocument } from "./accounts/core4-roles.js";
export { type Core4SignIn, createCore4SignIn } from "./accounts/core4-sign-in.js";
export { looksLikeJwt, verifyCore4Token } from "./accounts/core4-token.js";
export {
  CHART_METRICS,
  CHART_SIZE,
  CHART_THEMES,
  type ChartMetric,
  type ChartOptions,
  type ChartRow,
  type ChartTheme,
  chartTitle,
  parseMetric,
  renderChart,
} from "./chart/chart.js";
export { type PngOptions, pngTheme, renderPng } from "./chart/chart-png.js";
export { renderErrorChart } from "./chart/error-chart.js";
export { type RetentionChartOptions, renderRetentionChart } from "./chart/retention-chart.js";
export { collections } from "./collections.js";
export { connectDatabase, formatNamespace, isOutOfTime, redactUri } from "./database.js";
export { type DigestMessage, type DigestPlan, messageFor, planDigest, sendDigest } from "./digest/digest.js";
export type { DigestPeriod } from "./digest/digest-content.js";
export { type DigestMail, digestMail } from "./digest/digest-mail.js";
export { type DigestTarget, parseTargets } from "./digest/digest-target.js";
export { MAX_TITLE_LENGTH, parseDuration, signEmbedToken, verifyEmbedToken } from "./embed/embed-token.js";
export { type ErrorCode, HomeUsageError } from "./errors.js";
export { htmlDocument } from "./html-document.js";
export { type AggregationProgress, type AggregationResult, parseRunDates, runAggregation } from "./job/aggregation.js";
export type { SkippedBy } from "./job/cookie.js";
export { MAX_NAME_LENGTH } from "./job/run-tally.js";
export { readStatus } from "./job/status.js";
export { compileLoginSignal } from "./log/login-signal.js";
export { createLogger, type LogFormat, type Logger } from "./logger.js";
export { type ForgetOptions, type ForgetResult, forgetPeople } from "./privacy/forget.js";
export {
  HIDDEN_NAMES_MESSAGE,
  type NamesMode,
  type NamesPolicy,
  namesPolicy,
  refuseHiddenNames,
} from "./privacy/names-policy.js";
export { identityOf, isPseudonym, pseudonym } from "./privacy/pseudonym.js";
export { GROUP_COLUMNS, type GroupLine, type GroupReport, type GroupRow } from "./report/group-report.js";
export {
  type Change,
  type Headline,
  headlineSentences,
  headlineText,
  reportHeadline,
} from "./report/headline.js";
export { PERSON_COLUMNS, type PersonRow } from "./report/people-list.js";
export {
  formatReport,
  formatTable,
  printable,
  publishedRows,
  REPORT_FORMATS,
  type ReportFormat,
  usageColumns,
} from "./report/report-format.js";
export { type ReportRange, reportRange } from "./report/report-range.js";
export {
  parseCohort,
  parseRetentionArguments,
  parseRetentionPeriods,
  type RetentionArguments,
  type RetentionQuery,
} from "./report/retention-arguments.js";
export {
  formatRetention,
  RETENTION_DEFINITION,
  type RetentionReport,
  type RetentionRow,
} from "./report/retention-report.js";
export { parseUsageArguments, type UsageArguments } from "./report/usage-arguments.js";
export type { UsageQuery, UsageReport, UsageRow } from "./report/usage-report.js";
export { createUsageService } from "./report/usage-service.js";
export {
  headlineField,
  type MetricField,
  metricColumns,
  termOf,
} from "./report/vocabulary.js";
export { clockOf, type HomeUsageConfig, loadConfig } from "./settings/config.js";
export { SETTINGS, type SettingKey, settingOptions, settingsTable } from "./settings/settings.js";
export { sharedRead } from "./shared-read.js";
export { parseDate } from "./time/date-range.js";
export { nextPeriod, type Period, periodOfLabel } from "./time/periods.js";
