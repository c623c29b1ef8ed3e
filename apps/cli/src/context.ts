import {
  connectDatabase,
  createLogger,
  type HomeUsageConfig,
  type LogFormat,
  type Logger,
  loadConfig,
  type SettingKey,
  settingOptions,
} from "@home-usage/core";

import type { MongoClient } from "mongodb";

/** The options every command takes (see index.ts). */
export type GlobalOptions = Partial<Record<SettingKey, string | boolean>> & {
  config?: string;
  logFormat: LogFormat;
};

/** Builds the configuration from the file, the environment and the flags. */
export function readConfig(options: GlobalOptions): Promise<HomeUsageConfig> {
  return loadConfig({
    file: options.config,
    env: process.env,
    // Commander names each option after its flag, which SETTINGS names after the setting.
    flags: Object.fromEntries(settingOptions("cli").map(({ key }) => [key, options[key]])),
  });
}

/** Runs `work` with a connected client, and closes it whatever happens. */
export async function withDatabase<T>(config: HomeUsageConfig, work: (client: MongoClient) => Promise<T>): Promise<T> {
  const client = await connectDatabase(config.mongodbUri, {
    onWaiting: (message) => process.stderr.write(`home-usage: ${message}\n`),
  });
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

export function loggerFor(options: GlobalOptions): Logger {
  return createLogger(options.logFormat);
}
