import { HomeUsageError } from "../errors.js";
import type { NAMES_MODES } from "../settings/settings.js";
import { identityOf } from "./pseudonym.js";

export type NamesMode = (typeof NAMES_MODES)[number];

/**
 * How names leave home-usage: every list, export and page that would show a person goes through one
 * policy. `show` shows them as stored; `pseudonymous` shows keyed pseudonyms; `hidden` shows none.
 */
export interface NamesPolicy {
  readonly mode: NamesMode;
  /** The name as it may be shown (`hidden`: never called, see `refusal`). */
  display(user: string): string;
  /** Why no names may be shown, or null when they may. */
  readonly refusal: string | null;
}

export const HIDDEN_NAMES_MESSAGE =
  "names are hidden on this server (HOME_USAGE_NAMES=hidden): home-usage shows counts only";

/** The policy the configuration sets; `pseudonymous` needs the secret (the configuration checks it). */
export function namesPolicy(config: { names: NamesMode; pseudonymSecret?: string }): NamesPolicy {
  const { names: mode, pseudonymSecret: secret } = config;
  if (mode === "pseudonymous") {
    if (!secret) throw new HomeUsageError("E_USAGE", "HOME_USAGE_NAMES=pseudonymous needs HOME_USAGE_PSEUDONYM_SECRET");
    // A name the rollup already keeps as a pseudonym (an expired name) stays that pseudonym.
    return { mode, refusal: null, display: identityOf(secret) };
  }
  return {
    mode,
    refusal: mode === "hidden" ? HIDDEN_NAMES_MESSAGE : null,
    display: (user) => user,
  };
}

/** Throws the refusal of a policy that shows no names: `E_FORBIDDEN` for the API, `E_USAGE` for the CLI. */
export function refuseHiddenNames(policy: NamesPolicy, code: "E_FORBIDDEN" | "E_USAGE"): void {
  if (policy.refusal) throw new HomeUsageError(code, policy.refusal);
}
