import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** The longest a function's body may be, in lines (from its `{` to its `}`). */
const MAX_LINES = 120;

/** Data, not logic: the OpenAPI document is one object literal that describes the routes. */
const DATA = new Set(["apps/api/src/openapi.ts openApiDocument"]);

/**
 * Functions still longer than the limit, with their length when this list was written. The test fails
 * when one of them grows, and when one has become short enough (then it leaves the list), so the list
 * stays true.
 */
const PENDING = new Map<string, number>([]);

/** The shipped sources (no tests, no declarations) under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.ts$/.test(entry.name) && !/\.(test|d)\.ts$/.test(entry.name) ? [path] : [];
  });
}

/** The name a function goes by: its own, or that of the variable, property or method it is. */
function nameOf(node: ts.SignatureDeclaration, file: ts.SourceFile): string {
  if (node.name) return node.name.getText(file);
  const parent = node.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) && parent.name) {
    return parent.name.getText(file);
  }
  return `(anonymous at line ${file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1})`;
}

/** Every function's body length in lines, keyed `path name` (the longest, when a name repeats). */
function functionLengths(): Map<string, number> {
  const lengths = new Map<string, number>();
  const dirs = ["packages", "apps"].flatMap((group) =>
    readdirSync(join(root, group)).map((name) => join(root, group, name, "src")),
  );
  for (const path of dirs.flatMap(sources)) {
    const file = ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node) => {
      if (ts.isFunctionLike(node) && "body" in node && node.body) {
        const body = node.body as ts.Node;
        const first = file.getLineAndCharacterOfPosition(body.getStart(file)).line;
        const last = file.getLineAndCharacterOfPosition(body.getEnd()).line;
        const key = `${path.slice(root.length).replaceAll("\\", "/")} ${nameOf(node, file)}`;
        lengths.set(key, Math.max(lengths.get(key) ?? 0, last - first + 1));
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return lengths;
}

it(`keeps every function in packages/*/src and apps/*/src at most ${MAX_LINES} lines long`, () => {
  const lengths = functionLengths();
  const tooLong = [...lengths]
    .filter(([key, lines]) => lines > MAX_LINES && !DATA.has(key) && !PENDING.has(key))
    .map(([key, lines]) => `${key}: ${lines} lines`);
  expect(tooLong).toEqual([]);
});

it("keeps the pending list true: each is still too long, and none has grown", () => {
  const lengths = functionLengths();
  const stale = [...PENDING]
    .map(([key, listed]) => ({ key, listed, now: lengths.get(key) ?? 0 }))
    .filter(({ listed, now }) => now <= MAX_LINES || now > listed)
    .map(({ key, listed, now }) => `${key}: listed at ${listed} lines, now ${now}`);
  expect(stale).toEqual([]);
});
