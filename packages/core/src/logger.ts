import winston from "winston";

export type LogFormat = "text" | "json";

/** Logs go to stderr, so stdout carries only results (summaries, reports, data). */
export type Logger = winston.Logger;

export function createLogger(format: LogFormat): Logger {
  return winston.createLogger({
    level: "info",
    format:
      format === "json"
        ? winston.format.combine(winston.format.timestamp(), winston.format.json())
        : winston.format.combine(
            winston.format.timestamp(),
            winston.format.printf(({ timestamp, level, message }) => `${timestamp} ${level}: ${message}`),
          ),
    transports: [new winston.transports.Console({ stderrLevels: ["error", "warn", "info", "debug"] })],
  });
}
