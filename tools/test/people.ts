// Three people with core4 accounts, for the tests of how names leave (HOME_USAGE_NAMES) over HTTP and in
// the CLI. Pseudonyms are computed here with node:crypto, not with home-usage's code.
import { createHmac } from "node:crypto";

export const PEOPLE = ["anna.schmidt", "bernd.kraus", "carla.meier"];

/** Their `sys.role` accounts; the accounts' other personal data may not leave in any mode but `show`'s list of names. */
export const ACCOUNTS = PEOPLE.map((name) => {
  const [first = "", last = ""] = name.split(".");
  return {
    name,
    email: `${name}@example.com`,
    realname: `${first[0]?.toUpperCase()}${first.slice(1)} ${last[0]?.toUpperCase()}${last.slice(1)}`,
    is_active: true,
    role: [],
  };
});

/** Words that would betray a person: names, e-mail addresses, real names. */
export const PERSONAL = ACCOUNTS.flatMap((a) => [a.name, a.email, a.realname]);

/** Their `sys.log` logins: the i-th person (from 0) on i + 1 days from 2026-11-17, at 08:00 UTC. */
export const PEOPLE_LOGINS = PEOPLE.flatMap((user, i) =>
  Array.from({ length: i + 1 }, (_, d) => ({
    created: new Date(`2026-11-${String(17 + d).padStart(2, "0")}T08:00:00Z`),
    message: "successful login",
    user,
  })),
);

/** A name's keyed pseudonym under `secret`, as the names policy should write it. */
export const pseudonymWith = (secret: string) => (name: string) =>
  `p-${createHmac("sha256", secret).update(name).digest("hex").slice(0, 16)}`;
