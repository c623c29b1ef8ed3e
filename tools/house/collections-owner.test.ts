import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** The shipped sources (no tests) under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.ts$/.test(entry.name) && !/\.test\.ts$/.test(entry.name) ? [path] : [];
  });
}

it("opens collections in one place: packages/core/src/collections.ts", () => {
  const dirs = ["packages", "apps"].flatMap((group) =>
    readdirSync(join(root, group)).map((name) => join(root, group, name, "src")),
  );
  const opening = dirs
    .flatMap(sources)
    .filter((file) => /\.collection\s*[<(]/.test(readFileSync(file, "utf8")))
    .map((file) => file.slice(root.length));
  expect(opening).toEqual(["packages/core/src/collections.ts"]);
});
