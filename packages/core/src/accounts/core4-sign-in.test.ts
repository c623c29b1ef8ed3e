import { readFileSync } from "node:fs";
import { ObjectId } from "mongodb";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "../../../../tools/test/database.js";
import { openAccounts, type RoleDocument } from "./core4-roles.js";
import { createCore4SignIn } from "./core4-sign-in.js";

const t = useTestDatabase("core4_signin");
const fixture = JSON.parse(readFileSync(new URL("./fixtures/password-hashes.json", import.meta.url), "utf8")) as {
  hashes: { source: string; method: string; password: string; hash: string }[];
};
const werkzeug = (prefix: string) =>
  fixture.hashes.find((h) => h.source === "werkzeug" && h.hash.startsWith(prefix)) as {
    password: string;
    hash: string;
  };
const scrypt = werkzeug("scrypt:32768:8:1$");
const pbkdf2 = werkzeug("pbkdf2:sha256:600000$");
const PERMISSION = "api://home.usage";

const id = {
  readers: new ObjectId("660000000000000000000001"),
  team: new ObjectId("660000000000000000000002"),
  retired: new ObjectId("660000000000000000000003"),
  loopA: new ObjectId("660000000000000000000004"),
  loopB: new ObjectId("660000000000000000000005"),
};
const account = (name: string, password: string, extra: Partial<RoleDocument> = {}): RoleDocument => ({
  name,
  email: `${name}@example.com`,
  password,
  is_active: true,
  perm: [],
  role: [],
  ...extra,
});

let clock = new Date("2026-11-25T12:00:00Z");
let roles: ReturnType<typeof t.db.collection<RoleDocument>>;

beforeAll(async () => {
  roles = t.db.collection<RoleDocument>("sys.role");
  await roles.insertMany([
    // readers holds the permission; team inherits it; a cycle between loop-a and loop-b, loop-b holding it.
    { _id: id.readers, name: "readers", is_active: true, perm: [PERMISSION], role: [] },
    { _id: id.team, name: "team", is_active: true, perm: [], role: [id.readers] },
    { _id: id.retired, name: "retired", is_active: false, perm: [PERMISSION, "cop"], role: [] },
    { _id: id.loopA, name: "loop-a", is_active: true, perm: [], role: [id.loopB] },
    { _id: id.loopB, name: "loop-b", is_active: true, perm: [PERMISSION], role: [id.loopA] },
    account("ann", scrypt.hash, { role: [id.team] }),
    account("pia", pbkdf2.hash, { perm: [PERMISSION] }),
    account("ada", scrypt.hash, { perm: ["cop"] }),
    account("cyc", scrypt.hash, { role: [id.loopA] }),
    account("ned", scrypt.hash, { role: ["team"] }),
    account("ret", scrypt.hash, { role: [id.retired] }),
    account("bob", scrypt.hash, { perm: ["api://other"] }),
    account("off", scrypt.hash, { perm: [PERMISSION], is_active: false }),
    account("old", "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW", { perm: [PERMISSION] }),
  ] as never[]);
});

const service = () =>
  createCore4SignIn({ accounts: openAccounts(roles), permission: PERMISSION, clock: () => clock, maxTimeMS: 10_000 });

describe("signing in with a core4 account", { timeout: 60_000 }, () => {
  it.each([
    ["ann", scrypt.password, "through nested groups (ObjectIds)"],
    ["pia", pbkdf2.password, "holding it directly, with a pbkdf2 hash"],
    ["ada", scrypt.password, "holding cop"],
    ["cyc", scrypt.password, "through a cycle"],
    ["ned", scrypt.password, "through a group named, not referenced by _id"],
    ["ANN", scrypt.password, "typing the name in another case, as core4's login allows"],
  ])("lets %s in, %s", async (name, password) => {
    const outcome = await service().signIn(name, password);
    expect(outcome).toMatchObject({ ok: true, name: name.toLowerCase() });
  });

  it.each([
    ["ann", "wrong password", "wrong password"],
    ["nobody", scrypt.password, "unknown name"],
    ["ret", scrypt.password, "no permission"], // only an inactive group holds it
    ["bob", scrypt.password, "no permission"],
    ["off", scrypt.password, "disabled"],
  ])("refuses %s (%s)", async (name, password, reason) => {
    expect(await service().signIn(name, password)).toEqual({ ok: false, reason });
  });

  it("refuses a hash it cannot verify, naming its format and never the hash", async () => {
    const outcome = await service().signIn("old", "anything");
    expect(outcome).toEqual({ ok: false, reason: "unsupported hash", name: "old", format: "$2b$" });
  });

  it("an unknown name costs as much as a wrong password", async () => {
    const signIn = service();
    await signIn.signIn("ann", "warm-up");
    const time = async (name: string) => {
      const began = performance.now();
      await signIn.signIn(name, "wrong password");
      return performance.now() - began;
    };
    const wrong: number[] = [];
    const unknown: number[] = [];
    // Interleaved, so that a busy moment of the machine falls on both alike.
    for (let i = 0; i < 7; i++) {
      wrong.push(await time("ann"));
      unknown.push(await time(`nobody-${i}`));
    }
    const median = (times: number[]) => times.sort((a, b) => a - b)[3] as number;
    // Without the dummy hash an unknown name would answer in a few milliseconds, not in a scrypt's time.
    expect(median(unknown) / median(wrong)).toBeGreaterThan(0.6);
    expect(median(unknown) / median(wrong)).toBeLessThan(1.8);
  });

  it("re-checks an account at most a minute late: disabled, or its permission withdrawn", async () => {
    const signIn = service();
    expect(await signIn.access("ann")).toBe("granted");
    expect(await signIn.access("pia")).toBe("granted");
    await roles.updateOne({ name: "ann" }, { $set: { is_active: false } });
    await roles.updateOne({ name: "pia" }, { $set: { perm: [] } });
    try {
      // Within the minute the last read is still used.
      expect(await signIn.access("ann")).toBe("granted");
      clock = new Date(clock.getTime() + 60_000);
      expect(await signIn.access("ann")).toBe("disabled");
      expect(await signIn.access("pia")).toBe("no permission");
      expect(await signIn.access("nobody")).toBe("unknown");
    } finally {
      await roles.updateOne({ name: "ann" }, { $set: { is_active: true } });
      await roles.updateOne({ name: "pia" }, { $set: { perm: [PERMISSION] } });
    }
  });
});
