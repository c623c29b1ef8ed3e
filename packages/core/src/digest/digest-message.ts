import { DIGEST_GROUPS, type DigestContent } from "./digest-content.js";

/** Where a digest points: the page, and the chart as a signed image URL for chat services. */
export interface DigestLinks {
  page?: string;
  image?: string;
}

const number = (n: number) => n.toLocaleString("en-GB");

/** The headline: people in the period and how that compares with the period before. */
export function headline(d: DigestContent): string {
  const people = `${number(d.people)} distinct ${d.people === 1 ? "person" : "people"} logged in`;
  const before = `the ${d.kind} before`;
  if (d.change === null) return `${people} during ${d.title}; nobody in ${before}.`;
  const change = d.change === 0 ? "as many as" : `${d.change > 0 ? "up" : "down"} ${Math.abs(d.change)}% from`;
  return `${people} during ${d.title}, ${change} ${number(d.previous)} in ${before}.`;
}

/** New, returning, resurrected and dormant, as label and figure. */
export function lifecycleFacts(d: DigestContent): [string, string][] {
  const { lifecycle: l } = d;
  return [
    ["New", number(l.new)],
    ["Returning", number(l.returning)],
    ["Resurrected", number(l.resurrected)],
    ["Dormant", number(l.dormant)],
  ];
}

/** The largest groups in a line, or null when sys.role has none with people in the period. */
export function groupsLine(d: DigestContent): string | null {
  if (!d.groups.length && !d.otherGroups) return null;
  const named = d.groups.map((g) => `${g.name} ${number(g.people)}`).join(", ");
  if (!d.otherGroups) return `Largest groups: ${named}`;
  const more = `${d.otherGroups} ${named ? "more " : ""}group${d.otherGroups === 1 ? "" : "s"}`;
  const rule = `the ${DIGEST_GROUPS} largest${d.minGroupSize > 1 ? ` of at least ${d.minGroupSize} people` : ""} are named`;
  return `Largest groups: ${named}${named ? "; " : ""}${more} (${rule})`;
}

/** The subject of the mail, and the title of chat messages. */
export const subject = (d: DigestContent) => `home-usage: ${number(d.people)} people in ${d.title}`;

/** The plain text of the digest (the mail's text part, and what chat services show in notifications). */
export function digestText(d: DigestContent, links: DigestLinks): string {
  const lines = [
    headline(d),
    lifecycleFacts(d)
      .map(([k, v]) => `${k} ${v}`)
      .join(" · "),
  ];
  const groups = groupsLine(d);
  if (groups) lines.push(groups);
  lines.push(`Days ${d.first} to ${d.last}, time zone ${d.zone}.`);
  if (links.page) lines.push(`The page: ${links.page}`);
  return lines.join("\n");
}

const slackEscape = (text: string) => text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

/** A Slack incoming webhook's body: `text` for notifications, Block Kit `blocks` with the chart as an image block. */
export function slackBody(d: DigestContent, links: DigestLinks): Record<string, unknown> {
  const groups = groupsLine(d);
  const blocks: Record<string, unknown>[] = [
    { type: "header", text: { type: "plain_text", text: subject(d) } },
    { type: "section", text: { type: "mrkdwn", text: slackEscape(headline(d)) } },
    { type: "section", fields: lifecycleFacts(d).map(([k, v]) => ({ type: "mrkdwn", text: `*${k}*\n${v}` })) },
  ];
  if (groups) blocks.push({ type: "section", text: { type: "mrkdwn", text: slackEscape(groups) } });
  if (links.image) {
    blocks.push({ type: "image", image_url: links.image, alt_text: chartAlt(d) });
  }
  const context = [`Days ${d.first} to ${d.last}, time zone ${d.zone}`];
  if (links.page) context.push(`<${links.page}|Open the page>`);
  blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: context.join(" · ") }] });
  return { text: slackEscape(`${subject(d)}. ${headline(d)}`), blocks };
}

/** A Mattermost incoming webhook's body: `text`, and an attachment with the figures and `image_url`. */
export function mattermostBody(d: DigestContent, links: DigestLinks): Record<string, unknown> {
  const groups = groupsLine(d);
  const attachment: Record<string, unknown> = {
    fallback: `${subject(d)}. ${headline(d)}`,
    color: "#0969da",
    title: subject(d),
    ...(links.page ? { title_link: links.page } : {}),
    text: [headline(d), groups].filter(Boolean).join("\n"),
    fields: lifecycleFacts(d).map(([title, value]) => ({ short: true, title, value })),
    footer: `Days ${d.first} to ${d.last}, time zone ${d.zone}`,
    ...(links.image ? { image_url: links.image } : {}),
  };
  return { text: `#### ${subject(d)}`, attachments: [attachment] };
}

/** A Microsoft Teams workflow webhook's body: a message carrying an Adaptive Card. */
export function teamsBody(d: DigestContent, links: DigestLinks): Record<string, unknown> {
  const groups = groupsLine(d);
  const body: Record<string, unknown>[] = [
    { type: "TextBlock", text: subject(d), size: "Large", weight: "Bolder", wrap: true },
    { type: "TextBlock", text: headline(d), wrap: true },
    { type: "FactSet", facts: lifecycleFacts(d).map(([title, value]) => ({ title, value })) },
  ];
  if (groups) body.push({ type: "TextBlock", text: groups, wrap: true });
  if (links.image) body.push({ type: "Image", url: links.image, altText: chartAlt(d), size: "Stretch" });
  body.push({
    type: "TextBlock",
    text: `Days ${d.first} to ${d.last}, time zone ${d.zone}`,
    isSubtle: true,
    size: "Small",
    wrap: true,
  });
  const content = {
    $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
    type: "AdaptiveCard",
    version: "1.4",
    body,
    ...(links.page ? { actions: [{ type: "Action.OpenUrl", title: "Open the page", url: links.page }] } : {}),
  };
  return {
    type: "message",
    attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", contentUrl: null, content }],
  };
}

/** What the chart shows, for screen readers and clients that show no images. */
export function chartAlt(d: DigestContent): string {
  const points = d.chart.rows.map((r) => `${r.period} ${r.user}`).join(", ");
  return `Distinct people per ${d.kind}, the last ${d.chart.rows.length} ${d.kind}s: ${points}`;
}
