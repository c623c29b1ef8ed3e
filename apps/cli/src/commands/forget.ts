import { hostname } from "node:os";
import { type ForgetResult, forgetPeople, printable } from "@home-usage/core";
import { type GlobalOptions, readConfig, withDatabase } from "../context.js";
import { plural } from "../progress.js";

/** `home-usage forget NAME...`: erases people from the rollup, and says what it changed. */
export async function forget(names: string[], options: GlobalOptions): Promise<void> {
  const config = await readConfig(options);
  const result = await withDatabase(config, (client) =>
    forgetPeople({ client, config, names, host: hostname(), pid: process.pid }),
  );
  process.stdout.write(`${describe(result).join("\n")}\n`);
}

const KINDS = ["day", "week", "month", "quarter", "year"] as const;

function describe(result: ForgetResult): string[] {
  const lines = result.named.map(({ name, documents, alreadyForgotten }) => {
    const where = KINDS.filter((k) => documents[k]).map((k) => plural(documents[k] ?? 0, k));
    const said = where.length > 0 ? `named in ${where.join(", ")}` : "named in no document any more";
    return `forgot ${JSON.stringify(printable(name))}: ${said}${alreadyForgotten ? " (forgotten before)" : ""}`;
  });
  const { before, after, rewritten } = result;
  return [
    ...lines,
    `erased ${plural(result.logins, "login")} on ${plural(result.days, "person-day")}; every period, summary and metric recomputed without them`,
    `distinct people over the processed days: ${before.people} before, ${after.people} after; logins: ${before.logins} before, ${after.logins} after`,
    `rewrote ${plural(rewritten.days, "day document")}, ${plural(rewritten.periods, "period document")} and ${rewritten.summaries === 1 ? "1 summary" : `${rewritten.summaries} summaries`} in ${(result.elapsedMs / 1000).toFixed(1)}s; the rollup keeps the keyed pseudonyms of ${result.forgotten === 1 ? "1 forgotten person" : `${result.forgotten} forgotten people`}`,
    "core4's own log (sys.log) still holds their records: erasing those is the core4 operator's job",
  ];
}
