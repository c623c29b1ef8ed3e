import type { Collection } from "mongodb";
import { boundedQuery } from "../database.js";

/**
 * A document of core4's `sys.role`, as core4 keeps it: an account (a role with an `email` and a
 * `password`) or a group (a role without an `email`). Only these fields are ever read.
 */
export interface RoleDocument {
  /** An ObjectId in core4; a string in some tests and older data. */
  _id?: unknown;
  name?: unknown;
  email?: unknown;
  realname?: unknown;
  password?: unknown;
  is_active?: unknown;
  /** Permissions such as `cop`, `api://<qual_name>`, `app://…`. */
  perm?: unknown;
  /** The roles this one inherits from: their `_id`s (ObjectIds), or their names. */
  role?: unknown;
}

/** The fields read from `sys.role`; never anything else. */
const ROLE_FIELDS = { _id: 1, name: 1, email: 1, realname: 1, password: 1, is_active: 1, perm: 1, role: 1 } as const;

/** core4's administrator permission: it grants everything. */
export const CORE4_ADMIN_PERMISSION = "cop";

/** Reads every document of `sys.role`, within one time budget for all its batches. */
export function readRoles(
  collection: Collection<RoleDocument>,
  bounds: { maxTimeMS?: number; signal?: AbortSignal } = {},
): Promise<RoleDocument[]> {
  return boundedQuery(bounds.maxTimeMS, bounds.signal, (options) =>
    collection.find({}, { projection: ROLE_FIELDS, ...options }).toArray(),
  );
}

/** core4's accounts and groups, read only: every read is `readRoles`, its fields checked where they are used. */
export function openAccounts(collection: Collection<RoleDocument>) {
  return {
    read: (bounds: { maxTimeMS?: number; signal?: AbortSignal } = {}) => readRoles(collection, bounds),
  };
}

export type Accounts = ReturnType<typeof openAccounts>;

/** A role's `_id` as a key: the hex of an ObjectId, or the string itself. */
const keyOf = (id: unknown): string | undefined => {
  if (typeof id === "string") return id;
  if (id && typeof id === "object" && typeof (id as { toHexString?: unknown }).toHexString === "function") {
    return (id as { toHexString(): string }).toHexString();
  }
  return undefined;
};

const isActive = (doc: RoleDocument) => doc.is_active !== false;
const stringsOf = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];

/** Whether a role is an account (core4: "an email and a password") rather than a group. */
export const isAccount = (doc: RoleDocument): boolean => typeof doc.email === "string" && doc.email !== "";

/**
 * core4's roles as a graph, the way core4 cascades them (`casc_role` in
 * `core4/api/v1/request/role/model.py`): a role inherits from the roles its `role` list names, and they
 * from theirs; an inactive role gives nothing and is not followed; each role is visited once, so a
 * cycle ends. A reference is an `_id` (ObjectId) or, as some data has it, a role's name.
 */
export function createRoleGraph(docs: readonly RoleDocument[]) {
  const byId = new Map<string, RoleDocument>();
  const byName = new Map<string, RoleDocument>();
  for (const doc of docs) {
    const key = keyOf(doc._id);
    if (key !== undefined) byId.set(key, doc);
    if (typeof doc.name === "string" && !byName.has(doc.name)) byName.set(doc.name, doc);
  }
  const accounts = new Map<string, RoleDocument>();
  for (const doc of docs) if (typeof doc.name === "string" && isAccount(doc)) accounts.set(doc.name, doc);
  // core4's login finds names case-insensitively; a spelling that fits two accounts fits neither.
  const folded = new Map<string, RoleDocument | null>();
  for (const [name, doc] of accounts) {
    const key = name.toLowerCase();
    folded.set(key, folded.has(key) ? null : doc);
  }

  const resolve = (ref: unknown): RoleDocument | undefined => {
    const key = keyOf(ref);
    if (key === undefined) return undefined;
    return byId.get(key) ?? (typeof ref === "string" ? byName.get(ref) : undefined);
  };

  /** The active roles `doc` inherits from, directly or through others; never `doc` itself. */
  const inherited = (doc: RoleDocument): RoleDocument[] => {
    const seen = new Set<RoleDocument>([doc]);
    const found: RoleDocument[] = [];
    const visit = (refs: unknown) => {
      for (const ref of Array.isArray(refs) ? refs : []) {
        const role = resolve(ref);
        if (!role || seen.has(role)) continue;
        seen.add(role);
        if (!isActive(role)) continue;
        found.push(role);
        visit(role.role);
      }
    };
    visit(doc.role);
    return found;
  };

  return {
    /** The account (a role with an e-mail address) of this name, if core4 has one. */
    account: (name: string): RoleDocument | undefined => accounts.get(name),

    /** The account of this name, else the one account whose name differs from it only in case. */
    findAccount: (name: string): RoleDocument | undefined =>
      accounts.get(name) ?? folded.get(name.toLowerCase()) ?? undefined,

    /** Every account, by name. */
    accounts: (): ReadonlyMap<string, RoleDocument> => accounts,

    inherited,

    /** The account's own permissions and those of every role it inherits from. */
    permissions(doc: RoleDocument): Set<string> {
      return new Set([doc, ...inherited(doc)].flatMap((role) => stringsOf(role.perm)));
    },

    /**
     * Whether the account may use what `permission` guards: it is active and holds the permission or
     * core4's administrator permission, itself or through its roles (compared exactly, as strings).
     * Active means `is_active: true`, as core4's `verify_password` asks (`if self.is_active`).
     */
    grants(doc: RoleDocument, permission: string): boolean {
      if (doc.is_active !== true) return false;
      const held = new Set([doc, ...inherited(doc)].flatMap((role) => stringsOf(role.perm)));
      return held.has(permission) || held.has(CORE4_ADMIN_PERMISSION);
    },

    /** The names of the groups (roles without an e-mail address) the account belongs to, transitively. */
    groups(doc: RoleDocument): string[] {
      return inherited(doc)
        .filter((role) => !isAccount(role) && typeof role.name === "string")
        .map((role) => role.name as string);
    },
  };
}

export type RoleGraph = ReturnType<typeof createRoleGraph>;
