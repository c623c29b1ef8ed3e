import { DateTime } from "luxon";
import { type Accounts, createRoleGraph, isAccount } from "../accounts/core4-roles.js";
import { HomeUsageError } from "../errors.js";
import { People } from "../rollup/people.js";
import type { RollupSettings, RollupStore } from "../rollup/rollup.js";
import { coverDays, nextDay, type PeriodSpan, periodsBetween } from "../time/periods.js";
import { queryDays, rowBounds, type UsageQuery } from "./usage-report.js";

/** Where people whose account reaches no group count. */
export const NO_GROUP = "(none)";
/** Where people count who log in under a name core4 has no account for. */
export const NO_ACCOUNT = "(no account)";
/** The chart's line for every group beyond the largest. */
export const OTHER_GROUPS = "other";
/** The most groups the chart draws as lines of their own. */
export const CHART_GROUPS = 8;
/**
 * The most periods one groups report reads the people of: twenty years of weeks. Unlike `/raw`, which
 * reads summary pages, a groups report reads a document per period, so twenty years of days would be
 * 7,305 look-ups for one request.
 */
export const MAX_GROUP_PERIODS = 1100;

/** A group row's published fields, in order: `/usage/login/groups` and `report --by group`. */
export const GROUP_COLUMNS = [
  "timestamp",
  "period",
  "group",
  "user",
  "logins",
  "suppressed",
] as const satisfies readonly (keyof GroupRow)[];

/** One group in one period. A group of 1 to k−1 people is suppressed: `user` and `logins` are null. */
export interface GroupRow {
  /** The period's start, ISO 8601 in the rollup's zone. */
  timestamp: string;
  /** Its end, exclusive, as `UsageRow.end`; not published (`GROUP_COLUMNS`). */
  end: string;
  period: string;
  /** The group's name in core4, `(none)` or `(no account)`. */
  group: string;
  /** Distinct people of the group with a login in the period (within the range); null when suppressed. */
  user: number | null;
  /** Their logins; null when suppressed. */
  logins: number | null;
  suppressed: boolean;
}

/** One point of one chart line: a group (or `other`) in one period; null where suppressed. */
export interface GroupLine {
  timestamp: string;
  /** The period's end, exclusive: where its bar ends. */
  end: string;
  period: string;
  group: string;
  user: number | null;
  /** The range cuts the period, or some of its days are not processed yet (the period in progress). */
  partial: boolean;
}

export interface GroupReport {
  rows: GroupRow[];
  /** The chart's lines: the largest groups of the range (at most 8), then `other`, period by period. */
  lines: GroupLine[];
  /** Labels of periods in the range without a processed day, so without rows. */
  missing: string[];
  timezone: string;
  asOf: Date | null;
  /** The smallest group shown; smaller non-empty ones are suppressed. */
  minGroupSize: number;
  databaseMs: number;
}

/**
 * Distinct people per period and core4 group. People come from the rollup's people of each period
 * (the part inside the range of a period the range cuts, as `/raw` counts it); memberships from
 * `sys.role` as it is now, cascaded as core4 does. A person counts in every group reached, so groups
 * do not add up to the period's distinct people.
 */
export async function readGroups(
  store: RollupStore,
  settings: RollupSettings | null,
  roles: Accounts,
  query: UsageQuery,
  context: {
    zone: string;
    minGroupSize: number;
    maxTimeMS?: number;
    signal?: AbortSignal;
    identity?: (user: string) => string;
  },
): Promise<GroupReport> {
  const began = Date.now();
  const { zone, minGroupSize } = context;
  const days = queryDays(query, zone);
  const spans = periodsBetween(days.first, days.end, query.aggregate);
  if (spans.length > MAX_GROUP_PERIODS) {
    throw new HomeUsageError(
      "E_USAGE",
      `aggregate: a groups report reads the people of each period, at most ${MAX_GROUP_PERIODS}; this range has ${spans.length} ${query.aggregate}s: choose a longer aggregate or a shorter range`,
    );
  }
  const processedEnd = settings?.last ? nextDay(DateTime.fromISO(settings.last, { zone })) : undefined;
  // Both reads at once, awaited together, so a failure of either is the one answer.
  const [roleDocs, people] = await Promise.all([
    roles.read(context),
    processedEnd
      ? Promise.all(spans.map((span) => peopleOf(store, span, days, processedEnd, context.identity)))
      : spans.map(() => null),
  ]);

  const graph = createRoleGraph(roleDocs);
  const named = roleDocs
    .filter((doc) => typeof doc.name === "string" && !isAccount(doc) && doc.is_active !== false)
    .map((doc) => doc.name as string);
  const groups = [...new Set(named)].sort(byText);
  groups.push(NO_GROUP, NO_ACCOUNT);
  const membership = new Map<string, string[]>();
  const identity = context.identity;
  const byIdentity = identity
    ? new Map(
        roleDocs
          .filter((d) => typeof d.name === "string" && isAccount(d))
          .map((d) => [identity(d.name as string), d.name as string]),
      )
    : null;
  const accountName = (id: string) => byIdentity?.get(id);
  const groupsOf = (user: string): string[] => {
    let found = membership.get(user);
    if (!found) {
      const account = graph.account(user);
      const reached = account ? graph.groups(account) : [NO_ACCOUNT];
      found = reached.length ? [...new Set(reached)] : [NO_GROUP];
      membership.set(user, found);
    }
    return found;
  };

  const hidden = (n: number) => n > 0 && n < minGroupSize;
  const rows: GroupRow[] = [];
  const missing: string[] = [];
  /** Per period shown: each group's people, for the chart. */
  const shown: { span: PeriodSpan; members: Map<string, Set<string>>; partial: boolean }[] = [];
  spans.forEach((span, i) => {
    const period = people[i];
    if (!period) {
      missing.push(span.label);
      return;
    }
    const members = new Map<string, Set<string>>(groups.map((g) => [g, new Set()]));
    const logins = new Map<string, number>(groups.map((g) => [g, 0]));
    for (const [user, tally] of period.byUser) {
      // Memberships are by name: an expired name's pseudonym finds its account through its identity.
      for (const group of groupsOf(accountName(user) ?? tally.user)) {
        members.get(group)?.add(user);
        logins.set(group, (logins.get(group) ?? 0) + tally.logins);
      }
    }
    const bounds = rowBounds(span);
    for (const group of groups) {
      const user = members.get(group)?.size ?? 0;
      const suppressed = hidden(user);
      rows.push({
        ...bounds,
        period: span.label,
        group,
        user: suppressed ? null : user,
        logins: suppressed ? null : (logins.get(group) ?? 0),
        suppressed,
      });
    }
    // As `/raw` says: cut by the range, or holding days after the last processed one.
    const partial =
      span.start < days.first || span.end > days.end || (processedEnd !== undefined && span.end > processedEnd);
    shown.push({ span, members, partial });
  });

  return {
    rows,
    lines: chartLines(shown, groups, hidden),
    missing,
    timezone: zone,
    asOf: settings?.updated ?? null,
    minGroupSize,
    databaseMs: Date.now() - began,
  };
}

/**
 * The largest groups of the range (by distinct people over the whole range, at most 8), each a line,
 * and the people of every other group as one more line, `other`; a point of 1 to k−1 people is null.
 */
function chartLines(
  shown: readonly { span: PeriodSpan; members: Map<string, Set<string>>; partial: boolean }[],
  groups: readonly string[],
  hidden: (n: number) => boolean,
): GroupLine[] {
  const everyone = new Map<string, Set<string>>(groups.map((g) => [g, new Set()]));
  for (const { members } of shown) {
    for (const [group, users] of members) for (const user of users) everyone.get(group)?.add(user);
  }
  const size = (g: string) => everyone.get(g)?.size ?? 0;
  // A group too small for any of its points to show would only be an empty line: it joins `other`.
  const largest = groups
    .filter((g) => size(g) > 0 && !hidden(size(g)))
    .sort((a, b) => size(b) - size(a) || byText(a, b))
    .slice(0, CHART_GROUPS);
  const rest = groups.filter((g) => !largest.includes(g) && size(g) > 0);
  const lines: GroupLine[] = [];
  for (const { span, members, partial } of shown) {
    const bounds = rowBounds(span);
    const point = (group: string, n: number) =>
      lines.push({ ...bounds, period: span.label, group, user: hidden(n) ? null : n, partial });
    for (const group of largest) point(group, members.get(group)?.size ?? 0);
    if (rest.length) {
      const other = new Set<string>();
      for (const group of rest) for (const user of members.get(group) ?? []) other.add(user);
      point(OTHER_GROUPS, other.size);
    }
  }
  return lines;
}

/**
 * The people of one period within the range's days: the period's own document when the range holds
 * all its processed days, else the few whole periods that cover the part inside the range. Null when
 * none of those days was processed.
 */
async function peopleOf(
  store: RollupStore,
  span: PeriodSpan,
  days: { first: DateTime; end: DateTime },
  processedEnd: DateTime,
  identity?: (user: string) => string,
): Promise<People | null> {
  const from = DateTime.max(span.start, days.first);
  const to = DateTime.min(span.end, days.end);
  const holdsAll = from.equals(span.start) && (to >= span.end || to >= processedEnd);
  const pieces = holdsAll ? [span] : coverDays(from, to);
  const docs = await Promise.all(pieces.map((p) => (p.kind === "day" ? store.day(p.label) : store.period(p.label))));
  const people = new People(identity);
  for (const doc of docs) {
    if (doc?.kind === "day") people.addDay(doc.users);
    else if (doc) people.addPeriod(doc);
  }
  return people.days === 0 ? null : people;
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
