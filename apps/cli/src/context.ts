import {
  connectDatabase,
  createLogger,
  type HomeUsageConfig,
  type LogFormat,
  type Logger,
  loadConfig,
} from "@home-usage/core";

import type { MongoClient } from "mongodb";

/** The options every command takes (see index.ts). */
export interface GlobalOptions {
  config?: string;
  mongodbUri?: string;
  source?: string;
  target?: string;
  cookies?: string;
  timezone?: string;
  loginPreset?: string;
  now?: string;
  logFormat: LogFormat;
}

/** Builds the configuration from the file, the environment and the flags. */
export function readConfig(options: GlobalOptions): Promise<HomeUsageConfig> {
  return loadConfig({
    file: options.config,
    env: process.env,
    flags: {
      mongodbUri: options.mongodbUri,
      source: options.source,
      target: options.target,
      cookies: options.cookies,
      timezone: options.timezone,
      loginPreset: options.loginPreset,
      now: options.now,
    },
  });
}

/** Runs `work` with a connected client, and closes it whatever happens. */
export async function withDatabase<T>(config: HomeUsageConfig, work: (client: MongoClient) => Promise<T>): Promise<T> {
  const client = await connectDatabase(config.mongodbUri);
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

export function loggerFor(options: GlobalOptions): Logger {
  return createLogger(options.logFormat);
}
