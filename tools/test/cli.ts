// `home-usage` (or any program) as a process, as a user runs it: the built CLI with only the environment given.
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The built CLI (`pnpm build` first). */
export const CLI = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "apps", "cli", "dist", "index.js");

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts the CLI; `done` resolves with what it printed once it has exited. */
export const startCli = (args: string[], env: Record<string, string>) =>
  startProcess(process.execPath, [CLI, ...args], { env });

/** Starts a program with only `env`; `done` resolves with what it printed once it has exited. */
export function startProcess(
  command: string,
  args: string[],
  options: { env: Record<string, string>; cwd?: string },
): { child: ChildProcess; done: Promise<CliRun> } {
  const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => {
    stdout += d;
  });
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const done = new Promise<CliRun>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

/** Runs the CLI to its end. */
export const runCli = (args: string[], env: Record<string, string>): Promise<CliRun> => startCli(args, env).done;
