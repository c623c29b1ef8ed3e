import { formatReport, type Period, type UsageReport } from "@home-usage/core";

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface PageModel {
  /** The arguments as the user gave them, to refill the form and build links. */
  args: { start?: string; end?: string; aggregate?: string; title?: string };
  aggregate: Period;
  range: { start: string; end: string };
  timezone: string;
  report: UsageReport;
  svg: string;
  /** Absolute URLs. */
  links: { csv: string; json: string; svg: string };
  /** A ready image URL for wikis, and whether it is signed. */
  embed: { url: string; signed: boolean; expires?: string };
}

const AGGREGATES: [Period, string][] = [
  ["day", "day"],
  ["week", "week"],
  ["month", "month"],
  ["quarter", "quarter"],
  ["year", "year"],
];

/** The usage page: works without JavaScript, the chart inline, the table, downloads and an embed snippet. */
export function renderPage(model: PageModel): string {
  const e = escapeHtml;
  const title = model.args.title || "Unique users";
  const options = AGGREGATES.map(
    ([value, label]) => `<option value="${value}"${value === model.aggregate ? " selected" : ""}>${label}</option>`,
  ).join("");
  const markdown = `![${title.replace(/[[\]\\]/g, "\\$&")}](${model.embed.url})`;
  const html = `<img src="${e(model.embed.url)}" alt="${e(title)}">`;
  const missing = model.report.missing.length
    ? `<p class="note">No processed days, so no row, for: ${e(model.report.missing.join(", "))}. These lie before the first day the job processed, or in a gap it has not covered yet (<code>home-usage aggregate --start</code> fills gaps).</p>`
    : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)} · home-usage</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 960px; padding: 0 1rem; color: #111; }
form { display: flex; gap: 1rem; align-items: flex-end; flex-wrap: wrap; margin: 1rem 0; }
label { display: flex; flex-direction: column; font-size: .9rem; }
table { border-collapse: collapse; margin: 1rem 0; }
.scroll { overflow-x: auto; }
th, td { border-bottom: 1px solid #ddd; padding: .25rem .75rem; text-align: right; }
textarea { width: 100%; font-family: monospace; }
.note { color: #555; }
figure { margin: 0; }
svg { max-width: 100%; height: auto; }
</style>
</head>
<body>
<h1>${e(title)}</h1>
<p>Distinct people who logged in per ${e(model.aggregate)}, from ${e(model.range.start)} to ${e(model.range.end)} (time zone ${e(model.timezone)}).</p>
<form method="get" action="/usage/login">
<label>start <input name="start" value="${e(model.args.start ?? "")}" placeholder="90 days ago"></label>
<label>end <input name="end" value="${e(model.args.end ?? "")}" placeholder="now"></label>
<label>aggregate <select name="aggregate">${options}</select></label>
<label>title <input name="title" value="${e(model.args.title ?? "")}"></label>
<button type="submit">Show</button>
</form>
<figure id="chart">${model.svg}</figure>
${missing}
<section id="data">
<h2>Data</h2>
<div class="scroll">${formatReport(model.report.rows, "html")}</div>
<p>Download: <a href="${e(model.links.csv)}">CSV</a> · <a href="${e(model.links.json)}">JSON</a> · <a href="${e(model.links.svg)}">SVG</a></p>
</section>
<section id="embed">
<h2>Embed</h2>
<p>${
    model.embed.signed
      ? `A signed image URL, valid until ${e(model.embed.expires ?? "")}, that needs no token:`
      : "An image URL (set HOME_USAGE_EMBED_SECRET on the server for signed URLs that work where the API needs a token):"
  }</p>
<label>Markdown <textarea rows="2" readonly>${e(markdown)}</textarea></label>
<label>HTML <textarea rows="2" readonly>${e(html)}</textarea></label>
</section>
</body>
</html>
`;
}
