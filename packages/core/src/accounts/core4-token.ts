import { createHmac, timingSafeEqual } from "node:crypto";
import { HomeUsageError } from "../errors.js";

/** What a verified core4 token says: whose it is, and until when it holds. */
export interface Core4Token {
  name: string;
  expires: Date;
}

const B64URL = /^[A-Za-z0-9_-]*$/;

/** Whether a bearer credential is shaped like a JWT (three base64url parts), rather than an API token. */
export const looksLikeJwt = (value: string): boolean => {
  const parts = value.split(".");
  return parts.length === 3 && parts.every((part) => B64URL.test(part)) && (parts[0] ?? "").length > 0;
};

/**
 * Verifies a JWT core4's API issued (`create_jwt` in `core4/api/v1/request/main.py`: a payload with
 * `name`, `timestamp` and `exp`, signed with `api.token.secret`). HS256 only: the header's `alg` must say
 * so exactly, so neither `none` nor another algorithm can be smuggled in; `exp` must be present and in the
 * future. Any failure is one `E_UNAUTHORIZED` whose message never repeats the token.
 */
export function verifyCore4Token(token: string, options: { secret: string; now: Date }): Core4Token {
  const refuse = (why: string) => new HomeUsageError("E_UNAUTHORIZED", `the core4 token is not valid: ${why}`);
  if (!looksLikeJwt(token)) throw refuse("it is not a JWT");
  const [header = "", payload = "", signature = ""] = token.split(".");
  const head = decodeJson(header);
  if (head?.alg !== "HS256") throw refuse("only HS256 tokens are accepted");
  const expected = createHmac("sha256", options.secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    throw refuse("its signature does not match");
  const body = decodeJson(payload);
  if (!body) throw refuse("its payload is not JSON");
  if (typeof body.exp !== "number" || !Number.isFinite(body.exp)) throw refuse("it has no expiry (exp)");
  if (body.exp * 1000 <= options.now.getTime()) throw refuse("it has expired");
  if (typeof body.name !== "string" || body.name === "") throw refuse("it names no account");
  return { name: body.name, expires: new Date(body.exp * 1000) };
}

function decodeJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
