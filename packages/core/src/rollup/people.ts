/** One person's logins on one local day, as a day document keeps them. */
export interface DayEntry {
  user: string;
  logins: number;
  /** The first and last login of the day. */
  first: Date;
  last: Date;
}

/** One person's logins over a longer period, as its people document keeps them. */
export interface PersonEntry extends DayEntry {
  /** Days of the period with a login. */
  days: number;
  /** Whether the person logged in on a processed day before the period began. */
  seen: boolean;
}

export interface PersonTally {
  /** The person as shown: their name where any entry had it, else their pseudonym. */
  user?: string;
  logins: number;
  days: number;
  first: Date;
  last: Date;
}

/** Orders people's entries by user, as every people document and list keeps them. */
export function compareUsers(a: { user: string }, b: { user: string }): number {
  return a.user < b.user ? -1 : a.user > b.user ? 1 : 0;
}

/**
 * `entries` in user order, each that `expired` says of (by default every one) by its pseudonym,
 * `identity` of its user: how a people document keeps the names that expired.
 */
export function withPseudonyms<E extends DayEntry>(
  entries: readonly E[],
  identity: (user: string) => string,
  expired: (entry: E) => boolean = () => true,
): E[] {
  return entries.map((e) => (expired(e) ? { ...e, user: identity(e.user) } : e)).sort(compareUsers);
}

/**
 * The people of a stretch of days, merged from day entries or from the people of shorter periods.
 * Merging is exact: logins and days add up (the stretches do not overlap), first and last are the
 * earliest and latest login.
 */
export class People {
  /** Keyed by identity (see `identity`), each with the person as shown. */
  readonly byUser = new Map<string, PersonTally & { user: string }>();

  /**
   * @param identity who an entry's user is: with names expired into pseudonyms (a name retention), the
   * name and its pseudonym are one person. By default, the user as stored.
   */
  constructor(private readonly identity: (user: string) => string = (user) => user) {}
  logins = 0;
  /** Processed days merged in. */
  days = 0;
  /** The sum over those days of each day's distinct people (for the daily average). */
  dailySum = 0;

  get size(): number {
    return this.byUser.size;
  }

  /** Adds one processed day. */
  addDay(entries: readonly DayEntry[]): void {
    for (const e of entries) this.addPerson(e.user, { logins: e.logins, days: 1, first: e.first, last: e.last });
    this.days++;
    this.dailySum += entries.length;
  }

  /** Adds the people of a period that does not overlap what is already here. */
  addPeriod(period: { users: readonly (DayEntry & { days: number })[]; days: number; dailySum: number }): void {
    for (const e of period.users) this.addPerson(e.user, e);
    this.days += period.days;
    this.dailySum += period.dailySum;
  }

  private addPerson(user: string, t: PersonTally): void {
    this.logins += t.logins;
    const id = this.identity(user);
    const seen = this.byUser.get(id);
    if (!seen) {
      this.byUser.set(id, { user, logins: t.logins, days: t.days, first: t.first, last: t.last });
      return;
    }
    // A name is shown rather than a pseudonym of the same person.
    if (user !== id) seen.user = user;
    seen.logins += t.logins;
    seen.days += t.days;
    if (t.first < seen.first) seen.first = t.first;
    if (t.last > seen.last) seen.last = t.last;
  }

  /** Entries sorted by user, each marked with whether `seenBefore` says so of the person's identity. */
  entries(seenBefore: (id: string) => boolean): PersonEntry[] {
    return [...this.byUser.entries()]
      .sort(([, a], [, b]) => compareUsers(a, b))
      .map(([id, t]) => ({
        user: t.user,
        logins: t.logins,
        days: t.days,
        first: t.first,
        last: t.last,
        seen: seenBefore(id),
      }));
  }
}

/** How a period's people U(P) relate to the period before's, U(P′), and to who was seen before P. */
export interface Lifecycle {
  /** |U(P′)| */
  previous: number;
  /** In U(P), not seen before P. */
  new: number;
  /** In U(P) and in U(P′). */
  returning: number;
  /** In U(P), not in U(P′), seen before P. */
  resurrected: number;
  /** In U(P′), not in U(P). */
  dormant: number;
}

/** The lifecycle of `users` (U(P)), as the README defines it; new + returning + resurrected = |U(P)|. */
export function lifecycleOf(
  users: readonly string[],
  before: ReadonlySet<string>,
  seenBefore: (user: string) => boolean,
): Lifecycle {
  let isNew = 0;
  let returning = 0;
  for (const user of users) {
    if (before.has(user)) returning++;
    if (!seenBefore(user)) isNew++;
  }
  // Someone in U(P′) was seen before P, so returning and new never overlap.
  return {
    previous: before.size,
    new: isNew,
    returning,
    resurrected: users.length - isNew - returning,
    dormant: before.size - returning,
  };
}
