import type { LoginMatcher } from "../log/login-signal.js";
import type { RunCounts, RunTally, SignalCount, SkippedBy } from "./cookie.js";

/**
 * The longest user name the rollup keeps. A longer one is no person's name (a log line gone wrong, or an
 * attack), and a few hundred of them would carry a day's document past MongoDB's 16 MB: skipped, counted.
 */
export const MAX_NAME_LENGTH = 256;

/** What a run has counted so far: what its progress, its cookie and its result say. */
export class Tally {
  /** `users` is set when the run is done; until then `people` holds them. */
  readonly counts: RunCounts = { days: 0, records: 0, logins: 0, skipped: 0, users: 0 };
  readonly skippedBy: SkippedBy = { created: 0, user: 0, tooLong: 0 };
  /** Logins of technical accounts, left out. */
  excluded = 0;
  /** Logins of people `forget` erased, left out. */
  forgotten = 0;
  /** Processed days read back from the rollup to bring later periods up to date. */
  refreshed = 0;
  /** Everybody with a login in the run. */
  readonly people = new Set<string>();
  private readonly bySignal: Map<string, number>;

  constructor(signals: readonly string[]) {
    this.bySignal = new Map(signals.map((name) => [name, 0]));
  }

  /** Logins per signal, in the order the signal tries them. */
  signals(): SignalCount[] {
    return [...this.bySignal].map(([signal, logins]) => ({ signal, logins }));
  }

  skip(reason: keyof SkippedBy, records = 1) {
    this.counts.skipped += records;
    this.skippedBy[reason] += records;
  }

  /** Counts a login record's match; the person to count, or null when it is skipped or left out. */
  login(
    hit: ReturnType<LoginMatcher["match"]>,
    matcher: LoginMatcher,
    forgotten: (user: string) => boolean,
  ): string | null {
    if (hit === null) this.skip("user");
    else if (hit.user.length > MAX_NAME_LENGTH) this.skip("tooLong");
    else if (matcher.excludes(hit.user)) this.excluded++;
    else if (forgotten(hit.user)) this.forgotten++;
    else {
      this.counts.logins++;
      this.bySignal.set(hit.signal, (this.bySignal.get(hit.signal) ?? 0) + 1);
      this.people.add(hit.user);
      return hit.user;
    }
    return null;
  }

  /** What a checkpoint records in the cookie. */
  sofar(): RunTally {
    return { ...this.counts, users: this.people.size, signals: this.signals(), skippedBy: this.skippedBy };
  }

  /** What the end of a run records, done or failed. */
  final(): RunTally {
    return { ...this.counts, signals: this.signals(), skippedBy: this.skippedBy };
  }
}
