import { createHash } from "node:crypto";
import { HomeUsageError } from "../errors.js";

/** The services a digest goes to. */
export type DigestTargetKind = "slack" | "mattermost" | "teams" | "mailto";
const KINDS: readonly DigestTargetKind[] = ["slack", "mattermost", "teams", "mailto"];

/** One `--to` target. `address` (a webhook URL, or an e-mail address) is a secret: messages show `shown`. */
export interface DigestTarget {
  kind: DigestTargetKind;
  address: string;
  /** The target as messages show it: `slack:hooks.slack.com/…`, `mailto:o…@example.com`. */
  shown: string;
  /** The SHA-256 of the target as given, in hex: the sent-log's key. */
  hash: string;
}

const USAGE = "use slack:URL, mattermost:URL, teams:URL or mailto:ADDRESS";
const ADDRESS = /^[^@\s<>,;:"]+@[^@\s<>,;:"]+\.[^@\s<>,;:"]+$/;

/** Reads `--to` targets (each once); a bad one is an `E_USAGE` error that never repeats a webhook's URL. */
export function parseTargets(given: readonly string[]): DigestTarget[] {
  if (!given.length) throw new HomeUsageError("E_USAGE", `--to: say where to send the digest (${USAGE})`);
  const targets = new Map<string, DigestTarget>();
  for (const text of given) {
    const colon = text.indexOf(":");
    const kind = KINDS.find((k) => k === text.slice(0, colon).toLowerCase());
    const address = text.slice(colon + 1).trim();
    if (colon < 0 || !kind) {
      const scheme = colon < 0 ? "" : `${text.slice(0, Math.min(colon, 20))}:…`;
      throw new HomeUsageError("E_USAGE", `--to: ${scheme ? `"${scheme}" ` : ""}is not a target (${USAGE})`);
    }
    if (kind === "mailto" ? !ADDRESS.test(address) : !isWebUrl(address)) {
      const what = kind === "mailto" ? "an e-mail address" : "an http:// or https:// URL";
      throw new HomeUsageError("E_USAGE", `--to: ${kind}: must be followed by ${what}`);
    }
    const hash = createHash("sha256").update(`${kind}:${address}`).digest("hex");
    targets.set(hash, { kind, address, shown: redact(kind, address), hash });
  }
  return [...targets.values()];
}

const isWebUrl = (text: string) => URL.canParse(text) && /^https?:$/.test(new URL(text).protocol);

/** A target as it may be shown: a webhook's host only, an address's first letter and domain. */
function redact(kind: DigestTargetKind, address: string): string {
  if (kind === "mailto") {
    const at = address.lastIndexOf("@");
    return `mailto:${address.slice(0, 1)}…${address.slice(at)}`;
  }
  return `${kind}:${new URL(address).host}/…`;
}
