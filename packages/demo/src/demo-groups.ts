// The demo's core4 groups: roles without an email, teams inside divisions, and who belongs to which.
import { createHash } from "node:crypto";
import { ObjectId } from "mongodb";
import { DEMO_GROUPS } from "./templates.js";

/** A core4 group as sys.role keeps it: a role without an email, inheriting from the roles in `role`. */
export interface DemoGroup {
  _id: ObjectId;
  name: string;
  is_active: boolean;
  perm: string[];
  role: ObjectId[];
  created: Date;
}

// Derived from the name, so a group keeps its id across demo runs, as in a real sys.role.
const groupId = (name: string) =>
  new ObjectId(`5b10f000${createHash("sha1").update(`group:${name}`).digest("hex").slice(0, 16)}`);

/** Every demo group, each referring to its parent by ObjectId as core4 does. */
export function demoGroups(): DemoGroup[] {
  return DEMO_GROUPS.map((g) => ({
    _id: groupId(g.name),
    name: g.name,
    is_active: g.is_active,
    perm: [...g.perm],
    role: g.parent ? [groupId(g.parent)] : [],
    created: new Date(Date.UTC(2018, 5, 1)),
  }));
}

/**
 * The groups the demo's person number `index` (from 0) belongs to directly, by ObjectId: one team in
 * most cases, two for some, none for a few, and for some the inactive group alone.
 */
export function demoMembership(index: number): ObjectId[] {
  const teams = DEMO_GROUPS.filter((g) => g.members !== undefined);
  const names = teams.filter((g) => g.members?.includes(index % 10)).map((g) => g.name);
  // Every thirteenth person works in a second team too.
  if (index % 13 === 0) names.push("mkt-campaigns");
  return [...new Set(names)].map(groupId);
}

/** Whether the demo's person number `index` still has an account: a few have left and were deleted. */
export const demoHasAccount = (index: number): boolean => index % 20 !== 19;
