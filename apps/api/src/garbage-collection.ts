import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * V8's collector, which a program may not otherwise call (`--expose-gc` belongs on the command line, and
 * cannot be given to one worker thread): `collect()` is a whole collection, `collect({ type: "minor" })` a
 * young one.
 */
export const collectGarbage: (options?: { type: "minor" | "major" }) => void = (() => {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as (options?: { type: "minor" | "major" }) => void;
})();
