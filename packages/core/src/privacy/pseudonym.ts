import { createHmac } from "node:crypto";

/**
 * A person's keyed pseudonym: `p-` and the first 16 hex digits of HMAC-SHA256(secret, name). The same
 * secret gives the same pseudonym in every process and after every restart; without the secret nobody
 * can tell whose it is, nor compute it from a list of names.
 */
export function pseudonym(secret: string, name: string): string {
  return `p-${createHmac("sha256", secret).update(name, "utf8").digest("hex").slice(0, 16)}`;
}

const PSEUDONYM = /^p-[0-9a-f]{16}$/;

/** Whether a stored user is a pseudonym rather than a name. */
export const isPseudonym = (user: string): boolean => PSEUDONYM.test(user);

/**
 * A person's identity, whether the rollup holds their name or (after a name retention) their pseudonym:
 * two entries are the same person exactly when their identities are equal. Names are looked up once.
 */
export function identityOf(secret: string | undefined): (user: string) => string {
  if (!secret) return (user) => user;
  const known = new Map<string, string>();
  return (user) => {
    if (isPseudonym(user)) return user;
    let id = known.get(user);
    if (id === undefined) {
      id = pseudonym(secret, user);
      known.set(user, id);
    }
    return id;
  };
}

/**
 * What the rollup records of the secret, to notice a different one later (its people would no longer
 * match their pseudonyms): an HMAC of a fixed text, which says nothing of the secret itself.
 */
export const secretCheck = (secret: string): string =>
  createHmac("sha256", secret).update("home-usage pseudonym secret check", "utf8").digest("hex").slice(0, 16);
