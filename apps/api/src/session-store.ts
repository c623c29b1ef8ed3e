import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** Who a browser session belongs to: a core4 account by name, or whoever holds an API token. */
export type SessionUser = { kind: "core4"; name: string } | { kind: "token"; fingerprint: string };

export interface Session {
  user: SessionUser;
  /** Epoch milliseconds. */
  expires: number;
}

export interface SessionStoreOptions {
  /** Signs the ids in cookies. */
  key: Buffer;
  clock: () => Date;
  lifetimeMs: number;
  /** The most sessions kept; past it the oldest goes. @default 10000 */
  maxSessions?: number;
}

/**
 * Browser sessions, kept in this process's memory. The cookie carries only a random id and its HMAC;
 * who it belongs to and until when live here, so signing out (or a re-check that fails) ends a session
 * for good, whatever copies of the cookie exist. A restart ends every session: people sign in again.
 * One process holds them: several API processes behind one address need sticky sessions.
 */
export function createSessionStore(options: SessionStoreOptions) {
  const sessions = new Map<string, Session>();
  const maxSessions = options.maxSessions ?? 10_000;
  const sign = (id: string) => createHmac("sha256", options.key).update(id).digest("base64url");

  /** The id a cookie value names, when its signature holds. */
  const idOf = (value: string): string | undefined => {
    const [id, signature, extra] = value.split(".");
    if (!id || !signature || extra !== undefined) return undefined;
    const expected = sign(id);
    return signature.length === expected.length && timingSafeEqual(Buffer.from(signature), Buffer.from(expected))
      ? id
      : undefined;
  };

  const prune = (now: number) => {
    for (const [id, session] of sessions) if (session.expires <= now) sessions.delete(id);
    // Map keeps insertion order: the first entries are the oldest sessions.
    for (const id of sessions.keys()) {
      if (sessions.size < maxSessions) break;
      sessions.delete(id);
    }
  };

  return {
    /** Starts a session; the cookie value that names it. */
    create(user: SessionUser): { value: string; session: Session } {
      const now = options.clock().getTime();
      if (sessions.size >= maxSessions) prune(now);
      const id = randomBytes(32).toString("base64url");
      const session = { user, expires: now + options.lifetimeMs };
      sessions.set(id, session);
      return { value: `${id}.${sign(id)}`, session };
    },

    /** The session a cookie names: `expired` once its time is up, `unknown` when forged or ended. */
    find(value: string): { state: "valid"; session: Session } | { state: "expired" | "unknown" } {
      const id = idOf(value);
      const session = id === undefined ? undefined : sessions.get(id);
      if (!id || !session) return { state: "unknown" };
      if (session.expires <= options.clock().getTime()) {
        sessions.delete(id);
        return { state: "expired" };
      }
      return { state: "valid", session };
    },

    /** Ends the session a cookie names, if any. */
    end(value: string): Session | undefined {
      const id = idOf(value);
      const session = id === undefined ? undefined : sessions.get(id);
      if (id) sessions.delete(id);
      return session;
    },

    get size() {
      return sessions.size;
    },
  };
}
