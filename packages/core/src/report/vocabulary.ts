import type { ChartMetric } from "../chart/chart.js";
import type { UsageRow } from "./usage-report.js";

/** What a number is: people and logins are counts, stickiness a share, the rest counts of people. */
export type MetricUnit = "people" | "logins" | "ratio";

/** One metric of a report row as a reader meets it: its field, its name, its unit and what it means. */
export interface MetricTerm {
  field: keyof UsageRow;
  /** The words the page, the charts and the headline use for it. */
  label: string;
  unit: MetricUnit;
  /** One sentence, the same on the page and in the README. */
  description: string;
}

/**
 * The metrics of a report row, in the README's order: the one source of their names and definitions
 * (a test checks the README's list says the same).
 */
export const METRIC_TERMS = [
  {
    field: "user",
    label: "distinct people",
    unit: "people",
    description: "the people with at least one login in the period, each counted once.",
  },
  { field: "logins", label: "logins", unit: "logins", description: "every login in the period." },
  {
    field: "previous",
    label: "people the period before",
    unit: "people",
    description: "the distinct people of the whole period just before, even when it lies before the range.",
  },
  {
    field: "new",
    label: "new",
    unit: "people",
    description: "people who logged in for the first time ever in the period.",
  },
  {
    field: "returning",
    label: "returning",
    unit: "people",
    description: "people who came in the period and in the period before.",
  },
  {
    field: "resurrected",
    label: "resurrected",
    unit: "people",
    description: "people who came in the period, not in the period before, but at some time earlier.",
  },
  {
    field: "dormant",
    label: "dormant",
    unit: "people",
    description: "people who came in the period before but not in this one.",
  },
  {
    field: "dailyAverage",
    label: "people per day",
    unit: "people",
    description: "the mean, over the period's processed days, of each day's distinct people.",
  },
  {
    field: "stickiness",
    label: "stickiness",
    unit: "ratio",
    description:
      "people per day divided by the period's distinct people (0 when nobody came): the share of the period's people a typical day sees, from 0 to 100 %.",
  },
  {
    field: "active7",
    label: "active in 7 days",
    unit: "people",
    description: "days only: the distinct people with a login in the 7 days ending with the day.",
  },
  {
    field: "active28",
    label: "active in 28 days",
    unit: "people",
    description: "days only: the distinct people with a login in the 28 days ending with the day.",
  },
] as const satisfies readonly MetricTerm[];

export type MetricField = (typeof METRIC_TERMS)[number]["field"];

/** The term of a row field. */
export function termOf(field: MetricField): MetricTerm {
  return METRIC_TERMS.find((t) => t.field === field) as MetricTerm;
}

/** The decimals each number field is written with in every format that writes text. */
export const FIELD_DECIMALS: Partial<Record<keyof UsageRow, number>> = { dailyAverage: 2, stickiness: 4 };

/** A metric's value as a reader sees it: counts with thousands separators, a ratio as a percentage. */
export function formatMetric(field: MetricField, value: number): string {
  if (termOf(field).unit === "ratio") return `${Math.round(value * 100)} %`;
  const decimals = FIELD_DECIMALS[field] ?? 0;
  return value.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** The row fields that show a metric: the lifecycle is four of them. */
export const METRIC_FIELDS: Record<ChartMetric, readonly MetricField[]> = {
  users: ["user"],
  logins: ["logins"],
  active7: ["active7"],
  active28: ["active28"],
  new: ["new"],
  returning: ["returning"],
  resurrected: ["resurrected"],
  dormant: ["dormant"],
  stickiness: ["stickiness"],
  lifecycle: ["new", "returning", "resurrected", "dormant"],
  groups: ["user"],
};

/** The field a metric's headline speaks of: the lifecycle's is the people who came. */
export const headlineField = (metric: ChartMetric): MetricField =>
  metric === "lifecycle" ? "user" : (METRIC_FIELDS[metric][0] as MetricField);

/** A report's columns for one metric: the period, the metric's fields, and whether the period is partial. */
export const metricColumns = (metric: ChartMetric): (keyof UsageRow)[] => [
  "timestamp",
  "period",
  ...METRIC_FIELDS[metric],
  "partial",
];
