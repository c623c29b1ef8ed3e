import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { looksLikeJwt, verifyCore4Token } from "./core4-token.js";

// Made by PyJWT, as core4's API makes them: see make-core4-tokens.py beside the file.
const fixture = JSON.parse(readFileSync(new URL("./fixtures/core4-tokens.json", import.meta.url), "utf8")) as {
  secret: string;
  now: string;
  tokens: Record<string, string>;
};
const now = new Date(fixture.now);
const verify = (token: string, at = now) => verifyCore4Token(token, { secret: fixture.secret, now: at });

describe("core4's JWTs", () => {
  it("accepts an HS256 token core4 made, naming its account and expiry", () => {
    expect(verify(fixture.tokens.valid as string)).toEqual({
      name: "ann",
      expires: new Date(now.getTime() + 3600_000),
    });
  });

  it.each([
    ["expired", /it has expired/],
    ["foreign_key", /signature does not match/],
    ["hs512", /only HS256/],
    ["alg_none", /only HS256/],
    ["no_exp", /no expiry/],
  ])("refuses the %s token as unauthorized, without repeating it", (name, message) => {
    const token = fixture.tokens[name] as string;
    expect(() => verify(token)).toThrow(message);
    try {
      verify(token);
    } catch (error) {
      expect((error as { code: string }).code).toBe("E_UNAUTHORIZED");
      expect((error as Error).message).not.toContain(token.split(".")[1]);
    }
  });

  it("a valid token stops at its exp, to the second", () => {
    const token = fixture.tokens.valid as string;
    expect(() => verify(token, new Date(now.getTime() + 3599_000))).not.toThrow();
    expect(() => verify(token, new Date(now.getTime() + 3600_000))).toThrow(/expired/);
  });

  it("refuses a token whose header says HS256 while its signature is re-made with alg none's empty part", () => {
    const [header, payload] = (fixture.tokens.valid as string).split(".");
    expect(() => verify(`${header}.${payload}.`)).toThrow(/signature does not match/);
    // A payload changed after signing: the signature no longer holds.
    const forged = Buffer.from(JSON.stringify({ name: "admin", exp: 4102444800 })).toString("base64url");
    const signature = (fixture.tokens.valid as string).split(".")[2];
    expect(() => verify(`${header}.${forged}.${signature}`)).toThrow(/signature does not match/);
    // Signed right with the secret, the same forged payload is accepted: the check is the signature.
    const good = createHmac("sha256", fixture.secret).update(`${header}.${forged}`).digest("base64url");
    expect(verify(`${header}.${forged}.${good}`).name).toBe("admin");
  });

  it("tells JWTs from API tokens by their shape", () => {
    expect(looksLikeJwt(fixture.tokens.valid as string)).toBe(true);
    expect(looksLikeJwt("api-token-for-tests-0123456789")).toBe(false);
    expect(looksLikeJwt("a.b")).toBe(false);
  });
});
