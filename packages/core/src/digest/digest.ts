import type { MongoClient } from "mongodb";
import { collections } from "../collections.js";
import { signEmbedToken } from "../embed/embed-token.js";
import type { HomeUsageConfig } from "../settings/config.js";
import { type DigestContent, type DigestPeriod, readDigest } from "./digest-content.js";
import { type DigestMail, digestMail } from "./digest-mail.js";
import { type DigestLinks, mattermostBody, slackBody, teamsBody } from "./digest-message.js";
import type { DigestTarget } from "./digest-target.js";

/** How long a chat message's chart image stays valid: chat history is read for a long time. */
const IMAGE_LIFETIME_MS = 2 * 365 * 86_400_000;

/** A digest ready to send: what it says, its links, and which targets already have it. */
export interface DigestPlan {
  content: DigestContent;
  links: DigestLinks;
  targets: DigestTarget[];
  /** When each target (by hash) was sent this period's digest. */
  sent: Map<string, Date>;
}

/** The outcome for one target. */
export type DigestOutcome =
  | { target: DigestTarget; outcome: "sent" }
  | { target: DigestTarget; outcome: "already"; sent: Date }
  /** Another run is sending it at this moment. */
  | { target: DigestTarget; outcome: "busy" }
  | { target: DigestTarget; outcome: "failed"; reason: string };

/** Reads the digest of the last complete period and what was already sent of it. Writes nothing. */
export async function planDigest(
  client: MongoClient,
  config: HomeUsageConfig,
  options: { kind: DigestPeriod; targets: DigestTarget[]; now: Date },
): Promise<DigestPlan> {
  const content = await readDigest(client, config, options.kind, options.now);
  const sent = await collections(client, config).digests.sent(
    content.label,
    options.targets.map((t) => t.hash),
  );
  return { content, links: digestLinks(content, config, options.now), targets: options.targets, sent };
}

/** A digest as one target gets it: a webhook's JSON body, or a mail. */
export type DigestMessage =
  | { target: DigestTarget; body: Record<string, unknown> }
  | { target: DigestTarget; mail: DigestMail };

const BODIES = { slack: slackBody, mattermost: mattermostBody, teams: teamsBody } as const;

/** What `target` is sent. */
export function messageFor(target: DigestTarget, content: DigestContent, links: DigestLinks): DigestMessage {
  if (target.kind === "mailto") return { target, mail: digestMail(content, links) };
  // Chat services fetch the image themselves; the page's link is the same for everyone.
  return { target, body: BODIES[target.kind](content, links) };
}

/**
 * Sends the digest to every target that does not have it yet (every target with `force`), all at
 * once; each one that arrives is remembered, so a failed one alone is tried again next time.
 */
export async function sendDigest(
  client: MongoClient,
  config: HomeUsageConfig,
  plan: DigestPlan,
  options: {
    force: boolean;
    now: () => Date;
    /** Delivers one message, or throws an error whose message says why and holds no secret. */
    deliver: (message: DigestMessage) => Promise<void>;
  },
): Promise<DigestOutcome[]> {
  const log = collections(client, config).digests;
  return Promise.all(
    plan.targets.map(async (target): Promise<DigestOutcome> => {
      const sent = plan.sent.get(target.hash);
      if (sent && !options.force) return { target, outcome: "already", sent };
      const entry = { period: plan.content.label, target: target.hash, shown: target.shown };
      const claim = await log.claim(entry, options.force);
      if (!claim.claimed) {
        return claim.sent ? { target, outcome: "already", sent: claim.sent } : { target, outcome: "busy" };
      }
      try {
        await options.deliver(messageFor(target, plan.content, plan.links));
      } catch (error) {
        await log.release(entry);
        return { target, outcome: "failed", reason: error instanceof Error ? error.message : String(error) };
      }
      await log.record({ ...entry, sent: options.now() });
      return { target, outcome: "sent" };
    }),
  );
}

/**
 * The page under `HOME_USAGE_PUBLIC_URL`, showing the chart's periods, and the chart as a signed PNG
 * (with `HOME_USAGE_EMBED_SECRET`) for chat services, which cannot take an upload from a webhook.
 */
export function digestLinks(
  content: DigestContent,
  config: Pick<HomeUsageConfig, "publicUrl" | "embedSecret">,
  now: Date,
): DigestLinks {
  if (!config.publicUrl) return {};
  const range = { start: content.chart.first, end: content.end, aggregate: content.kind };
  const page = `${config.publicUrl}/usage/login?${new URLSearchParams(range)}`;
  if (!config.embedSecret) return { page };
  const token = signEmbedToken(range, {
    secret: config.embedSecret,
    expires: new Date(now.getTime() + IMAGE_LIFETIME_MS),
  });
  return { page, image: `${config.publicUrl}/usage/login/embed/${token}.png?width=640&height=320&scale=2` };
}
