import { htmlDocument } from "../html-document.js";
import type { DigestContent } from "./digest-content.js";
import {
  chartAlt,
  type DigestLinks,
  digestText,
  groupsLine,
  headline,
  lifecycleFacts,
  subject,
} from "./digest-message.js";

/** The `cid:` names of the chart's two inline images. */
export const CHART_CIDS = { light: "chart-light@home-usage", dark: "chart-dark@home-usage" } as const;

/** A digest as e-mail: subject, text and HTML parts, and the chart as inline PNGs the HTML refers to by `cid:`. */
export interface DigestMail {
  subject: string;
  text: string;
  html: string;
  attachments: { filename: string; cid: string; content: Buffer; contentType: "image/png" }[];
}

const escapeHtml = (text: string) =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

/** The digest as a mail. `images` replaces the `cid:` sources (a file on disk to open in a browser). */
export function digestMail(d: DigestContent, links: DigestLinks, images?: { light: string; dark: string }): DigestMail {
  const src = images ?? { light: `cid:${CHART_CIDS.light}`, dark: `cid:${CHART_CIDS.dark}` };
  return {
    subject: subject(d),
    text: digestText(d, links),
    html: html(d, links, src),
    attachments: (["light", "dark"] as const).map((theme) => ({
      filename: `home-usage-${d.label}${theme === "dark" ? "-dark" : ""}.png`,
      cid: CHART_CIDS[theme],
      content: d.chart.png[theme],
      contentType: "image/png",
    })),
  };
}

// Light by default; a client that honours prefers-color-scheme gets the dark colours and the dark chart.
// Styles are inline as well as in <style>, since some clients drop the <style> element.
const STYLE = `
:root { color-scheme: light dark; supported-color-schemes: light dark; }
body { margin: 0; padding: 0; background: #f6f8fa; }
.hu-page { background: #f6f8fa; }
.hu-card { background: #ffffff; color: #1f2328; border: 1px solid #d1d9e0; }
.hu-muted { color: #59636e; }
.hu-figure { color: #0969da; }
.hu-fact { background: #f6f8fa; border: 1px solid #d1d9e0; }
.hu-dark { display: none; }
a { color: #0969da; }
@media (prefers-color-scheme: dark) {
  body, .hu-page { background: #010409 !important; }
  .hu-card { background: #0d1117 !important; color: #e6edf3 !important; border-color: #3d444d !important; }
  .hu-muted { color: #9198a1 !important; }
  .hu-figure, a { color: #4493f8 !important; }
  .hu-fact { background: #151b23 !important; border-color: #3d444d !important; }
  .hu-light { display: none !important; }
  .hu-dark { display: block !important; }
}`;

const FONT = "system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',Helvetica,Arial,sans-serif";

function html(d: DigestContent, links: DigestLinks, src: { light: string; dark: string }): string {
  const facts = lifecycleFacts(d)
    .map(
      ([k, v]) =>
        `<td class="hu-fact" style="background:#f6f8fa;border:1px solid #d1d9e0;border-radius:6px;padding:8px 10px;width:23%"><div class="hu-muted" style="color:#59636e;font-size:12px">${k}</div><div style="font-size:20px;font-weight:bold">${v}</div></td>`,
    )
    .join('<td style="width:8px;min-width:8px"></td>');
  const groups = groupsLine(d);
  const alt = escapeHtml(chartAlt(d));
  const image = (theme: "light" | "dark") =>
    `<img class="hu-${theme}" src="${escapeHtml(src[theme])}" width="592" alt="${alt}" style="${theme === "dark" ? "display:none;" : "display:block;"}width:100%;max-width:592px;height:auto;border:0;border-radius:6px">`;
  const page = links.page
    ? `<p style="margin:16px 0 0"><a href="${escapeHtml(links.page)}" style="color:#0969da">Open the page</a></p>`
    : "";
  const head = `<meta name="supported-color-schemes" content="light dark">
<title>${escapeHtml(subject(d))}</title>
<style>${STYLE}
</style>`;
  const body = `<table role="presentation" class="hu-page" width="100%" cellpadding="0" cellspacing="0" style="background:#f6f8fa;font-family:${FONT}">
<tr><td align="center" style="padding:24px 12px">
<table role="presentation" class="hu-card" width="640" cellpadding="0" cellspacing="0" style="max-width:640px;width:100%;background:#ffffff;color:#1f2328;border:1px solid #d1d9e0;border-radius:8px">
<tr><td style="padding:24px">
<div class="hu-muted" style="color:#59636e;font-size:13px">home-usage · ${escapeHtml(d.label)}</div>
<h1 style="margin:4px 0 12px;font-size:22px;line-height:1.3"><span class="hu-figure" style="color:#0969da">${d.people.toLocaleString("en-GB")}</span> distinct people in ${escapeHtml(d.title)}</h1>
<p style="margin:0 0 16px;font-size:15px;line-height:1.5">${escapeHtml(headline(d))}</p>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="margin:0 0 16px"><tr>${facts}</tr></table>
${groups ? `<p style="margin:0 0 16px;font-size:14px;line-height:1.5">${escapeHtml(groups)}</p>` : ""}
${image("light")}${image("dark")}
${page}
<p class="hu-muted" style="margin:16px 0 0;color:#59636e;font-size:12px">Days ${d.first} to ${d.last}, time zone ${escapeHtml(d.zone)}. Sent by home-usage digest.</p>
</td></tr>
</table>
</td></tr>
</table>`;
  return htmlDocument({ head, body, bodyAttributes: ' style="margin:0;padding:0;background:#f6f8fa"' });
}
