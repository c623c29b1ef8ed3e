import { DateTime } from "luxon";
import { nextDay, type Period, type PeriodSpan, periodOf, previousPeriod } from "../time/periods.js";
import { type DayEntry, lifecycleOf, People, withPseudonyms } from "./people.js";
import {
  EVERYONE_ID,
  type EveryoneDocument,
  type LabelledSummary,
  type PeopleDocument,
  type PeriodDocument,
  type RollupStore,
} from "./rollup.js";

const LONG_KINDS = ["week", "month", "quarter", "year"] as const;
type LongKind = (typeof LONG_KINDS)[number];

/** The processed days of the rollup before this run, as its settings record them. */
export interface Extent {
  first: string | null;
  last: string | null;
}

interface Open {
  span: PeriodSpan;
  people: People;
}

const NOBODY: ReadonlySet<string> = new Set();

/**
 * Turns a run of consecutive local days, oldest first, into the rollup: each day's document, the
 * people of every week, month, quarter and year, and the summaries with their metrics. It holds the
 * open period of each kind, the previous period's people, the last 28 days and who was seen when;
 * `begin` rebuilds that state from the rollup, so a run can start on any day.
 *
 * Nothing is written until `flush`: the job flushes at its checkpoints, then moves its cookie.
 */
export class RollupBuilder {
  private readonly open = new Map<LongKind, Open>();
  /** U(P′): the people of the period before the open one, per kind. */
  private readonly previous = new Map<Period, ReadonlySet<string>>();
  /**
   * Everybody seen so far, by identity, with their logins, days and first and last login: who was seen
   * before a period, and the everyone document.
   */
  private ever = new People();
  /** The first day this build covers: the first processed day, or the run's first if earlier. */
  private from: DateTime | null = null;
  /** The people of the last 28 calendar days (gaps are empty), oldest first. */
  private readonly recent: string[][] = [];
  private readonly in7 = new Map<string, number>();
  private readonly in28 = new Map<string, number>();
  private pendingPeople: PeopleDocument[] = [];
  private pendingSummaries: LabelledSummary[] = [];
  private next: DateTime | null = null;
  /** People documents and summary pages' entries written so far. */
  readonly written = { people: 0, summaries: 0 };

  constructor(
    private readonly store: RollupStore,
    private readonly options: {
      extent: Extent;
      clock: () => Date;
      zone: string;
      /** The days of an earlier build being rebuilt in place: its documents are written over, never read. */
      replacing?: Extent;
      /** Who an entry's user is, a name or its pseudonym (see `People`). @default the user as stored */
      identity?: (user: string) => string;
      /** Documents of periods that ended by then keep pseudonyms, not names (a name retention). */
      pseudonymsBefore?: DateTime;
    },
  ) {
    const days = ({ first, last }: Extent) => {
      const day = (label: string) => DateTime.fromISO(label, { zone: options.zone }).startOf("day");
      return first && last ? { start: day(first), end: nextDay(day(last)) } : null;
    };
    this.processed = days(options.extent);
    this.id = options.identity ?? ((user) => user);
    this.replaced = options.replacing ? days(options.replacing) : null;
  }

  private readonly id: (user: string) => string;

  /** The days of the build this run replaces in place, `[start, end)`: their documents may exist. */
  private readonly replaced: { start: DateTime; end: DateTime } | null;

  /** The days processed before this run, `[start, end)`: no document outside them exists yet. */
  private readonly processed: { start: DateTime; end: DateTime } | null;

  /** Loads what the days before `day` left: the open periods so far, the previous ones, who was seen. */
  async begin(day: DateTime): Promise<void> {
    this.next = day;
    this.from = this.processed && this.processed.start < day ? this.processed.start : day;
    const load = memo((span: PeriodSpan) =>
      this.exists(span) ? this.store.period(span.label) : Promise.resolve(null),
    );
    const loadDay = memo((span: PeriodSpan) =>
      this.exists(span) ? this.store.day(span.label) : Promise.resolve(null),
    );
    const spans = Object.fromEntries(LONG_KINDS.map((k) => [k, periodOf(day, k)])) as Record<LongKind, PeriodSpan>;

    // Days: the 27 before `day` (the activity windows), and those of the open week and month.
    const from = DateTime.min(day.minus({ days: 27 }).startOf("day"), spans.week.start, spans.month.start);
    const days: { day: DateTime; entries: DayEntry[] | null }[] = [];
    for (let d: DateTime = from; d < day; d = nextDay(d)) days.push({ day: d, entries: null });
    // The store reads a few at a time.
    await Promise.all(
      days.map(async (d) => {
        d.entries = (await loadDay(periodOf(d.day, "day")))?.users ?? null;
      }),
    );
    const within = (span: PeriodSpan) => days.filter((d) => d.day >= span.start && d.entries);
    for (const d of days.slice(-27)) this.pushWindow(d.entries?.map((e) => this.id(e.user)) ?? []);
    this.previous.set("day", new Set(days.at(-1)?.entries?.map((e) => this.id(e.user)) ?? []));

    // Longer periods: whole ones from their people documents, the open month from its days.
    const before = async (kind: "month" | "quarter" | "year", from: DateTime, to: DateTime) => {
      const docs: PeriodDocument[] = [];
      for (let span = periodOf(from, kind); span.start < to; span = periodOf(span.end, kind)) {
        const doc = await load(span);
        if (doc) docs.push(doc);
      }
      return docs;
    };
    const firstYear = this.processed ? periodOf(this.processed.start, "year").start : null;
    const [months, quarters, years] = await Promise.all([
      before("month", spans.quarter.start, spans.month.start),
      before("quarter", spans.year.start, spans.quarter.start),
      firstYear && firstYear < spans.year.start ? before("year", firstYear, spans.year.start) : [],
    ]);
    const fill = (people: People, periods: PeriodDocument[][], span: PeriodSpan) => {
      for (const list of periods) for (const doc of list) people.addPeriod(doc);
      for (const d of within(span)) people.addDay(d.entries as DayEntry[]);
      return people;
    };
    const people = () => new People(this.id);
    this.open.set("week", { span: spans.week, people: fill(people(), [], spans.week) });
    this.open.set("month", { span: spans.month, people: fill(people(), [], spans.month) });
    this.open.set("quarter", { span: spans.quarter, people: fill(people(), [months], spans.month) });
    this.open.set("year", { span: spans.year, people: fill(people(), [quarters, months], spans.month) });
    this.ever = fill(people(), [years, quarters, months], spans.month);

    for (const kind of LONG_KINDS) {
      const doc = await load(previousPeriod(spans[kind]));
      this.previous.set(kind, new Set(doc?.users.map((u) => this.id(u.user)) ?? []));
    }
  }

  /**
   * Adds the next day: its people, or null when the day is not processed (a gap the run only passes
   * through). `write` says whether the day's own document is to be written (false when it is only read
   * back to bring later periods up to date).
   */
  addDay(day: DateTime, entries: readonly DayEntry[] | null, write: boolean): void {
    if (!this.next || !day.equals(this.next)) {
      throw new Error(`days must come in order: expected ${this.next?.toISODate()}, got ${day.toISODate()}`);
    }
    for (const kind of LONG_KINDS) {
      if (!this.open.has(kind)) this.open.set(kind, { span: periodOf(day, kind), people: new People(this.id) });
    }
    const users = entries?.map((e) => this.id(e.user)) ?? [];
    this.pushWindow(users);
    if (entries) {
      const span = periodOf(day, "day");
      const before = this.previous.get("day") ?? NOBODY;
      const logins = entries.reduce((sum, e) => sum + e.logins, 0);
      this.pendingSummaries.push({
        kind: "day",
        label: span.label,
        start: span.start.toJSDate(),
        end: span.end.toJSDate(),
        user: users.length,
        logins,
        days: 1,
        dailySum: users.length,
        ...lifecycleOf(users, before, (user) => this.ever.byUser.has(user)),
        active7: this.in7.size,
        active28: this.in28.size,
      });
      if (write) {
        this.pendingPeople.push({
          _id: span.label,
          kind: "day",
          start: span.start.toJSDate(),
          users: this.expired(span) ? this.pseudonymous(entries) : [...entries],
          distinctUsers: users.length,
          logins,
          updated: this.options.clock(),
        });
      }
      for (const o of this.open.values()) o.people.addDay(entries);
      this.ever.addDay(entries);
    }
    this.previous.set("day", new Set(users));

    this.next = nextDay(day);
    for (const kind of LONG_KINDS) {
      const o = this.open.get(kind) as Open;
      if (this.next >= o.span.end) {
        this.summarize(o);
        this.previous.set(kind, new Set(o.people.byUser.keys()));
        this.open.delete(kind);
      }
    }
  }

  /** Documents waiting for `flush`: days and closed periods. */
  get pending(): number {
    return this.pendingPeople.length;
  }

  /**
   * Queues the open periods as they stand, and everybody seen, at the end of a run: it must have handed
   * over every processed day after its first, so that `everyone` holds all of them.
   */
  closeOpen(): void {
    for (const o of this.open.values()) this.summarize(o);
    if (this.from && this.next) this.pendingPeople.push(this.everyone(this.from, this.next));
  }

  /** Everybody seen over `[start, end)`; a person last seen before `pseudonymsBefore` by their pseudonym. */
  private everyone(start: DateTime, end: DateTime): EveryoneDocument {
    const before = this.options.pseudonymsBefore?.toJSDate();
    const entries = this.ever.entries(() => false).map(({ seen: _, ...e }) => e);
    const users = withPseudonyms(entries, this.id, (e) => before !== undefined && e.last < before);
    return {
      _id: EVERYONE_ID,
      kind: "everyone",
      start: start.toJSDate(),
      end: end.toJSDate(),
      users,
      distinctUsers: this.ever.size,
      logins: this.ever.logins,
      days: this.ever.days,
      updated: this.options.clock(),
    };
  }

  /** Writes what is queued: documents first, then the summaries that describe them. */
  async flush(): Promise<void> {
    const people = this.pendingPeople;
    const summaries = this.pendingSummaries;
    this.pendingPeople = [];
    this.pendingSummaries = [];
    await this.store.writePeople(
      people,
      (doc) =>
        doc.kind === "everyone" ||
        this.mayExist({
          start: DateTime.fromJSDate(doc.start),
          end:
            doc.kind === "day"
              ? nextDay(DateTime.fromJSDate(doc.start, { zone: this.options.zone }))
              : DateTime.fromJSDate(doc.end),
        }),
    );
    await this.store.writeSummaries(summaries, this.options.clock());
    this.written.people += people.length;
    this.written.summaries += summaries.length;
  }

  private summarize({ span, people }: Open): void {
    if (people.days === 0) return;
    const before = this.previous.get(span.kind) ?? NOBODY;
    const start = span.start.toJSDate();
    const seen = (id: string) => (this.ever.byUser.get(id)?.first as Date) < start;
    this.pendingSummaries.push({
      kind: span.kind,
      label: span.label,
      start,
      end: span.end.toJSDate(),
      user: people.size,
      logins: people.logins,
      days: people.days,
      dailySum: people.dailySum,
      ...lifecycleOf([...people.byUser.keys()], before, seen),
    });
    this.pendingPeople.push({
      _id: span.label,
      kind: span.kind as LongKind,
      start,
      end: span.end.toJSDate(),
      users: this.expired(span) ? this.pseudonymous(people.entries(seen)) : people.entries(seen),
      distinctUsers: people.size,
      logins: people.logins,
      days: people.days,
      dailySum: people.dailySum,
      updated: this.options.clock(),
    });
  }

  /** Whether a period's names have expired: it ended before `pseudonymsBefore`. */
  private expired(span: PeriodSpan): boolean {
    const before = this.options.pseudonymsBefore;
    return before !== undefined && span.end <= before;
  }

  /** Entries with pseudonyms for names, in the order of their users. */
  private pseudonymous<E extends DayEntry>(entries: readonly E[]): E[] {
    return withPseudonyms(entries, this.id);
  }

  private pushWindow(users: string[]): void {
    this.recent.push(users);
    for (const u of users) {
      this.in7.set(u, (this.in7.get(u) ?? 0) + 1);
      this.in28.set(u, (this.in28.get(u) ?? 0) + 1);
    }
    if (this.recent.length > 7) for (const u of this.recent[this.recent.length - 8] ?? []) drop(this.in7, u);
    if (this.recent.length > 28) for (const u of this.recent.shift() ?? []) drop(this.in28, u);
  }

  /**
   * Whether a document of this span can exist: only one that overlaps the days processed before this
   * run. Others are neither looked up nor updated, but inserted straight away.
   */
  private exists(span: { start: DateTime; end: DateTime }): boolean {
    return this.processed !== null && span.start < this.processed.end && span.end > this.processed.start;
  }

  /** Whether a document of this span may exist when it is written: processed before, or being replaced. */
  private mayExist(span: { start: DateTime; end: DateTime }): boolean {
    const r = this.replaced;
    return this.exists(span) || (r !== null && span.start < r.end && span.end > r.start);
  }
}

function drop(counts: Map<string, number>, user: string) {
  const n = (counts.get(user) ?? 0) - 1;
  if (n > 0) counts.set(user, n);
  else counts.delete(user);
}

function memo<T>(load: (span: PeriodSpan) => Promise<T>): (span: PeriodSpan) => Promise<T> {
  const seen = new Map<string, Promise<T>>();
  return (span) => {
    let p = seen.get(span.label);
    if (!p) {
      p = load(span);
      seen.set(span.label, p);
    }
    return p;
  };
}
