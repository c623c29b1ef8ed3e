import { type Accounts, createRoleGraph, type RoleGraph } from "./core4-roles.js";
import { dummyPasswordHash, type PasswordHash, parsePasswordHash, verifyPasswordHash } from "./password-hash.js";

/** Why a core4 account was let in or not; the person is told only "name or password not valid". */
export type SignInOutcome =
  | { ok: true; name: string; method: string }
  | { ok: false; reason: "unknown name" | "wrong password" | "disabled" | "no permission" }
  | { ok: false; reason: "unsupported hash"; name: string; format: string };

/** Whether an account named by a session or a token may still read. */
export type AccountAccess = "granted" | "unknown" | "disabled" | "no permission";

export interface Core4SignInOptions {
  /** core4's `sys.role`. */
  accounts: Accounts;
  /** What an account must hold (or `cop`), directly or through its roles. */
  permission: string;
  clock: () => Date;
  /** The time budget of one read of `sys.role`. */
  maxTimeMS?: number;
  /** How old a read of `sys.role` may be when a session or token is checked against it. @default 60000 */
  recheckMs?: number;
}

/**
 * core4's accounts as home-usage's sign-in: passwords checked against `sys.role` as it is now, and the
 * accounts behind sessions and tokens re-checked against a read of it at most `recheckMs` old, so a
 * disabled account or a withdrawn permission ends them within that time.
 */
export function createCore4SignIn(options: Core4SignInOptions) {
  const recheckMs = options.recheckMs ?? 60_000;
  let snapshot: { graph: RoleGraph; dummy: PasswordHash; read: number } | undefined;
  let reading: Promise<NonNullable<typeof snapshot>> | undefined;

  // One read at a time: concurrent sign-ins and checks share it.
  const read = () => {
    reading ??= (async () => {
      const read = options.clock().getTime();
      const docs = await options.accounts.read({ maxTimeMS: options.maxTimeMS });
      const graph = createRoleGraph(docs);
      snapshot = { graph, dummy: dummyPasswordHash(commonestMethod(graph)), read };
      return snapshot;
    })().finally(() => {
      reading = undefined;
    });
    return reading;
  };
  const recent = async () => {
    const now = options.clock().getTime();
    if (snapshot && now - snapshot.read < recheckMs && now >= snapshot.read) return snapshot;
    return read();
  };

  return {
    /**
     * Checks a name and password against `sys.role` read now. Every way of failing costs one hash
     * verification: an unknown name, or an account whose hash cannot be verified, is checked against a
     * dummy hash of the method most accounts use.
     */
    async signIn(name: string, password: string): Promise<SignInOutcome> {
      const { graph, dummy } = await read();
      const account = graph.findAccount(name);
      const parsed = account ? parsePasswordHash(account.password) : undefined;
      const hash = parsed && parsed.kind !== "unsupported" ? parsed : dummy;
      const matches = await verifyPasswordHash(hash, password);
      if (!account) return { ok: false, reason: "unknown name" };
      const accountName = account.name as string;
      if (parsed?.kind === "unsupported")
        return { ok: false, reason: "unsupported hash", name: accountName, format: parsed.format };
      if (!matches) return { ok: false, reason: "wrong password" };
      if (account.is_active !== true) return { ok: false, reason: "disabled" };
      if (!graph.grants(account, options.permission)) return { ok: false, reason: "no permission" };
      return { ok: true, name: accountName, method: hash.method };
    },

    /** Whether the account may still read, by a read of `sys.role` at most `recheckMs` old. */
    async access(name: string): Promise<AccountAccess> {
      const { graph } = await recent();
      const account = graph.findAccount(name);
      if (!account) return "unknown";
      if (account.is_active !== true) return "disabled";
      return graph.grants(account, options.permission) ? "granted" : "no permission";
    },
  };
}

export type Core4SignIn = ReturnType<typeof createCore4SignIn>;

/** The hash method most accounts use, so that the dummy costs what most real verifications cost. */
function commonestMethod(graph: RoleGraph): PasswordHash | undefined {
  const counts = new Map<string, { hash: PasswordHash; count: number }>();
  for (const account of graph.accounts().values()) {
    const parsed = parsePasswordHash(account.password);
    if (parsed.kind === "unsupported") continue;
    const entry = counts.get(parsed.method) ?? { hash: parsed, count: 0 };
    entry.count += 1;
    counts.set(parsed.method, entry);
  }
  // A tie goes to scrypt, werkzeug's default since 3.0, which new and changed passwords get.
  const rank = (entry: { hash: PasswordHash; count: number }) =>
    entry.count * 2 + (entry.hash.kind === "scrypt" ? 1 : 0);
  let best: { hash: PasswordHash; count: number } | undefined;
  for (const entry of counts.values()) if (!best || rank(entry) > rank(best)) best = entry;
  return best?.hash;
}
