import { stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  clockOf,
  type DigestPeriod,
  type DigestPlan,
  type DigestTarget,
  digestMail,
  HomeUsageError,
  messageFor,
  parseTargets,
  planDigest,
  sendDigest,
} from "@home-usage/core";
import { type GlobalOptions, readConfig, withDatabase } from "../context.js";
import { deliver } from "../digest-delivery.js";

export interface DigestOptions extends GlobalOptions {
  period: DigestPeriod;
  to?: string[];
  force?: boolean;
  dryRun?: boolean;
  out?: string;
}

const when = (date: Date) => `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;

/**
 * `home-usage digest`: the last complete week or month to chat services and e-mail, once per period and
 * target. Usage errors come before anything is read; a failed target alone is tried again next time.
 */
export async function digest(options: DigestOptions): Promise<void> {
  const targets = parseTargets(options.to ?? []);
  if (options.out !== undefined) await checkOut(options);
  const config = await readConfig(options);
  const mail = targets.some((t) => t.kind === "mailto");
  if (mail && !options.dryRun && (!config.smtpUrl || !config.mailFrom)) {
    const missing = [!config.smtpUrl && "HOME_USAGE_SMTP_URL", !config.mailFrom && "HOME_USAGE_MAIL_FROM"];
    throw new HomeUsageError("E_USAGE", `--to mailto: needs ${missing.filter(Boolean).join(" and ")} set`);
  }
  const clock = clockOf(config);
  const now = clock();
  await withDatabase(config, async (client) => {
    const plan = await planDigest(client, config, { kind: options.period, targets, now });
    if (targets.some((t) => t.kind !== "mailto") && !plan.links.image) {
      const missing = [!config.publicUrl && "HOME_USAGE_PUBLIC_URL", !config.embedSecret && "HOME_USAGE_EMBED_SECRET"];
      process.stderr.write(
        `home-usage: chat messages go without the chart: set ${missing.filter(Boolean).join(" and ")} for its image\n`,
      );
    }
    if (options.dryRun) return show(plan, options, config.mailFrom);
    const outcomes = await sendDigest(client, config, plan, {
      force: Boolean(options.force),
      now: clock,
      deliver: (message) => deliver(message, { smtpUrl: config.smtpUrl, mailFrom: config.mailFrom }),
    });
    for (const o of outcomes) {
      if (o.outcome === "sent") process.stdout.write(`sent ${plan.content.label} to ${o.target.shown}\n`);
      if (o.outcome === "already") {
        process.stdout.write(
          `${plan.content.label} was already sent to ${o.target.shown} at ${when(o.sent)}: nothing sent (--force sends it again)\n`,
        );
      }
      if (o.outcome === "busy") {
        process.stdout.write(`${plan.content.label} is being sent to ${o.target.shown} by another run: nothing sent\n`);
      }
      if (o.outcome === "failed") {
        process.stderr.write(`home-usage: ${plan.content.label} not sent to ${o.target.shown}: ${o.reason}\n`);
      }
    }
    if (outcomes.some((o) => o.outcome === "failed")) process.exitCode = 1;
  });
}

async function checkOut(options: DigestOptions): Promise<void> {
  if (!options.dryRun) throw new HomeUsageError("E_USAGE", "--out: only with --dry-run");
  const found = await stat(options.out as string).catch(() => null);
  if (!found?.isDirectory()) {
    throw new HomeUsageError("E_USAGE", `--out: ${options.out} is not a directory; create it, or give another --out`);
  }
}

/** `--dry-run`: each message as it would be sent; with `--out` the mail as an HTML file beside its charts. */
async function show(plan: DigestPlan, options: DigestOptions, mailFrom: string | undefined): Promise<void> {
  const { content, links } = plan;
  for (const target of plan.targets) {
    const sent = plan.sent.get(target.hash);
    const state = sent && !options.force ? `already sent at ${when(sent)}: would send nothing` : "would be sent";
    process.stdout.write(`--- ${content.label} to ${target.shown} (${state})\n`);
    const message = messageFor(target, content, links);
    if ("body" in message) process.stdout.write(`${JSON.stringify(message.body, null, 2)}\n`);
    else process.stdout.write(mailText(target, message.mail.subject, message.mail.text, mailFrom));
  }
  if (options.out === undefined || !plan.targets.some((t) => t.kind === "mailto")) return;
  const base = join(options.out, `digest-${content.label}`);
  const images = { light: `digest-${content.label}.png`, dark: `digest-${content.label}-dark.png` };
  await writeFile(join(options.out, images.light), content.chart.png.light);
  await writeFile(join(options.out, images.dark), content.chart.png.dark);
  await writeFile(`${base}.html`, digestMail(content, links, images).html);
  process.stdout.write(`wrote ${base}.html (open it in a browser), ${images.light} and ${images.dark}\n`);
}

function mailText(target: DigestTarget, subject: string, text: string, from: string | undefined): string {
  const headers = [
    `From: ${from ?? "(HOME_USAGE_MAIL_FROM)"}`,
    `To: ${target.shown.replace(/^mailto:/, "")}`,
    `Subject: ${subject}`,
  ];
  return `${headers.join("\n")}\n\n${text}\n[HTML part with the chart inline; --out DIR writes it as a file]\n`;
}
