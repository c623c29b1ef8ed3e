export { type ErrorCode, HomeUsageError } from "./errors.js";
