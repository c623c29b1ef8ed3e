import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { dummyPasswordHash, type PasswordHash, parsePasswordHash, verifyPasswordHash } from "./password-hash.js";

// Made by werkzeug, passlib and hashlib themselves: see make-password-hashes.py beside the file.
const fixture = JSON.parse(readFileSync(new URL("./fixtures/password-hashes.json", import.meta.url), "utf8")) as {
  wrong: string;
  hashes: { source: string; method: string; password: string; hash: string }[];
};

const parsed = (stored: string) => {
  const hash = parsePasswordHash(stored);
  if (hash.kind === "unsupported") throw new Error(`unsupported: ${hash.format}`);
  return hash;
};

describe("core4 password hashes", () => {
  it("the fixture has werkzeug's scrypt and pbkdf2, and hashes made without werkzeug", () => {
    const sources = new Set(fixture.hashes.map((h) => `${h.source} ${h.hash.split("$")[0]}`));
    expect(sources).toContain("werkzeug scrypt:32768:8:1");
    expect(sources).toContain("werkzeug pbkdf2:sha256:600000");
    expect(sources).toContain("hashlib scrypt:32768:8:1");
    expect(sources).toContain("hashlib pbkdf2:sha256:150000");
  });

  it.each(fixture.hashes.map((h) => [h.source, h.method, h] as const))(
    "verifies %s's %s: the right password, not a wrong one",
    { timeout: 30_000 },
    async (_source, _method, entry) => {
      const hash = parsed(entry.hash);
      expect(await verifyPasswordHash(hash, entry.password)).toBe(true);
      expect(await verifyPasswordHash(hash, fixture.wrong)).toBe(false);
      expect(await verifyPasswordHash(hash, `${entry.password} `)).toBe(false);
    },
  );

  it("uses the salt as its text, not decoded: a werkzeug hash with a hex-looking salt", async () => {
    const entry = fixture.hashes.find((h) => h.source === "hashlib" && h.hash.startsWith("scrypt")) as {
      hash: string;
      password: string;
    };
    const [method, salt, key] = entry.hash.split("$");
    // Another salt text with the same key can no longer verify.
    const other = parsed(`${method}$${salt?.toLowerCase()}$${key}`);
    expect(await verifyPasswordHash(other, entry.password)).toBe(false);
  });

  it.each([
    ["bcrypt", "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW", "$2b$"],
    ["des_crypt", "abJnggxhB/yWI", "des_crypt"],
    ["a damaged scrypt hash", "scrypt:32768:8:1$salt", "scrypt (not method$salt$hex)"],
    ["md5 of old werkzeug", "md5$abcd$0123456789abcdef0123456789abcdef", "md5"],
    ["plain", "plain$$secret", "plain"],
    ["pbkdf2 without iterations", "pbkdf2:sha256$salt$00ff", "pbkdf2:sha256 without iterations"],
    ["scrypt asking for 16 GiB", "scrypt:16777216:8:1$salt$00ff", "scrypt:16777216:8:1 (too costly)"],
    ["pbkdf2 with md5", "pbkdf2:md5:1000$salt$00ff", "pbkdf2:md5"],
    ["no password", "", "no password"],
  ])("refuses %s, naming the format and never the hash", (_name, stored, format) => {
    const result = parsePasswordHash(stored);
    expect(result).toEqual({ kind: "unsupported", format });
  });

  it("a dummy of the same method costs what the real one costs", async () => {
    const real = parsed(fixture.hashes[0]?.hash as string);
    const dummy: PasswordHash = dummyPasswordHash(real);
    expect(dummy.method).toBe(real.method);
    expect(dummy.salt.equals(real.salt)).toBe(false);
    const time = async (hash: PasswordHash) => {
      const began = performance.now();
      await verifyPasswordHash(hash, fixture.wrong);
      return performance.now() - began;
    };
    const runs = async (hash: PasswordHash) => {
      const times = [];
      for (let i = 0; i < 5; i++) times.push(await time(hash));
      return times.sort((a, b) => a - b)[2] as number;
    };
    const [a, b] = [await runs(real), await runs(dummy)];
    expect(b / a).toBeGreaterThan(0.5);
    expect(b / a).toBeLessThan(2);
    expect(await verifyPasswordHash(dummy, fixture.hashes[0]?.password as string)).toBe(false);
  });
});
