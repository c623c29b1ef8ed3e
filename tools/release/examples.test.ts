// The deployment examples (examples/) as systemd, cron's /bin/sh and nginx would read them: one
// environment file both read alike, which home-usage accepts as a configuration, named by every unit.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../packages/core/src/settings/config.js";
import { SETTINGS } from "../../packages/core/src/settings/settings.js";

const examples = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "examples");
const read = (file: string) => readFileSync(join(examples, file), "utf8");
const ENV_FILE = "/etc/home-usage/home-usage.env";

/** The file as systemd's EnvironmentFile= reads it: KEY="value" lines, # comments, quotes removed. */
function systemdEnvironment(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^([A-Z_][A-Z0-9_]*)="([^"]*)"$/.exec(line.trim());
    if (match?.[1] && match[2] !== undefined) env[match[1]] = match[2];
    else expect(line.trim() === "" || line.trim().startsWith("#"), `not KEY="value": ${line}`).toBe(true);
  }
  return env;
}

/** The file as the crontab line reads it: sourced by /bin/sh with set -a, then the environment printed. */
function shellEnvironment(file: string, keys: string[]): Record<string, string> {
  const script = `set -a && . "$1" && set +a && exec "$2" -e 'process.stdout.write(JSON.stringify(process.env))'`;
  const env = JSON.parse(
    execFileSync("/bin/sh", ["-c", script, "sh", file, process.execPath], { env: {}, encoding: "utf8" }),
  );
  return Object.fromEntries(keys.map((key) => [key, env[key]]));
}

describe("examples/", () => {
  const text = read("home-usage.env");
  const env = systemdEnvironment(text);

  it("has an environment file that systemd and /bin/sh read alike, and home-usage accepts", async () => {
    expect(shellEnvironment(join(examples, "home-usage.env"), Object.keys(env))).toEqual(env);
    const known = new Set(Object.values(SETTINGS).map((s) => ("env" in s ? s.env : undefined)));
    expect(Object.keys(env).filter((key) => !known.has(key))).toEqual([]);
    const config = await loadConfig({ env });
    expect(config.publicUrl).toBe("https://usage.example.com");
    expect(config.trustProxy).toBe(true);
    expect(config.host).toBe("127.0.0.1");
    expect(config.apiTokens).toHaveLength(1);
  });

  it("runs both programs from the environment file, as a user of their own, the API restarted on failure", () => {
    const api = read("systemd/home-usage-api.service");
    const job = read("systemd/home-usage-aggregate.service");
    for (const unit of [api, job]) {
      expect(unit).toContain(`EnvironmentFile=${ENV_FILE}`);
      expect(unit).toMatch(/^User=home-usage$/m);
    }
    expect(api).toMatch(/^Restart=on-failure$/m);
    expect(api).toMatch(/^ExecStart=\/usr\/local\/bin\/home-usage-api /m);
    expect(job).toMatch(/^ExecStart=\/usr\/local\/bin\/home-usage aggregate /m);
    expect(read("systemd/home-usage-aggregate.timer")).toMatch(/^OnCalendar=\*:0\/15$/m);
    expect(read("cron/home-usage.crontab")).toMatch(
      new RegExp(`^\\*/15 \\* \\* \\* \\* set -a && \\. ${ENV_FILE} && set \\+a && home-usage aggregate `, "m"),
    );
  });

  it("has nginx pass the forwarded headers to the port the API listens on", () => {
    const nginx = read("nginx/home-usage.conf");
    expect(nginx).toContain(`proxy_pass http://${env.HOST}:${env.PORT};`);
    expect(nginx).toContain("proxy_set_header X-Forwarded-Proto $scheme;");
    expect(nginx).toContain("proxy_set_header X-Forwarded-Host $host;");
    expect(nginx).toContain(`server_name ${new URL(env.HOME_USAGE_PUBLIC_URL ?? "").host};`);
  });
});
