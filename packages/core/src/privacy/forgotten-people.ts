import { HomeUsageError } from "../errors.js";
import type { PrivacyRecord } from "../rollup/rollup.js";
import { identityOf, secretCheck } from "./pseudonym.js";

/** Refuses a secret other than the one the rollup's pseudonyms were made with: they would not match. */
export function checkSecret(record: PrivacyRecord | null, secret: string): void {
  if (record && record.secretCheck !== secretCheck(secret)) {
    throw new HomeUsageError(
      "E_USAGE",
      "HOME_USAGE_PSEUDONYM_SECRET is not the secret the rollup's pseudonyms were made with: set that one again (with another, forgotten people would be counted again)",
    );
  }
}

/**
 * Whether a user is one of the people `forget` erased. The job must not count them again, so a rollup
 * that has forgotten anybody needs the secret their pseudonyms were made with.
 */
export function forgottenPeople(record: PrivacyRecord | null, secret: string | undefined): (user: string) => boolean {
  if (!record || record.forgotten.length === 0) return () => false;
  if (!secret) {
    throw new HomeUsageError(
      "E_USAGE",
      `the rollup has forgotten ${record.forgotten.length === 1 ? "a person" : `${record.forgotten.length} people`}: set HOME_USAGE_PSEUDONYM_SECRET, the secret of home-usage forget, so that they stay out`,
    );
  }
  checkSecret(record, secret);
  const forgotten = new Set(record.forgotten);
  const identity = identityOf(secret);
  return (user) => forgotten.has(identity(user));
}
