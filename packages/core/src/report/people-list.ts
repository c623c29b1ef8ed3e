import { DateTime } from "luxon";
import type { Accounts } from "../accounts/core4-roles.js";
import { compareUsers, People } from "../rollup/people.js";
import type { EveryoneEntry, RollupSettings, RollupStore } from "../rollup/rollup.js";
import { coverDays, nextDay, periodsBetween, startOfDay } from "../time/periods.js";
import { queryDays, type UsageQuery } from "./usage-report.js";

/** One person: their logins within the range, when they were first and last seen, their account. */
export interface PersonRow {
  user: string;
  /** Logins and days with a login within the range. */
  logins: number;
  days: number;
  /** First and last login ever (ISO instants), null if never. */
  firstSeen: string | null;
  lastSeen: string | null;
  /** The person's account in core4: `active`, `disabled`, or null when there is none. */
  account: "active" | "disabled" | null;
}

/** A person row's fields, in order: `/usage/login/users` and `home-usage users`. */
export const PERSON_COLUMNS = [
  "user",
  "logins",
  "days",
  "firstSeen",
  "lastSeen",
  "account",
] as const satisfies readonly (keyof PersonRow)[];

/**
 * Everybody the rollup knows or core4 has an account for, with their logins within the range.
 * Accounts are the roles with a `name` and an `email`; `is_active: false` means disabled.
 */
export async function listPeople(
  store: RollupStore,
  settings: RollupSettings | null,
  roles: Accounts,
  query: Pick<UsageQuery, "start" | "end">,
  options: {
    zone: string;
    now: Date;
    exclude: readonly string[];
    maxTimeMS?: number;
    signal?: AbortSignal;
    /** Who an entry's user is: a name and its pseudonym (an expired name) are one person. */
    identity?: (user: string) => string;
  },
): Promise<PersonRow[]> {
  const identity = options.identity ?? ((user: string) => user);
  const excluded = new Set(options.exclude);
  /** By identity: the account's name and state. */
  const accounts = new Map<string, { name: string; state: "active" | "disabled" }>();
  // Thousands of accounts come in several batches: the budget covers them all.
  const roleQuery = roles.read(options);

  const inRange = new People(identity);
  const ever = new People(identity);
  const readRollup = async (): Promise<void> => {
    if (!settings?.first || !settings.last) return;
    const zone = options.zone;
    const first = DateTime.fromISO(settings.first, { zone });
    const tomorrow = nextDay(startOfDay(options.now, zone));
    // No day after today can have been processed, whatever a damaged settings document says.
    const end = DateTime.min(nextDay(DateTime.fromISO(settings.last, { zone })), tomorrow);
    const days = queryDays(query, zone);
    // Only what was processed can have documents: reading outside it would only find nothing.
    const from = DateTime.max(days.first, first);
    const to = DateTime.min(days.end, end);
    // A range that ends now holds every processed day from `from` on: the periods in progress are read
    // from their own documents, not day by day.
    const pieces = from < to ? coverDays(from, to, days.end >= tomorrow ? to : undefined) : [];
    const load = (kind: "day" | "other", label: string) => (kind === "day" ? store.day(label) : store.period(label));
    // Everybody's first and last login: one document, whatever the history; a rollup the job has not
    // run on since it began writing it holds them in its years.
    const everybody = async (): Promise<{ users: readonly EveryoneEntry[]; days: number }[]> => {
      const everyone = await store.everyone();
      if (everyone) return [everyone];
      const years = await Promise.all(periodsBetween(first, end, "year").map((y) => store.period(y.label)));
      return years.filter((year) => year !== null);
    };
    const [docs, everyone] = await Promise.all([
      Promise.all(pieces.map((p) => load(p.kind === "day" ? "day" : "other", p.label))),
      everybody(),
    ]);
    for (const doc of docs) {
      if (doc?.kind === "day") inRange.addDay(doc.users);
      else if (doc) inRange.addPeriod(doc);
    }
    for (const doc of everyone) ever.addPeriod({ ...doc, dailySum: 0 });
  };
  // Both reads run at once and are awaited together, so a failure of either (a time budget, an abort)
  // is the one answer, never an unhandled rejection of the other.
  const [roleDocs] = await Promise.all([roleQuery, readRollup()]);
  for (const role of roleDocs) {
    if (typeof role.name !== "string" || typeof role.email !== "string" || excluded.has(role.name)) continue;
    accounts.set(identity(role.name), { name: role.name, state: role.is_active === false ? "disabled" : "active" });
  }

  // A person is shown as the range's documents name them (a pseudonym where their names expired), else
  // by their name.
  const shown = (id: string) =>
    inRange.byUser.get(id)?.user ?? accounts.get(id)?.name ?? ever.byUser.get(id)?.user ?? id;
  const ids = new Set([...ever.byUser.keys(), ...accounts.keys()]);
  return [...ids]
    .map((id) => ({ id, user: shown(id) }))
    .filter(({ user }) => !excluded.has(user))
    .sort(compareUsers)
    .map(({ id, user }) => {
      const range = inRange.byUser.get(id);
      const all = ever.byUser.get(id);
      return {
        user,
        logins: range?.logins ?? 0,
        days: range?.days ?? 0,
        firstSeen: all?.first.toISOString() ?? null,
        lastSeen: all?.last.toISOString() ?? null,
        account: accounts.get(id)?.state ?? null,
      };
    });
}
