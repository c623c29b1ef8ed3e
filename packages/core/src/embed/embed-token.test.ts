import { describe, expect, it } from "vitest";
import { signEmbedToken, verifyEmbedToken } from "./embed-token.js";

const secret = "a secret of the test, long enough";
const now = new Date("2026-11-01T12:00:00Z");
const expires = new Date("2026-12-01T00:00:00Z");

describe("embed tokens", () => {
  const token = signEmbedToken({ aggregate: "w", title: "Logins" }, { secret, expires });
  const [body, signature] = token.split(".") as [string, string];
  const refused = { code: "E_FORBIDDEN", message: "the embed token's signature does not match" };

  it("verifies the token it signed, and gives back its arguments", () => {
    expect(verifyEmbedToken(token, { secret, now })).toEqual({ aggregate: "w", title: "Logins" });
  });

  it("refuses another secret's signature, and one of another length, with the same words", () => {
    expect(() => verifyEmbedToken(token, { secret: `${secret}!`, now })).toThrow(expect.objectContaining(refused));
    for (const other of [signature.slice(0, -1), `${signature}A`, signature.slice(0, 10), "A"]) {
      expect(() => verifyEmbedToken(`${body}.${other}`, { secret, now })).toThrow(expect.objectContaining(refused));
    }
  });

  it("refuses any other spelling of the same signature bytes", () => {
    // 32 bytes are 43 base64url characters whose last carries 2 spare bits: flipping them decodes alike.
    const last = signature.at(-1) as string;
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const sibling = alphabet[alphabet.indexOf(last) ^ 1] as string;
    const varied = `${signature.slice(0, -1)}${sibling}`;
    expect(Buffer.from(varied, "base64url")).toEqual(Buffer.from(signature, "base64url"));
    expect(() => verifyEmbedToken(`${body}.${varied}`, { secret, now })).toThrow(expect.objectContaining(refused));
  });

  it("refuses an expired token after its signature", () => {
    expect(() => verifyEmbedToken(token, { secret, now: expires })).toThrow(
      expect.objectContaining({ code: "E_FORBIDDEN", message: expect.stringContaining("expired") }),
    );
  });
});
