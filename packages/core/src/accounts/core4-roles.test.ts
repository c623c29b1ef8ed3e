import { ObjectId } from "mongodb";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "../../../../tools/test/database.js";
import { createRoleGraph, type RoleDocument, readRoles } from "./core4-roles.js";

const t = useTestDatabase("core4_roles");

// Ids written out so the expectations below can be read off the documents by hand.
const id = {
  company: new ObjectId("650000000000000000000001"),
  sales: new ObjectId("650000000000000000000002"),
  salesNorth: new ObjectId("650000000000000000000003"),
  retired: new ObjectId("650000000000000000000004"),
  loopA: new ObjectId("650000000000000000000005"),
  loopB: new ObjectId("650000000000000000000006"),
  underRetired: new ObjectId("650000000000000000000007"),
};

let roles: RoleDocument[];

beforeAll(async () => {
  const collection = t.db.collection<RoleDocument>("sys.role");
  await collection.insertMany([
    { _id: id.company, name: "company", is_active: true, perm: ["app://home"], role: [] },
    { _id: id.sales, name: "sales", is_active: true, perm: ["api://home.usage"], role: [id.company] },
    { _id: id.salesNorth, name: "sales-north", is_active: true, perm: [], role: [id.sales] },
    { _id: id.retired, name: "retired", is_active: false, perm: ["cop"], role: [id.underRetired] },
    { _id: id.underRetired, name: "under-retired", is_active: true, perm: ["job://x"], role: [] },
    { _id: id.loopA, name: "loop-a", is_active: true, perm: ["a"], role: [id.loopB] },
    { _id: id.loopB, name: "loop-b", is_active: true, perm: ["b"], role: [id.loopA] },
    { name: "ann", email: "ann@example.com", password: "x", is_active: true, perm: [], role: [id.salesNorth] },
    { name: "bob", email: "bob@example.com", password: "x", is_active: true, perm: [], role: [id.retired] },
    { name: "cid", email: "cid@example.com", password: "x", is_active: true, perm: ["cop"], role: [id.loopA] },
    { name: "dee", email: "dee@example.com", password: "x", is_active: true, perm: [], role: ["sales"] },
    { name: "eve", email: "eve@example.com", password: "x", is_active: true, perm: [], role: [new ObjectId()] },
  ] as never[]);
  roles = await readRoles(collection, { maxTimeMS: 10_000 });
});

describe("core4's roles, cascaded as core4 does", () => {
  it("follows ObjectId references through nested groups", () => {
    const graph = createRoleGraph(roles);
    const ann = graph.account("ann") as RoleDocument;
    expect(graph.groups(ann).sort()).toEqual(["company", "sales", "sales-north"]);
    expect([...graph.permissions(ann)].sort()).toEqual(["api://home.usage", "app://home"]);
  });

  it("gives nothing through an inactive role, nor through the roles behind it", () => {
    const graph = createRoleGraph(roles);
    const bob = graph.account("bob") as RoleDocument;
    expect(graph.groups(bob)).toEqual([]);
    expect([...graph.permissions(bob)]).toEqual([]);
  });

  it("ends a cycle and keeps the account's own permissions", () => {
    const graph = createRoleGraph(roles);
    const cid = graph.account("cid") as RoleDocument;
    expect(graph.groups(cid).sort()).toEqual(["loop-a", "loop-b"]);
    expect([...graph.permissions(cid)].sort()).toEqual(["a", "b", "cop"]);
  });

  it("accepts a role's name instead of its _id, and ignores a reference to nothing", () => {
    const graph = createRoleGraph(roles);
    expect(graph.groups(graph.account("dee") as RoleDocument).sort()).toEqual(["company", "sales"]);
    expect(graph.groups(graph.account("eve") as RoleDocument)).toEqual([]);
  });

  it("knows accounts by name: roles with an e-mail address, never groups", () => {
    const graph = createRoleGraph(roles);
    expect([...graph.accounts().keys()].sort()).toEqual(["ann", "bob", "cid", "dee", "eve"]);
    expect(graph.account("sales")).toBeUndefined();
  });
});
