import type { DateTime } from "luxon";
import { HomeUsageError } from "../errors.js";
import { type DayEntry, withPseudonyms } from "../rollup/people.js";
import type { PeopleDocument, PrivacyRecord, RollupStore } from "../rollup/rollup.js";
import { nextPeriod, type Period, periodOf } from "../time/periods.js";
import { identityOf, isPseudonym, secretCheck } from "./pseudonym.js";

const KINDS: readonly Period[] = ["day", "week", "month", "quarter", "year"];

/**
 * Who an entry's user is, for the job and every reader: with a secret, a name and its pseudonym are one
 * person (names may have expired into pseudonyms). A rollup holding pseudonyms cannot be read without it.
 */
export function rollupIdentity(record: PrivacyRecord | null, secret: string | undefined): (user: string) => string {
  if (!secret && record?.pseudonymsBefore) {
    throw new HomeUsageError(
      "E_USAGE",
      "the rollup keeps expired names as pseudonyms (HOME_USAGE_NAME_RETENTION_DAYS): set HOME_USAGE_PSEUDONYM_SECRET so that a person's name and pseudonym count as one",
    );
  }
  return identityOf(secret);
}

/**
 * Replaces the names in the documents of every period that ended by `before` and after the last such
 * pass by their keyed pseudonyms; identities are kept, so no count or metric changes. Returns the
 * documents rewritten. Runs under the job's lock, at the end of a run.
 */
export async function expireNames(
  store: RollupStore,
  options: {
    first: DateTime;
    before: DateTime;
    record: PrivacyRecord | null;
    secret: string;
    clock: () => Date;
  },
): Promise<number> {
  const { before, record, secret } = options;
  const since = record?.pseudonymsBefore?.getTime() ?? Number.NEGATIVE_INFINITY;
  const identity = identityOf(secret);
  let rewritten = 0;
  for (const kind of KINDS) {
    for (let span = periodOf(options.first, kind); span.end <= before; span = nextPeriod(span)) {
      if (span.end.toMillis() <= since) continue;
      const doc: PeopleDocument | null = kind === "day" ? await store.day(span.label) : await store.period(span.label);
      if (!doc || doc.users.every((e) => isPseudonym(e.user))) continue;
      const users = withPseudonyms(doc.users as DayEntry[], identity);
      await store.writePeople([{ ...doc, users } as PeopleDocument], () => true);
      rewritten++;
    }
  }
  rewritten += await expireEveryone(store, before.toJSDate(), identity);
  await store.writePrivacy({
    forgotten: record?.forgotten ?? [],
    secretCheck: secretCheck(secret),
    pseudonymsBefore: before.toJSDate(),
    updated: options.clock(),
  });
  return rewritten;
}

/** The everyone document with the people last seen before `before` by their pseudonyms: 1 if rewritten. */
async function expireEveryone(store: RollupStore, before: Date, identity: (user: string) => string) {
  const doc = await store.everyone();
  if (!doc?.users.some((e) => e.last < before && !isPseudonym(e.user))) return 0;
  const users = withPseudonyms(doc.users, identity, (e) => e.last < before);
  await store.writePeople([{ ...doc, users }], () => true);
  return 1;
}
