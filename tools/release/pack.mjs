// `pnpm release:pack`: writes the tarballs a user installs with `npm install -g`, one per program, into
// dist/release/ (or the folder given with --out). Each is whole by itself: the workspace packages it uses
// (core, and demo for the CLI) are bundled into its dist/, core's fonts ride along in fonts/, and its
// dependencies are core's and its own.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));

/** Supported Node versions, as every package.json of the workspace says them. */
const ENGINES = readJson(join(repoRoot, "package.json")).engines;

/** The programs, by the name a user finds on npm, which is also the command. */
export const RELEASES = [
  { name: "home-usage", dir: "apps/cli", entries: { index: "src/index.ts" } },
  // The chart worker is a script of its own, started from beside the entry (src/chart-renderer.ts).
  {
    name: "home-usage-api",
    dir: "apps/api",
    entries: { index: "src/index.ts", "chart-worker": "src/chart-worker.ts" },
  },
];

/**
 * npm as the running Node ships it, run by that Node: the tarballs are made and tested with the npm of
 * the Node under test, and the `npm` first in PATH may be another's (or a broken shim).
 */
export function npmCommand() {
  const beside = [
    join(dirname(process.execPath), "..", "lib", "node_modules", "npm", "bin", "npm-cli.js"),
    join(dirname(process.execPath), "node_modules", "npm", "bin", "npm-cli.js"),
  ].find((path) => existsSync(path));
  return beside ? { command: process.execPath, prefix: [beside] } : { command: "npm", prefix: [] };
}

/** Runs npm in `cwd`, outside the workspace, so the workspace's .npmrc does not apply. */
export function npm(args, cwd) {
  const { command, prefix } = npmCommand();
  return execFileSync(command, [...prefix, ...args, "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
}

/** The workspace packages a package depends on (`workspace:` versions), by name, with their folders. */
function workspacePackages() {
  const found = new Map();
  for (const group of ["packages", "apps"]) {
    for (const name of readdirSync(join(repoRoot, group))) {
      const file = join(repoRoot, group, name, "package.json");
      if (existsSync(file)) found.set(readJson(file).name, join(repoRoot, group, name));
    }
  }
  return found;
}

/**
 * The registry dependencies of a program: its own and those of every workspace package it bundles.
 * Two ranges for one dependency would make the bundle's two users disagree, so that is an error.
 */
function registryDependencies(manifest, workspace) {
  const dependencies = {};
  const bundled = [];
  const visit = (pkg) => {
    for (const [name, range] of Object.entries(pkg.dependencies ?? {})) {
      if (range.startsWith("workspace:")) {
        if (bundled.includes(name)) continue;
        bundled.push(name);
        visit(readJson(join(workspace.get(name), "package.json")));
      } else if (dependencies[name] !== undefined && dependencies[name] !== range) {
        throw new Error(`${manifest.name}: ${name} is wanted as ${dependencies[name]} and as ${range}`);
      } else {
        dependencies[name] = range;
      }
    }
  };
  visit(manifest);
  return { dependencies: Object.fromEntries(Object.entries(dependencies).sort()), bundled };
}

/** Every package a built file imports by name (not Node's own): each must be a declared dependency. */
function importedPackages(dir) {
  const found = new Set();
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".js"))) {
    const code = readFileSync(join(dir, file), "utf8");
    for (const [, specifier] of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["']([^"'./][^"']*)["']/g)) {
      if (specifier.startsWith("node:") || builtinModules.includes(specifier)) continue;
      const parts = specifier.split("/");
      found.add(specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]);
    }
  }
  return [...found].sort();
}

function readme(release, manifest) {
  const other = release.name === "home-usage" ? "home-usage-api" : "home-usage";
  return `# ${release.name}

${manifest.description}

\`\`\`sh
npm install -g ${release.name}
${release.name} --help
\`\`\`

Node.js ${ENGINES.node}. It reads its settings from environment variables, flags or a \`--config\` file
(\`${release.name} --help\` lists them). The job (\`home-usage\`) writes the rollup that the API
(\`home-usage-api\`) serves; install \`${other}\` beside it for the other half. The PNG charts use DejaVu Sans,
shipped in \`fonts/\` with its licence.
`;
}

async function packOne(release, out, workspace) {
  const { build } = await import("tsup");
  const appDir = join(repoRoot, release.dir);
  const manifest = readJson(join(appDir, "package.json"));
  const { dependencies, bundled } = registryDependencies(manifest, workspace);
  const stage = mkdtempSync(join(tmpdir(), `${release.name}-pack-`));
  try {
    await build({
      config: false,
      silent: true,
      entry: Object.fromEntries(Object.entries(release.entries).map(([key, file]) => [key, join(appDir, file)])),
      outDir: join(stage, "dist"),
      tsconfig: join(appDir, "tsconfig.json"),
      format: ["esm"],
      platform: "node",
      target: "node20",
      clean: true,
      banner: { js: "#!/usr/bin/env node" },
      noExternal: bundled,
      skipNodeModulesBundle: true,
    });
    const undeclared = importedPackages(join(stage, "dist")).filter((name) => !(name in dependencies));
    if (undeclared.length > 0) throw new Error(`${release.name} imports undeclared packages: ${undeclared.join(", ")}`);
    cpSync(join(repoRoot, "packages", "core", "fonts"), join(stage, "fonts"), { recursive: true });
    // The workspace pins some transitive packages (pnpm.overrides: @uwdata/flechette 2.7.0 depends on a
    // package missing from the registry). npm honours neither pnpm's overrides nor, for a tarball, a
    // shrinkwrap; a direct dependency on the pinned version is what the transitive one then resolves to.
    const pins = readJson(join(repoRoot, "package.json")).pnpm?.overrides ?? {};
    writeFileSync(
      join(stage, "package.json"),
      `${JSON.stringify(
        {
          name: release.name,
          version: manifest.version,
          description: manifest.description,
          keywords: ["core4", "mongodb", "usage", "logins", "analytics"],
          type: "module",
          engines: ENGINES,
          bin: { [release.name]: "./dist/index.js" },
          files: ["dist", "fonts"],
          dependencies: Object.fromEntries(Object.entries({ ...dependencies, ...pins }).sort()),
        },
        null,
        2,
      )}\n`,
    );
    writeFileSync(join(stage, "README.md"), readme(release, manifest));
    const [{ filename }] = JSON.parse(npm(["pack", "--json", "--pack-destination", out], stage));
    return join(out, filename);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** Packs every program into `out` (emptied first) and returns the tarballs' paths. */
export async function packReleases(out = join(repoRoot, "dist", "release")) {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const workspace = workspacePackages();
  const tarballs = [];
  for (const release of RELEASES) tarballs.push(await packOne(release, out, workspace));
  return tarballs;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: "string" } } });
  const tarballs = await packReleases(values.out ? resolve(values.out) : undefined);
  for (const tarball of tarballs) console.log(tarball);
}
