import { DateTime, IANAZone } from "luxon";
import { type Collection, MongoServerError } from "mongodb";
import pLimit from "p-limit";
import { z } from "zod";
import { formatNamespace } from "../database.js";
import { HomeUsageError } from "../errors.js";
import type { Namespace } from "../settings/config.js";
import { type Period, type PeriodSpan, periodOfLabel } from "../time/periods.js";
import type { DayEntry, PersonEntry } from "./people.js";

/** The rollup's shape; a rollup without this version is refused until it is rebuilt. */
export const ROLLUP_SCHEMA = 4;

/** One processed local day and its people: `_id` is the day, `2026-11-28`. */
export interface DayDocument {
  _id: string;
  kind: "day";
  /** The day's first instant (its local midnight). */
  start: Date;
  users: DayEntry[];
  distinctUsers: number;
  logins: number;
  updated: Date;
}

/**
 * The people of one week, month, quarter or year, kept for the job (an incremental run continues
 * from them) and for reports on a period the requested range cuts. `_id` is the label, `2026-W48`.
 */
export interface PeriodDocument {
  _id: string;
  kind: Exclude<Period, "day">;
  start: Date;
  end: Date;
  users: PersonEntry[];
  distinctUsers: number;
  logins: number;
  /** Processed days of the period. */
  days: number;
  /** The sum over the processed days of each day's distinct people. */
  dailySum: number;
  updated: Date;
}

/** One person's logins over all processed days: when they were first and last seen. */
export interface EveryoneEntry extends DayEntry {
  /** Days with a login. */
  days: number;
}

/**
 * Everybody the rollup has seen, over all its processed days, `_id` `everyone`: the people list reads
 * each person's first and last login from here, one document (and its parts) however long the history.
 * The job writes it at the end of each run that built days; it is the sum of the year documents.
 */
export interface EveryoneDocument {
  _id: typeof EVERYONE_ID;
  kind: "everyone";
  /** The first processed day's first instant, and the instant after the last processed day. */
  start: Date;
  end: Date;
  users: EveryoneEntry[];
  distinctUsers: number;
  logins: number;
  /** Processed days. */
  days: number;
  updated: Date;
}

export const EVERYONE_ID = "everyone";

export type PeopleDocument = DayDocument | PeriodDocument | EveryoneDocument;

/**
 * People entries one document holds at most. An entry takes about 110 bytes, so 10,000 make about
 * 1.1 MB: a day or period of more people is stored as its document (`2026-W48`, with `parts`) and its
 * further parts (`2026-W48/2`, `2026-W48/3`, ...), each far below MongoDB's 16 MB.
 */
export const PEOPLE_PER_DOCUMENT = 10_000;

/** A further part of a day's or a period's people: `_id` is `2026-W48/2`, `of` the document it continues. */
export interface PeoplePart {
  _id: string;
  kind: PeopleDocument["kind"];
  of: string;
  part: number;
  start: Date;
  end?: Date;
  users: (DayEntry | PersonEntry | EveryoneEntry)[];
  updated: Date;
}

const partId = (label: string, part: number) => `${label}/${part}`;

/** The figures of one period: what reports read. No people, so it stays small. */
export interface PeriodSummary {
  /** Distinct people with a login in the period. */
  user: number;
  logins: number;
  /** Processed days of the period. */
  days: number;
  dailySum: number;
  previous: number;
  new: number;
  returning: number;
  resurrected: number;
  dormant: number;
  /** Days only: distinct people in the 7 and 28 days ending with the day. */
  active7?: number;
  active28?: number;
}

/** A period's summary as the job hands it over for writing. */
export type LabelledSummary = PeriodSummary & { kind: Period; label: string; start: Date; end: Date };

/** A summary as stored: the period's label and span beside its figures, each under its name. */
export type SummaryEntry = PeriodSummary & { label: string; start: Date; end: Date };

/**
 * The summaries of one kind, a page of them per bucket (`day:2026-11` holds November's days,
 * `week:2026` the weeks of ISO week-year 2026, `year:all` every year): a report reads a page or two,
 * each by its `_id`. An entry is a document with named fields, so that an operator can read and query
 * it where they look at the database (mongosh, Compass, Metabase): `periods["2026-W48"].new`.
 */
export interface SummaryPage {
  _id: string;
  kind: Period;
  bucket: string;
  periods: Record<string, SummaryEntry>;
  updated: Date;
}

/** What the rollup was built with; every reader takes the time zone from here. */
export interface RollupSettings {
  _id: "settings";
  schema: number;
  timezone: string;
  /** ISO weeks: Monday. */
  weekStart: "monday";
  login: { preset: string; signal: unknown };
  /** The first and last processed day, as of the last checkpoint. */
  first: string | null;
  last: string | null;
  created: Date;
  updated: Date;
}

const SETTINGS_ID = "settings";

/**
 * What the rollup keeps for privacy, beside its settings: the keyed pseudonyms (never the names) of the
 * people `home-usage forget` erased, so that no later run or rebuild counts them again, how far names
 * have expired into pseudonyms, and a check of the secret the pseudonyms were made with.
 */
export interface PrivacyRecord {
  _id: "privacy";
  /** Keyed pseudonyms of the people forgotten. */
  forgotten: string[];
  /** An HMAC of a fixed text with the pseudonym secret: a later run with another secret is refused. */
  secretCheck: string;
  /** A name retention's progress: documents of periods that ended by then hold pseudonyms only. */
  pseudonymsBefore?: Date;
  updated: Date;
}

const PRIVACY_ID = "privacy";
/** The documents of the summaries collection that are no summary page. */
const NOT_PAGES = [SETTINGS_ID, PRIVACY_ID];

/** The page a period's summary lives on. */
export function summaryPageId(span: Pick<PeriodSpan, "kind" | "label">): string {
  const bucket = span.kind === "day" ? span.label.slice(0, 7) : span.kind === "year" ? "all" : span.label.slice(0, 4);
  return `${span.kind}:${bucket}`;
}

const date = z.date();
const count = z.number().int().nonnegative();
const dayEntry = z.object({ user: z.string(), logins: count, first: date, last: date });
/** Documents written before people were split have no `parts`: they are whole. */
const parts = z.number().int().min(1).default(1);
const dayDocument = z.object({
  _id: z.string(),
  kind: z.literal("day"),
  start: date,
  users: z.array(dayEntry),
  distinctUsers: count,
  logins: count,
  parts,
  updated: date,
});
const personEntry = dayEntry.extend({ days: count, seen: z.boolean() });
const periodDocument = z.object({
  _id: z.string(),
  kind: z.enum(["week", "month", "quarter", "year"]),
  start: date,
  end: date,
  users: z.array(personEntry),
  distinctUsers: count,
  logins: count,
  days: count,
  dailySum: count,
  parts,
  updated: date,
});
const everyoneEntry = dayEntry.extend({ days: count });
const everyoneDocument = z.object({
  _id: z.literal(EVERYONE_ID),
  kind: z.literal("everyone"),
  start: date,
  end: date,
  users: z.array(everyoneEntry),
  distinctUsers: count,
  logins: count,
  days: count,
  parts,
  updated: date,
});
const peoplePart = (entry: typeof dayEntry | typeof personEntry | typeof everyoneEntry, label: string, part: number) =>
  z.object({ _id: z.literal(partId(label, part)), of: z.literal(label), part: z.literal(part), users: z.array(entry) });
const privacyRecord = z.object({
  forgotten: z.array(z.string().regex(/^p-[0-9a-f]{16}$/, "must hold keyed pseudonyms")),
  secretCheck: z.string(),
  pseudonymsBefore: date.optional(),
  updated: date,
});
const summaryPage = z.object({
  _id: z.string(),
  kind: z.enum(["day", "week", "month", "quarter", "year"]),
  periods: z.record(z.string(), z.unknown()),
});
const periodEntry = z.object({
  label: z.string(),
  start: date,
  end: date,
  user: count,
  logins: count,
  days: count,
  dailySum: count,
  previous: count,
  new: count,
  returning: count,
  resurrected: count,
  dormant: count,
});
/** Days carry the people of the 7 and 28 days ending with them too. */
const dayEntryFigures = periodEntry.extend({ active7: count, active28: count });
/** A local day as `YYYY-MM-DD` that the calendar has (not 2026-02-30). */
export const calendarDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "must be a day as YYYY-MM-DD")
  .refine((d) => DateTime.fromISO(d, { zone: "UTC" }).isValid, "is not a day of the calendar");
const settingsSchema = z
  .object({
    schema: z.number(),
    timezone: z.string().refine((zone) => IANAZone.isValidZone(zone), "is not an IANA time zone"),
    weekStart: z.literal("monday"),
    login: z.object({ preset: z.string(), signal: z.unknown() }),
    first: calendarDay.nullable(),
    last: calendarDay.nullable(),
    created: date,
    updated: date,
  })
  .refine((s) => !s.first || !s.last || s.first <= s.last, { message: "is before first", path: ["last"] });

/** `items` in runs of at most `size`. */
function chunked<T>(items: readonly T[], size: number): T[][] {
  const runs: T[][] = [];
  for (let i = 0; i < items.length; i += size) runs.push(items.slice(i, i + size));
  return runs;
}

/** The first day of a document, to say what to rebuild when it is damaged. */
const firstDayOf = (doc: { _id?: unknown; start?: unknown }) =>
  typeof doc._id === "string" && /^\d{4}-\d{2}-\d{2}$/.test(doc._id)
    ? doc._id
    : doc.start instanceof Date
      ? doc.start.toISOString().slice(0, 10)
      : null;

function checked<T>(schema: z.ZodType<T>, doc: unknown, where: string, rebuild: string): T {
  const result = schema.safeParse(doc);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path.join(".") || "the document";
  throw new HomeUsageError(
    "E_STATE",
    `${where} is damaged: ${path} ${issue ? issue.message.charAt(0).toLowerCase() + issue.message.slice(1) : "is malformed"}; rebuild it with ${rebuild}`,
  );
}

/** A page's entries, each checked: its figures, its label (the key it is stored under), its sum. */
function readPage(page: z.infer<typeof summaryPage>): [string, PeriodSummary][] {
  const where = `the rollup's summaries ${page._id}`;
  // Only for a message: a report reads hundreds of entries, and none needs its calendar.
  const rebuildFromPeriod = (label: string) => {
    const start = periodOfLabel(label, "UTC")?.start.toISODate();
    return start ? `home-usage aggregate --start ${start}` : "home-usage aggregate --reset";
  };
  const schema = page.kind === "day" ? dayEntryFigures : periodEntry;
  return Object.entries(page.periods).map(([label, stored]) => {
    const entry = checked(schema, stored, `the rollup's summary ${label} (${page._id})`, rebuildFromPeriod(label));
    const damaged = (what: string) =>
      new HomeUsageError("E_STATE", `${where} are damaged: ${what}; rebuild them with ${rebuildFromPeriod(label)}`);
    if (entry.label !== label) throw damaged(`periods.${label} has the label ${entry.label}`);
    if (entry.new + entry.returning + entry.resurrected !== entry.user) {
      throw damaged(`in periods.${label}, new + returning + resurrected is not its users`);
    }
    const { label: _, start, end, ...summary } = entry;
    return [label, summary];
  });
}

export interface RollupCollections {
  /** Day documents and the people of longer periods (`home.login`). */
  target: Collection<PeopleDocument>;
  /** Period summaries and the rollup's settings (`home.login_period`). */
  summaries: Collection<SummaryPage | RollupSettings | PrivacyRecord>;
  targetName: Namespace;
  summariesName: Namespace;
  /** A time budget for every read, in milliseconds; the database stops a read that exceeds it. */
  maxTimeMS?: number;
  /** Stops every read in flight, and every later one, when it aborts (a client that went away). */
  signal?: AbortSignal;
  /** Reads in flight at once; more wait their turn. @default 8 */
  readConcurrency?: number;
}

/**
 * The rollup: what the job writes and reports read. Every read and write addresses documents by a
 * string `_id` (a day, a period's label, a summary page), which both MongoDB and FerretDB look up
 * without decoding the rest of the collection.
 */
export function createRollupStore(c: RollupCollections) {
  const a = accessOf(c);
  const { byId, target, summaries } = a;
  return {
    /**
     * The rollup's settings; null while the rollup is empty. A rollup of an older shape is refused:
     * the log is the source, so a rebuild loses nothing.
     */
    settings: (): Promise<RollupSettings | null> => readSettings(a),

    async writeSettings(settings: Omit<RollupSettings, "_id">) {
      await save(a, summaries, { _id: SETTINGS_ID, ...settings }, true);
    },

    /** What the rollup keeps for privacy, or null when nobody was ever forgotten. */
    async privacy(): Promise<PrivacyRecord | null> {
      const doc = await byId(summaries, PRIVACY_ID);
      if (!doc) return null;
      const where = `the rollup's privacy record (${formatNamespace(c.summariesName)}, _id privacy)`;
      return { ...checked(privacyRecord, doc, where, "home-usage forget"), _id: PRIVACY_ID };
    },

    async writePrivacy(record: Omit<PrivacyRecord, "_id">) {
      await save(a, summaries, { _id: PRIVACY_ID, ...record }, true);
    },

    /**
     * How many documents of each period's kind hold an entry of any of these users (a day's or period's
     * further parts count as their kind). Reads the whole target: for `forget`, which runs rarely.
     */
    async documentsNaming(users: readonly string[]): Promise<Map<Period, number>> {
      const found = await target
        .find({ "users.user": { $in: [...users] }, kind: { $ne: "everyone" } } as never, {
          projection: { _id: 1, kind: 1 },
          ...a.reading,
        })
        .toArray();
      const counts = new Map<Period, number>();
      for (const doc of found as unknown as { kind: Period }[]) counts.set(doc.kind, (counts.get(doc.kind) ?? 0) + 1);
      return counts;
    },

    /** One day's people, or null when the day was not processed. */
    async day(label: string): Promise<DayDocument | null> {
      const doc = await byId(target, label);
      if (!doc) return null;
      const day = checked(dayDocument, doc, `the rollup's day ${label}`, rebuildFrom(doc));
      return { ...day, users: [...day.users, ...(await restOf(a, day, dayEntry, rebuildFrom(doc)))] };
    },

    /** One longer period's people, or null when none of its days was processed. */
    async period(label: string): Promise<PeriodDocument | null> {
      const doc = await byId(target, label);
      if (!doc) return null;
      const period = checked(periodDocument, doc, `the rollup's period ${label}`, rebuildFrom(doc));
      return { ...period, users: [...period.users, ...(await restOf(a, period, personEntry, rebuildFrom(doc)))] };
    },

    /** Everybody seen over all processed days, or null until a run has written it. */
    async everyone(): Promise<EveryoneDocument | null> {
      const doc = await byId(target, EVERYONE_ID);
      if (!doc) return null;
      const rebuild = "home-usage aggregate --reset";
      const everyone = checked(everyoneDocument, doc, "the rollup's everyone", rebuild);
      const users = [...everyone.users, ...(await restOf(a, everyone, everyoneEntry, rebuild))];
      return { ...everyone, _id: EVERYONE_ID, users };
    },

    /**
     * The summaries on the pages holding these periods, by label (a page holds a month of days or a
     * year of longer periods, so more than was asked for).
     */
    async summaries(periods: readonly Pick<PeriodSpan, "kind" | "label">[]): Promise<Map<string, PeriodSummary>> {
      const pages = await Promise.all(
        [...new Set(periods.map(summaryPageId))].map(async (id) => {
          const doc = await byId(summaries, id);
          return doc
            ? readPage(checked(summaryPage, doc, `the rollup's summaries ${id}`, "home-usage aggregate --reset"))
            : [];
        }),
      );
      return new Map(pages.flat());
    },

    /**
     * Writes people documents, each in parts of at most `PEOPLE_PER_DOCUMENT` people; `mayExist` says
     * whether an earlier run can have written one (and so more parts than it has now, which go).
     */
    writePeople: (docs: readonly PeopleDocument[], mayExist: (doc: PeopleDocument) => boolean) =>
      writePeople(a, docs, mayExist),

    /** Writes summaries into their pages, one update per page. */
    writeSummaries: (entries: readonly LabelledSummary[], updated: Date) => writeSummaries(a, entries, updated),

    /**
     * Removes what lies outside the days `[first, last]` (local days in `zone`): the end of a rebuild in
     * place, which wrote over every document inside them and must drop the earlier build's others.
     */
    removeOutside: (first: string, last: string, zone: string) => removeOutside(a, first, last, zone),

    /** Forgets everything, for a rebuild, but who was forgotten: a rebuild must not count them again. */
    async clear() {
      await Promise.all([target.deleteMany({}), summaries.deleteMany({ _id: { $ne: PRIVACY_ID } })]);
    },
  };
}

type ById = Collection<{ _id: string }>;

/** The store's collections, and its reads by `_id` within the time budget, the signal and the concurrency. */
function accessOf(c: RollupCollections) {
  const reading = {
    ...(c.maxTimeMS ? { maxTimeMS: c.maxTimeMS } : {}),
    ...(c.signal ? { signal: c.signal } : {}),
  };
  // A long report looks up hundreds of pages: a few at a time, so that one report never fills the
  // driver's pool and everything else (another report, /healthz) waits behind it.
  const limit = pLimit(c.readConcurrency ?? 8);
  return {
    c,
    reading,
    limit,
    summaries: c.summaries as unknown as ById,
    target: c.target as unknown as ById,
    byId: (collection: ById, _id: string) => limit(() => collection.findOne({ _id }, reading)),
  };
}

type Access = ReturnType<typeof accessOf>;

async function readSettings(a: Access): Promise<RollupSettings | null> {
  const doc = await a.byId(a.summaries, SETTINGS_ID);
  if (doc) {
    const settings = checked(
      settingsSchema,
      doc,
      `the rollup's settings (${formatNamespace(a.c.summariesName)})`,
      "home-usage aggregate --reset",
    );
    if (settings.schema === ROLLUP_SCHEMA) return { ...settings, _id: SETTINGS_ID, weekStart: "monday" };
  } else if (!(await a.limit(() => a.target.findOne({}, { projection: { _id: 1 }, ...a.reading })))) {
    return null;
  }
  throw new HomeUsageError(
    "E_STATE",
    `the rollup ${formatNamespace(a.c.targetName)} has the shape of an older home-usage; rebuild it from the log with home-usage aggregate --reset (nothing is lost: the log is the source)`,
  );
}

/**
 * Writes by `_id` in a way both databases look up: `$set` of `fields` when the document may exist,
 * else an insert of `whole` (an update that matches nothing costs FerretDB a scan).
 */
async function writeById(
  a: Access,
  collection: ById,
  whole: { _id: string },
  fields: Record<string, unknown>,
  mayExist: boolean,
) {
  const update = () =>
    collection.updateOne({ _id: whole._id }, { $set: fields }).catch((error: unknown) => {
      // A field of the stored document has another type than the update needs (`periods` a string):
      // the document is damaged, and the operator needs its name and the fix, not the server's words.
      if (error instanceof MongoServerError && [28, 14, 2].includes(Number(error.code))) {
        throw new HomeUsageError(
          "E_STATE",
          `the rollup's document ${whole._id} in ${formatNamespace(collection === a.target ? a.c.targetName : a.c.summariesName)} is damaged (${error.message.split("\n")[0]}); rebuild the rollup with home-usage aggregate --reset`,
          { cause: error },
        );
      }
      throw error;
    });
  if (mayExist && (await update()).matchedCount > 0) return;
  try {
    await collection.insertOne(whole);
  } catch (error) {
    // Written by an earlier run that stopped before its checkpoint.
    if (error instanceof MongoServerError && error.code === 11000) await update();
    else throw error;
  }
}

/** Writes a document whole by `_id`. */
function save(a: Access, collection: ById, doc: { _id: string }, mayExist: boolean) {
  const { _id, ...fields } = doc;
  return writeById(a, collection, doc, fields, mayExist);
}

/** The people of a document's parts 2, 3, ..., in order; each is checked to continue it. */
async function restOf(
  a: Access,
  doc: { _id: string; parts: number },
  entry: typeof dayEntry | typeof personEntry | typeof everyoneEntry,
  rebuild: string,
): Promise<PersonEntry[]> {
  if (doc.parts === 1) return [];
  const labels = Array.from({ length: doc.parts - 1 }, (_, i) => partId(doc._id, i + 2));
  const found = await Promise.all(labels.map((id) => a.byId(a.target, id)));
  return found.flatMap((part, i) => {
    const where = `the rollup's ${labels[i]}, part ${i + 2} of ${doc.parts} of ${doc._id}`;
    if (!part) {
      throw new HomeUsageError("E_STATE", `${where}, is missing; rebuild it with ${rebuild}`);
    }
    return checked(peoplePart(entry, doc._id, i + 2), part, where, rebuild).users as PersonEntry[];
  });
}

const rebuildFrom = (doc: unknown) => {
  const day = firstDayOf((doc ?? {}) as { _id?: unknown; start?: unknown });
  return day ? `home-usage aggregate --start ${day}` : "home-usage aggregate --reset";
};

async function writePeople(a: Access, docs: readonly PeopleDocument[], mayExist: (doc: PeopleDocument) => boolean) {
  for (const doc of docs) {
    const chunks = chunked<DayEntry | PersonEntry | EveryoneEntry>(doc.users, PEOPLE_PER_DOCUMENT);
    const exists = mayExist(doc);
    const first = { ...doc, users: chunks[0] ?? [], parts: Math.max(1, chunks.length) };
    await save(a, a.target, first, exists);
    for (let part = 2; part <= chunks.length; part++) {
      const { _id, kind, start, updated } = doc;
      const rest: PeoplePart = {
        _id: partId(_id, part),
        kind,
        of: _id,
        part,
        start,
        users: chunks[part - 1] ?? [],
        updated,
      };
      if ("end" in doc) rest.end = doc.end;
      await save(a, a.target, rest, exists);
    }
    if (exists) {
      // Parts 2, 3, ... sort between `label/` and `label0`; those past the new count are left over.
      await a.target.deleteMany({
        _id: { $gt: `${doc._id}/`, $lt: `${doc._id}0` },
        part: { $gt: Math.max(1, chunks.length) },
      } as never);
    }
  }
}

async function writeSummaries(a: Access, entries: readonly LabelledSummary[], updated: Date) {
  const pages = new Map<string, { kind: Period; periods: Record<string, SummaryEntry> }>();
  for (const { kind, ...entry } of entries) {
    const id = summaryPageId({ kind, label: entry.label });
    const page = pages.get(id) ?? { kind, periods: {} };
    page.periods[entry.label] = entry;
    pages.set(id, page);
  }
  for (const [id, page] of pages) {
    // An existing page takes only the entries that changed; a new one is inserted whole.
    const fields = Object.fromEntries(Object.entries(page.periods).map(([label, s]) => [`periods.${label}`, s]));
    const whole: SummaryPage = {
      _id: id,
      kind: page.kind,
      bucket: id.slice(id.indexOf(":") + 1),
      periods: page.periods,
      updated,
    };
    await writeById(a, a.summaries, whole, { ...fields, updated }, true);
  }
}

/** Reads the summary pages' labels once (a few hundred kB at ten years); it runs once per rebuild. */
async function removeOutside(a: Access, first: string, last: string, zone: string) {
  const from = DateTime.fromISO(first, { zone }).startOf("day");
  const to = DateTime.fromISO(last, { zone }).startOf("day").plus({ days: 1 });
  await a.target.deleteMany({
    $or: [
      { kind: "day", _id: { $lt: first } },
      { kind: "day", _id: { $gt: last } },
      { kind: { $ne: "day" }, end: { $lte: from.toJSDate() } },
      { kind: { $ne: "day" }, start: { $gte: to.toJSDate() } },
    ],
  } as never);
  const pages = (await a.summaries
    .find({ _id: { $nin: NOT_PAGES } }, { projection: { _id: 1, periods: 1 } })
    .toArray()) as unknown as { _id: string; periods?: Record<string, unknown> }[];
  for (const page of pages) {
    const labels = Object.keys(page.periods ?? {});
    const outside = labels.filter((label) => {
      const span = periodOfLabel(label, zone);
      return !span || span.end <= from || span.start >= to;
    });
    if (outside.length === 0) continue;
    if (outside.length === labels.length) await a.summaries.deleteOne({ _id: page._id });
    else
      await a.summaries.updateOne(
        { _id: page._id },
        { $unset: Object.fromEntries(outside.map((label) => [`periods.${label}`, ""])) },
      );
  }
}

export type RollupStore = ReturnType<typeof createRollupStore>;
