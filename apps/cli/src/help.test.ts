// What `--help` tells a newcomer: every option's environment variable, the inclusive and exclusive ends,
// what is required, and examples. Snapshots show the whole text in review when it changes.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { SETTINGS, settingOptions } from "@home-usage/core";
import { describe, expect, it } from "vitest";

const apps = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const cli = join(apps, "cli", "dist", "index.js");
const api = join(apps, "api", "dist", "index.js");

function help(program: string, ...args: string[]): string {
  const result = spawnSync(process.execPath, [program, ...args, "--help"], {
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", COLUMNS: "100" },
  });
  expect(result.status).toBe(0);
  // Commander wraps at the terminal's width; joined, the words can be searched whatever the width.
  return result.stdout;
}
const flat = (text: string) => text.replace(/\s+/g, " ");

describe("--help", () => {
  it.each([
    ["home-usage", cli, [], "cli"],
    ["home-usage-api", api, [], "api"],
  ] as const)(
    "of %s names the environment variable of every setting it takes, and ends with examples",
    (_name, program, args, who) => {
      const text = help(program, ...args);
      for (const { key } of settingOptions(who)) {
        const s = SETTINGS[key] as { env?: string; flag?: string };
        expect(flat(text)).toContain(`${s.flag?.split(" ")[0]}`);
        expect(flat(text)).toContain(`env ${s.env}`);
      }
      expect(text).toMatch(/\nExamples:\n( {2}\$ .+\n){2,3}\s*$/);
    },
  );

  it.each(["aggregate", "report", "plot", "status", "users", "retention", "embed-url", "demo-data"])(
    "of home-usage %s shows its own options and points to home-usage --help for the shared ones",
    (command) => {
      const text = flat(help(cli, command));
      expect(text).toContain("home-usage --help");
      expect(text).not.toContain("env MONGODB_URI");
      // No job-only option under a reading command.
      if (command !== "aggregate") expect(text).not.toContain("--checkpoint-ms");
    },
  );

  it("says which ends are inclusive and which exclusive, and what plot needs", () => {
    expect(flat(help(cli, "aggregate"))).toContain("--end <date> last day, included (inclusive; default: today)");
    expect(flat(help(cli, "report"))).toContain("--end <date> end, exclusive");
    const plot = flat(help(cli, "plot"));
    expect(plot).toContain("(--out is required)");
    expect(plot).toContain("--out <file> required:");
    expect(plot).toContain("width in pixels, 320 to 2000");
    expect(plot).toContain("height in pixels, 260 to 1200");
  });

  it("reads the same as before (update with vitest -u when meant)", () => {
    expect(help(cli)).toMatchSnapshot();
    expect(help(api)).toMatchSnapshot();
  });
});
