import { pbkdf2, randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";

const pbkdf2Async = promisify(pbkdf2);
const scryptAsync = promisify(scrypt) as (
  password: Buffer,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/**
 * A password hash of a `sys.role` account, parsed: werkzeug's `scrypt:N:r:p$salt$hex` (werkzeug ≥ 3) and
 * `pbkdf2:<digest>:<iterations>$salt$hex` (before), whose salt is used as its ASCII text, and passlib's
 * `$pbkdf2-sha256$<rounds>$<salt>$<key>` (adapted base64), which core4's own `core4/util/crypt.py` writes.
 */
export type PasswordHash =
  | { kind: "scrypt"; method: string; N: number; r: number; p: number; salt: Buffer; key: Buffer }
  | { kind: "pbkdf2"; method: string; digest: string; iterations: number; salt: Buffer; key: Buffer };

/** What a stored hash is: one this module verifies, or a format it refuses, named without the hash. */
export type ParsedPasswordHash = PasswordHash | { kind: "unsupported"; format: string };

// Bounds on what a stored hash may ask of this process: werkzeug's defaults are far below them, and a
// damaged or hostile sys.role document must not take gigabytes or minutes per sign-in.
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;
const MAX_PBKDF2_ITERATIONS = 10_000_000;
const DIGEST_BYTES: Record<string, number> = { sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64 };
const PASSLIB_DIGESTS: Record<string, string> = {
  pbkdf2: "sha1",
  "pbkdf2-sha256": "sha256",
  "pbkdf2-sha512": "sha512",
};

const positive = (text: string | undefined) => (text !== undefined && /^[1-9]\d{0,9}$/.test(text) ? Number(text) : NaN);
const HEX = /^(?:[0-9a-f]{2})+$/;

/** Reads a stored hash; never throws, and what it returns about an unsupported one never holds the hash. */
export function parsePasswordHash(stored: unknown): ParsedPasswordHash {
  if (typeof stored !== "string" || stored === "") return { kind: "unsupported", format: "no password" };
  if (stored.startsWith("$")) return parsePasslib(stored);
  // core4's CryptContext also lists des_crypt: 13 characters, two of salt. Far too weak to accept.
  if (/^[./0-9A-Za-z]{13}$/.test(stored)) return { kind: "unsupported", format: "des_crypt" };
  const [method = "", salt, hex, extra] = stored.split("$");
  const [name = "", ...args] = method.split(":");
  const format = /^[a-z0-9-]{1,20}$/i.test(name) ? name : "unknown";
  if (name !== "scrypt" && name !== "pbkdf2") return { kind: "unsupported", format };
  if (salt === undefined || hex === undefined || extra !== undefined || salt === "" || !HEX.test(hex)) {
    return { kind: "unsupported", format: `${format} (not method$salt$hex)` };
  }
  const saltBytes = Buffer.from(salt, "utf8");
  const key = Buffer.from(hex, "hex");
  if (name === "scrypt") {
    const [N, r, p] = args.length === 0 ? [32768, 8, 1] : args.map(positive);
    if (args.length > 3 || !N || !r || !p || N < 2 || (N & (N - 1)) !== 0) {
      return { kind: "unsupported", format: "scrypt with parameters other than N:r:p" };
    }
    if (128 * N * r * p > MAX_SCRYPT_MEMORY)
      return { kind: "unsupported", format: `scrypt:${N}:${r}:${p} (too costly)` };
    return { kind: "scrypt", method: `scrypt:${N}:${r}:${p}`, N, r, p, salt: saltBytes, key };
  }
  const [digest = "", iterationsText] = args;
  const iterations = positive(iterationsText);
  const digestShown = /^[a-z0-9]{1,10}$/.test(digest) ? digest : "?";
  // Without its iterations werkzeug uses its own version's default, which the hash does not record.
  if (args.length !== 2 || !iterations)
    return { kind: "unsupported", format: `pbkdf2:${digestShown} without iterations` };
  if (!DIGEST_BYTES[digest]) return { kind: "unsupported", format: `pbkdf2:${digestShown}` };
  if (iterations > MAX_PBKDF2_ITERATIONS) return { kind: "unsupported", format: `pbkdf2:${digest} (too costly)` };
  return { kind: "pbkdf2", method: `pbkdf2:${digest}:${iterations}`, digest, iterations, salt: saltBytes, key };
}

function parsePasslib(stored: string): ParsedPasswordHash {
  const [, scheme = "", rounds, salt, key, extra] = stored.split("$");
  const digest = PASSLIB_DIGESTS[scheme];
  const format = /^[a-z0-9-]{1,20}$/i.test(scheme) ? `$${scheme}$` : "unknown";
  const iterations = positive(rounds);
  const ab64 = /^[A-Za-z0-9./]+$/;
  if (!digest || !iterations || !salt || !key || extra !== undefined || !ab64.test(salt) || !ab64.test(key)) {
    return { kind: "unsupported", format };
  }
  if (iterations > MAX_PBKDF2_ITERATIONS) return { kind: "unsupported", format: `${format} (too costly)` };
  const decode = (text: string) => Buffer.from(text.replaceAll(".", "+"), "base64");
  return { kind: "pbkdf2", method: `${format}${iterations}`, digest, iterations, salt: decode(salt), key: decode(key) };
}

/** Whether `password` matches `hash`, computed off the event loop and compared in constant time. */
export async function verifyPasswordHash(hash: PasswordHash, password: string): Promise<boolean> {
  const given = Buffer.from(password, "utf8");
  const derived =
    hash.kind === "scrypt"
      ? await scryptAsync(given, hash.salt, hash.key.length, {
          N: hash.N,
          r: hash.r,
          p: hash.p,
          // Node refuses when 128·N·r·p reaches maxmem (32 MiB by default, exactly werkzeug's default cost).
          maxmem: 129 * hash.N * hash.r * hash.p + 1024 * 1024,
        })
      : await pbkdf2Async(given, hash.salt, hash.iterations, hash.key.length, hash.digest);
  return derived.length === hash.key.length && timingSafeEqual(derived, hash.key);
}

/**
 * A hash of the same method as `like`, with a random salt and key that no password matches: verifying
 * against it costs what verifying a real one costs, so an unknown name takes as long as a wrong password.
 */
export function dummyPasswordHash(like?: PasswordHash): PasswordHash {
  const salt = Buffer.from(randomBytes(12).toString("base64url"));
  if (like) return { ...like, salt, key: randomBytes(like.key.length) };
  return { kind: "scrypt", method: "scrypt:32768:8:1", N: 32768, r: 8, p: 1, salt, key: randomBytes(64) };
}
