/** Why something failed, for the app entry points to map to an exit code or an HTTP status. */
export type ErrorCode =
  | "E_USAGE" // bad input from the user: a flag, a variable, an argument
  | "E_LOCKED" // another run holds the job's lock
  | "E_STATE" // stored state forbids the request (a time zone change without --reset, a damaged document)
  | "E_CONFLICT" // the settings disagree with the rollup (another time zone than it was built in)
  | "E_INTERRUPTED" // stopped by a signal before it finished
  | "E_UNAUTHORIZED" // no or a wrong API token
  | "E_FORBIDDEN" // a tampered or expired embed token
  | "E_DATABASE"; // the database is unreachable or refused an operation

/** The one error class of home-usage: a message meant for people, and a code meant for programs. */
export class HomeUsageError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "HomeUsageError";
    this.code = code;
  }
}

/** What a stored value is, for a message about it. */
export const describeValue = (value: unknown): string =>
  value === null
    ? "null"
    : value instanceof Date
      ? `the date ${Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString()}`
      : Array.isArray(value)
        ? "a list"
        : typeof value === "object"
          ? "an object"
          : `the ${typeof value} ${JSON.stringify(value)}`;
