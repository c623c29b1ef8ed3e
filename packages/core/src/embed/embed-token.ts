import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { HomeUsageError } from "../errors.js";

/** The chart arguments an embed URL carries, as the user gave them (so `start` may be absent: a rolling range). */
export interface EmbedArguments {
  start?: string;
  end?: string;
  aggregate?: string;
  title?: string;
  metric?: string;
  /** `retention` for the retention heatmap; absent for the usage chart. */
  chart?: "retention";
  /** The retention heatmap's cohorts and periods. */
  cohort?: string;
  periods?: string;
}

interface Payload extends EmbedArguments {
  /** Expiry, seconds since the epoch. */
  exp: number;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** The longest lifetime an embed URL may have. */
export const MAX_EMBED_LIFETIME_MS = 10 * 365 * 86_400_000;
/** The longest title a chart takes, as the API checks it. */
export const MAX_TITLE_LENGTH = 200;

const b64 = (data: Buffer | string) => Buffer.from(data).toString("base64url");
const sign = (body: string, secret: string) => createHmac("sha256", secret).update(body).digest();

/**
 * Whether two strings are equal, in a time that tells nothing of where they differ nor of their lengths:
 * both are hashed to 32 bytes, which `timingSafeEqual` compares whole.
 */
function sameInConstantTime(given: string, expected: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** A URL-safe token `<payload>.<signature>` for the chart arguments, valid until `expires`. */
export function signEmbedToken(args: EmbedArguments, options: { secret: string; expires: Date }): string {
  if (!Number.isFinite(options.expires.getTime())) {
    throw new HomeUsageError("E_USAGE", "expires: not a valid date");
  }
  if (args.title !== undefined && args.title.length > MAX_TITLE_LENGTH) {
    throw new HomeUsageError("E_USAGE", `title: must be at most ${MAX_TITLE_LENGTH} characters`);
  }
  const payload: Payload = { ...args, exp: Math.floor(options.expires.getTime() / 1000) };
  const body = b64(JSON.stringify(payload));
  return `${body}.${b64(sign(body, options.secret))}`;
}

/**
 * The arguments of a token this server signed; `E_FORBIDDEN` when the signature does not match or the
 * token has expired.
 */
export function verifyEmbedToken(token: string, options: { secret: string; now: Date }): EmbedArguments {
  const [body, signature, extra] = token.split(".");
  if (!body || !signature || extra !== undefined || !BASE64URL.test(body) || !BASE64URL.test(signature)) {
    throw new HomeUsageError("E_FORBIDDEN", "malformed embed token");
  }
  // The spelling is compared, not the decoded bytes: Node's decoder forgives padding and stray final
  // bits, and only the one spelling this server signs may verify, so a token cannot be varied into many
  // URLs (and cache entries).
  if (!sameInConstantTime(signature, b64(sign(body, options.secret)))) {
    throw new HomeUsageError("E_FORBIDDEN", "the embed token's signature does not match");
  }
  const payload = readPayload(body);
  if (!(payload.exp * 1000 > options.now.getTime())) {
    throw new HomeUsageError("E_FORBIDDEN", `the embed token expired at ${new Date(payload.exp * 1000).toISOString()}`);
  }
  const { exp: _exp, ...args } = payload;
  return args;
}

/** Reads a lifetime such as `30d`, `12h`, `90m` or `1y` into milliseconds. */
export function parseDuration(input: string, name: string): number {
  const match = /^(\d+)\s*([mhdwy])$/.exec(input.trim());
  const units = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };
  if (!match) throw new HomeUsageError("E_USAGE", `${name}: "${input}" is not a duration such as 30d, 12h or 1y`);
  const ms = Number(match[1]) * units[match[2] as keyof typeof units];
  if (ms <= 0) throw new HomeUsageError("E_USAGE", `${name}: "${input}" must be longer than zero`);
  if (ms > MAX_EMBED_LIFETIME_MS) throw new HomeUsageError("E_USAGE", `${name}: "${input}" is longer than 10 years`);
  return ms;
}

// Signed by us, so well-formed unless the secret leaked; still read defensively, as a 403 and not a 500.
function readPayload(body: string): Payload {
  try {
    const payload = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as Payload;
    if (payload && typeof payload === "object" && typeof payload.exp === "number") return payload;
  } catch {
    // fall through
  }
  throw new HomeUsageError("E_FORBIDDEN", "malformed embed token");
}
