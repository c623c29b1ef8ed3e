import type { ReportRange } from "@home-usage/core";
import {
  CHART_METRICS,
  type Change,
  type ChartMetric,
  type GroupRow,
  type Headline,
  headlineSentences,
  htmlDocument,
  nextPeriod,
  type Period,
  periodOfLabel,
  termOf,
  type UsageRow,
} from "@home-usage/core";
import { DateTime } from "luxon";

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const e = escapeHtml;

/** The fields of the page's form; an error names one of them, or none. */
export type FormField = "start" | "end" | "aggregate" | "metric" | "title";
const FIELDS: readonly FormField[] = ["start", "end", "aggregate", "metric", "title"];

/** A bad argument, shown next to its field. */
export interface FormError {
  field?: FormField;
  message: string;
}

/** Which field an `E_USAGE` message is about: core's messages start with the argument's name. */
export function formErrorOf(message: string): FormError {
  const field = FIELDS.find((f) => message.startsWith(`${f}:`));
  return field ? { field, message } : { message };
}

export interface PageModel {
  /** The arguments as the user gave them, to refill the form. */
  args: { start?: string; end?: string; aggregate?: string; title?: string; metric?: string };
  /** Absent when the arguments were wrong: then `error` says why. */
  result?: {
    aggregate: Period;
    metric: ChartMetric;
    title: string;
    range: ReportRange;
    rows: UsageRow[];
    missing: string[];
    /** What the page says first, in words. */
    headline: Headline;
    /** The chart for wide screens and the one for phones; the page's CSS shows one. */
    svg: { wide: string; narrow: string };
    /** The lifecycle chart (new, returning, resurrected above zero, dormant below), wide and narrow. */
    lifecycle: { wide: string; narrow: string };
    /** Distinct people per core4 group: the chart, wide and narrow, the rows, and their CSV. */
    teams: { wide: string; narrow: string; rows: GroupRow[]; minGroupSize: number; csv: string; error?: string };
    /** Absolute URLs. */
    links: { csv: string; json: string; svg: string; png: string };
    /** Image URLs for wikis, and whether they are signed. */
    embed: { svg: string; png: string; dark: string; light: string; signed: boolean; expires?: string };
    /** The retention heatmap of first-time cohorts, wide and narrow, with its links. */
    retention?: {
      cohort: "week" | "month";
      svg: { wide: string; narrow: string };
      /** Absolute URLs; `embed` signed when the server has an embed secret. */
      links: { csv: string; json: string; svg: string; png: string; embed: string };
    };
  };
  error?: FormError;
  /** Show the sign-out button. */
  signedIn: boolean;
  /** Who is signed in, shown beside the sign-out button. */
  who?: string;
}

const AGGREGATES: Period[] = ["day", "week", "month", "quarter", "year"];
const METRIC_LABELS: Record<ChartMetric, string> = {
  users: "distinct people",
  logins: "logins",
  active7: "active in 7 days",
  active28: "active in 28 days",
  new: "new",
  returning: "returning",
  resurrected: "resurrected",
  dormant: "dormant",
  stickiness: "stickiness",
  lifecycle: "lifecycle (stacked)",
  groups: "by group",
};

/** A bar-chart icon, as a data-free SVG. */
export const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#0969da"/><rect x="6" y="17" width="5" height="9" fill="#fff"/><rect x="13.5" y="11" width="5" height="15" fill="#fff"/><rect x="21" y="6" width="5" height="20" fill="#fff"/></svg>`;

const STYLE = `
:root { color-scheme: light dark; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #ffffff; --panel: #f6f8fa; --accent: #0969da; --error: #cf222e; }
@media (prefers-color-scheme: dark) {
  :root { --ink: #e6edf3; --muted: #9198a1; --line: #3d444d; --bg: #0d1117; --panel: #151b23; --accent: #4493f8; --error: #f85149; }
}
* { box-sizing: border-box; }
html { background: var(--bg); color: var(--ink); }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 0 auto; max-width: 980px; padding: 1rem; line-height: 1.45; }
header { display: flex; justify-content: space-between; align-items: baseline; gap: 1rem; flex-wrap: wrap; }
h1 { font-size: 1.5rem; margin: .5rem 0; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
a { color: var(--accent); }
.lead, .note, .hint { color: var(--muted); }
form.query { display: grid; grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr)); gap: .75rem; align-items: start; margin: 1rem 0; }
form.query button { margin-top: 1.6rem; }
form.signin { max-width: 28rem; }
label { display: flex; flex-direction: column; gap: .2rem; font-size: .9rem; min-width: 0; }
input, select, textarea, button { font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: .35rem .5rem; max-width: 100%; }
button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
button.link { background: none; color: var(--accent); border: none; padding: 0; text-decoration: underline; }
[aria-invalid="true"] { border-color: var(--error); }
.error { color: var(--error); font-size: .85rem; margin: 0; }
p.error.form { font-size: 1rem; }
figure { margin: 0; }
figcaption { color: var(--muted); margin: .5rem 0; }
#chart svg, #lifecycle svg, #retention svg, #teams svg { width: 100%; height: auto; display: block; }
#chart .narrow, #lifecycle .narrow, #retention .narrow, #teams .narrow { display: none; }
@media (max-width: 599px) {
  #chart .wide, #lifecycle .wide, #retention .wide, #teams .wide { display: none; }
  #chart .narrow, #lifecycle .narrow, #retention .narrow, #teams .narrow { display: block; }
}
.scroll { overflow-x: auto; }
.phone { display: none; }
label.wide-field { grid-column: span 2; }
@media (max-width: 599px) {
  /* On a phone the period takes the room of the status column, which its label then carries. */
  #data .status { display: none; }
  #data .phone { display: inline; }
  #data th:not(:first-child) { width: 4.5rem; }
}
.headline { display: flex; flex-wrap: wrap; gap: .25rem 1.5rem; align-items: baseline; margin: .5rem 0 1rem; }
.headline .value { font-size: 2rem; font-weight: 600; }
.headline .up { color: var(--up, #1a7f37); } .headline .down { color: var(--error); } .headline .flat, .headline .sofar { color: var(--muted); }
.headline .sofar { flex-basis: 100%; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid var(--line); padding: .3rem .4rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
tfoot td { font-weight: 600; }
textarea { width: 100%; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .8rem; }
.embed label { margin-bottom: .75rem; }
.embed textarea { field-sizing: content; white-space: pre-wrap; overflow-wrap: anywhere; }
code { overflow-wrap: anywhere; }
dl.terms { display: grid; grid-template-columns: max-content 1fr; gap: .2rem .75rem; margin: .5rem 0; color: var(--muted); font-size: .9rem; }
dl.terms dt { font-weight: 600; } dl.terms dd { margin: 0; }
`;

function layout(title: string, body: string, root: string): string {
  const head = `<title>${e(title)} · home-usage</title>
<link rel="icon" type="image/svg+xml" href="${root}favicon.svg">
<style>${STYLE}</style>`;
  return htmlDocument({ head, body });
}

/**
 * The headline: the latest complete period against the one before, then the period in progress against
 * the same elapsed part of the one before, in words. Only a change a reader should notice is coloured.
 */
function renderHeadline(headline: Headline): string {
  const [first, ...rest] = headlineSentences(headline);
  if (!first) return "";
  const change = (c: Change | undefined) =>
    c ? ` <span class="change ${c.notable ? c.direction : "flat"}">${e(c.text)}</span>` : "";
  const value = headline.latest ? `<span class="value">${e(headline.latest.text)}</span> ` : "";
  const main = headline.latest
    ? `${value}<span>${e(first.text.slice(headline.latest.text.length + 1))}</span>${change(first.change)}`
    : `<span class="sofar">${e(first.text)}${change(first.change)}</span>`;
  const sofar = rest.map((s) => `<span class="sofar">${e(s.text)}${change(s.change)}</span>`).join(" ");
  const term = termOf(headline.field);
  const definition = `<p class="hint" id="definition"><strong>${e(term.label)}</strong>: ${e(term.description)}</p>`;
  return `<p class="headline" id="headline">${main}${sofar ? ` ${sofar}` : ""}</p>\n${definition}`;
}

/** What the lifecycle's four kinds of people are, in the README's words. */
function lifecycleTerms(): string {
  const items = (["new", "returning", "resurrected", "dormant"] as const)
    .map((field) => termOf(field))
    .map((t) => `<dt>${e(t.label)}</dt><dd>${e(t.description)}</dd>`)
    .join("");
  return `<dl class="terms">${items}</dl>`;
}

/** The usage page: works without JavaScript; the chart inline, the form, the table, downloads, embeds. */
export function renderPage(model: PageModel): string {
  const r = model.result;
  const title = r?.title ?? (model.args.title || "Distinct people");
  const field = (name: FormField, label: string, control: string) => {
    const error = model.error?.field === name ? model.error.message : undefined;
    const described = error ? ` aria-invalid="true" aria-describedby="${name}-error"` : "";
    return `<label${name === "title" ? ' class="wide-field"' : ""}>${e(label)} ${control.replace("<CONTROL>", described)}${error ? `<span class="error" id="${name}-error">${e(error)}</span>` : ""}</label>`;
  };
  const aggregate = r?.aggregate ?? (AGGREGATES as string[]).find((a) => a === model.args.aggregate) ?? "week";
  const metric = r?.metric ?? CHART_METRICS.find((m) => m === model.args.metric) ?? "users";
  const aggregates = AGGREGATES.map(
    (value) => `<option value="${value}"${value === aggregate ? " selected" : ""}>${value}</option>`,
  ).join("");
  const metrics = CHART_METRICS.map(
    (value) => `<option value="${value}"${value === metric ? " selected" : ""}>${e(METRIC_LABELS[value])}</option>`,
  ).join("");
  const general =
    model.error && !model.error.field ? `<p class="error form" role="alert">${e(model.error.message)}</p>` : "";

  const form = `<form class="query" method="get" action="login">
${field("start", "start", `<input name="start" value="${e(model.args.start ?? "")}" placeholder="90 days ago"<CONTROL>>`)}
${field("end", "end (exclusive)", `<input name="end" value="${e(model.args.end ?? "")}" placeholder="now"<CONTROL>>`)}
${field("aggregate", "per", `<select name="aggregate"<CONTROL>>${aggregates}</select>`)}
${field("metric", "metric", `<select name="metric"<CONTROL>>${metrics}</select>`)}
${field("title", "title", `<input name="title" value="${e(model.args.title ?? "")}" placeholder="${e(title)}"<CONTROL>>`)}
<button type="submit">Show</button>
</form>
${general}`;

  const signOut = model.signedIn
    ? `<form method="post" action="../signout">${model.who ? `<span class="who">Signed in as <strong>${e(model.who)}</strong></span> ` : ""}<button class="link" type="submit">Sign out</button></form>`
    : "";
  const header = `<header><h1>${e(title)}</h1>${signOut}</header>`;
  if (!r) return layout(title, `${header}\n${form}`, "../");

  const summary = `<p class="lead">From ${e(r.range.start)} to ${e(r.range.end)} (${e(r.range.zone)}), per ${e(r.aggregate)}; data as of ${e(r.range.asOf)}.</p>`;
  const missing = r.missing.length
    ? `<p class="note">Not processed, so no row: ${e(collapseRanges(r.missing, r.aggregate).join("; "))}. These lie before the first day the job processed, or in a gap it has not covered yet (<code>home-usage aggregate --start</code> fills gaps).</p>`
    : "";
  const snippets = embedSnippets(title, r.embed);
  return layout(
    title,
    `${header}
${summary}
${form}
${renderHeadline(r.headline)}
<figure id="chart"><div class="wide">${r.svg.wide}</div><div class="narrow">${r.svg.narrow}</div></figure>
${missing}
<section id="lifecycle">
<h2>Who came: new, returning, resurrected; who stayed away: dormant</h2>
<figure><div class="wide">${r.lifecycle.wide}</div><div class="narrow">${r.lifecycle.narrow}</div></figure>
${lifecycleTerms()}
</section>
<section id="teams">
<h2>Teams: distinct people per core4 group</h2>
${
  r.teams.error
    ? `<p class="hint">${e(r.teams.error)}</p>`
    : `<figure><div class="wide">${r.teams.wide}</div><div class="narrow">${r.teams.narrow}</div></figure>
${renderTeams(r.teams.rows, r.aggregate, r.teams.minGroupSize)}`
}
<p class="hint">Groups as core4's <code>sys.role</code> has them now, nested groups included. A person counts in each of their groups, so the groups do not add up to the distinct people above. Groups of 1 to ${r.teams.minGroupSize - 1} people are not shown (HOME_USAGE_MIN_GROUP_SIZE). Download: <a href="${e(r.teams.csv)}">CSV</a></p>
</section>
${retentionSection(r.retention)}
<section id="data">
<h2>Data</h2>
${renderTable(r.rows, r.aggregate)}
<p>Download: <a href="${e(r.links.csv)}">CSV</a> · <a href="${e(r.links.json)}">JSON</a> · <a href="${e(r.links.svg)}">SVG</a> · <a href="${e(r.links.png)}">PNG</a></p>
</section>
<section id="embed" class="embed">
<h2>Embed</h2>
<p>${
      r.embed.signed
        ? `Signed image URLs, valid until ${e(r.embed.expires ?? "")}, that need no token:`
        : "Image URLs (set HOME_USAGE_EMBED_SECRET on the server for signed URLs that work where the API needs a token):"
    }</p>
${snippets.map(([label, text]) => `<label>${e(label)} <textarea rows="${Math.min(8, text.split("\n").length + Math.ceil(text.length / 70))}" readonly>${e(text)}</textarea></label>`).join("\n")}
</section>`,
    "../",
  );
}

/** What a browser is told when its request failed: what is wrong, and when to try again. */
export function renderErrorPage(status: number, message: string, retryAfterSeconds?: number): string {
  const heading =
    status === 503
      ? "Not available right now"
      : status === 404
        ? "Not found"
        : status === 401 || status === 403
          ? "Not allowed"
          : status >= 500
            ? "Something went wrong"
            : "This request cannot be answered";
  const retry = retryAfterSeconds
    ? `Try again in ${retryAfterSeconds < 90 ? `${retryAfterSeconds} seconds` : `${Math.round(retryAfterSeconds / 60)} minutes`}: reload this page.`
    : status >= 500
      ? "Try again later; if it persists, tell the operator."
      : "Check the address, then try again.";
  return layout(
    heading,
    `<header><h1>${e(heading)}</h1></header>
<p class="lead" role="alert">${e(`${message.charAt(0).toUpperCase()}${message.slice(1).replace(/\.$/, "")}`)}.</p>
<p>${e(retry)}</p>
<p class="hint">HTTP ${status} · <a href="/usage/login">the usage page</a></p>`,
    "/",
  );
}

/** Do newcomers stay: the heatmap of first-time cohorts, and its data. */
function retentionSection(retention: NonNullable<PageModel["result"]>["retention"]): string {
  if (!retention) return "";
  const { cohort, svg, links } = retention;
  return `<section id="retention">
<h2>Do newcomers stay? Retention by ${e(cohort)} of first login</h2>
<figure><div class="wide">${svg.wide}</div><div class="narrow">${svg.narrow}</div>
<figcaption>A row is the people whose first login fell in that ${e(cohort)}; a cell, the share of them who logged in ${e(cohort)} k after it (k = 0 is their own ${e(cohort)}). Dashed: a ${e(cohort)} not over yet, or with days the job has not processed.</figcaption></figure>
<p>Retention data: <a href="${e(links.csv)}">CSV</a> · <a href="${e(links.json)}">JSON</a> · <a href="${e(links.svg)}">SVG</a> · <a href="${e(links.png)}">PNG</a> · <a href="${e(links.embed)}">image URL for wikis</a></p>
</section>`;
}

/** Markdown, HTML, GitHub's dark/light `<picture>`, and PNG for wikis without SVG. */
export function embedSnippets(title: string, embed: NonNullable<PageModel["result"]>["embed"]): [string, string][] {
  const alt = title.replace(/[[\]\\]/g, "\\$&");
  // As one would type them into HTML: named entities, not the numeric ones `escapeHtml` writes.
  const e = (text: string) =>
    text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] ?? c);
  return [
    ["Markdown", `![${alt}](${embed.svg})`],
    ["HTML", `<img src="${e(embed.svg)}" alt="${e(title)}">`],
    [
      "GitHub, following its dark or light theme",
      `<picture>\n  <source media="(prefers-color-scheme: dark)" srcset="${e(embed.dark)}">\n  <img src="${e(embed.light)}" alt="${e(title)}">\n</picture>`,
    ],
    ["Markdown, PNG (wikis without SVG)", `![${alt}](${embed.png})`],
  ];
}

function renderTable(rows: readonly UsageRow[], aggregate: Period): string {
  const body = rows
    .map(
      (row) =>
        `<tr data-period="${e(row.period)}"><td>${e(humanPeriod(row, aggregate))}${row.partial ? '<span class="phone"> (incomplete)</span>' : ""}</td><td>${row.user.toLocaleString("en-US")}</td><td>${row.logins.toLocaleString("en-US")}</td><td class="status">${row.partial ? "incomplete" : "complete"}</td></tr>`,
    )
    .join("\n");
  const logins = rows.reduce((sum, row) => sum + row.logins, 0);
  // Logins add up; distinct people do not (one person counts in every period they logged in).
  const foot = rows.length
    ? `<tfoot><tr><td>total</td><td title="distinct people do not add up across periods">—</td><td>${logins.toLocaleString("en-US")}</td><td></td></tr></tfoot>`
    : "";
  return `<table>
<thead><tr><th scope="col">${e(aggregate)}</th><th scope="col">distinct people</th><th scope="col">logins</th><th scope="col" class="status">status</th></tr></thead>
<tbody>
${body || `<tr><td colspan="4">No processed days in this range: run <code>home-usage aggregate</code>.</td></tr>`}
</tbody>
${foot}
</table>`;
}

/** Groups down, periods across; a suppressed figure says so instead of a number. */
function renderTeams(rows: readonly GroupRow[], aggregate: Period, minGroupSize: number): string {
  const periods = [...new Map(rows.map((r) => [r.period, r])).values()];
  const groups = [...new Set(rows.map((r) => r.group))];
  if (!periods.length) return `<p class="hint">No processed days in this range.</p>`;
  const cell = new Map(rows.map((r) => [`${r.group}\n${r.period}`, r]));
  const head = periods
    .map((p) => `<th scope="col" title="${e(humanPeriod(p, aggregate))}">${e(p.period)}</th>`)
    .join("");
  const body = groups
    .map((group) => {
      const cells = periods.map((p) => {
        const row = cell.get(`${group}\n${p.period}`);
        return row?.suppressed || row?.user === null
          ? `<td class="suppressed" title="fewer than ${minGroupSize} people">&lt;${minGroupSize}</td>`
          : `<td>${(row?.user ?? 0).toLocaleString("en-US")}</td>`;
      });
      return `<tr><th scope="row">${e(group)}</th>${cells.join("")}</tr>`;
    })
    .join("\n");
  return `<div class="scroll"><table>
<thead><tr><th scope="col">group</th>${head}</tr></thead>
<tbody>
${body}
</tbody>
</table></div>`;
}

/**
 * A period as people name it, in the report's zone, from the start and end its row carries: `Mon 16 Nov
 * 2026`, `16–22 Nov 2026 (W47)`, `November 2026`, `Q4 2026 (Oct–Dec)`.
 */
export function humanPeriod(row: Pick<UsageRow, "timestamp" | "end" | "period">, aggregate: Period): string {
  const start = DateTime.fromISO(row.timestamp, { setZone: true, locale: "en-GB" });
  // The period's last day: the day before the next period starts.
  const last = DateTime.fromISO(row.end, { setZone: true, locale: "en-GB" }).minus({ days: 1 });
  if (!start.isValid || !last.isValid) return row.period;
  switch (aggregate) {
    case "day":
      return start.toFormat("ccc d LLL yyyy");
    case "week": {
      const from =
        start.month === last.month
          ? start.toFormat("d")
          : start.toFormat(start.year === last.year ? "d LLL" : "d LLL yyyy");
      return `${from}–${last.toFormat("d LLL yyyy")} (W${String(start.weekNumber).padStart(2, "0")})`;
    }
    case "month":
      return start.toFormat("LLLL yyyy");
    case "quarter":
      return `Q${start.quarter} ${start.year} (${start.toFormat("LLL")}–${last.toFormat("LLL")})`;
    case "year":
      return String(start.year);
  }
}

/** Consecutive period labels as ranges: `2026-W32 – 2026-W36, 2026-W40`. Labels come in period order. */
export function collapseRanges(labels: readonly string[], aggregate: Period): string[] {
  const out: string[] = [];
  let first: string | undefined;
  let last: string | undefined;
  const flush = () => {
    if (first !== undefined) out.push(first === last ? first : `${first} – ${last}`);
  };
  for (const label of labels) {
    if (last !== undefined && nextLabel(last, aggregate) === label) {
      last = label;
      continue;
    }
    flush();
    first = label;
    last = label;
  }
  flush();
  return out;
}

/** The label of the period after `label`'s, by core's calendar; undefined for a label of another kind. */
function nextLabel(label: string, aggregate: Period): string | undefined {
  const span = periodOfLabel(label, "UTC");
  return span?.kind === aggregate ? nextPeriod(span).label : undefined;
}

/** The sign-in form's model: which credentials the server takes, and what went wrong with which field. */
export interface SignInForm {
  /** The page to return to. */
  next: string;
  /** core4 accounts: `username` and `password`. */
  account: boolean;
  /** HOME_USAGE_API_TOKENS: `token`. */
  token: boolean;
  error?: string;
  /** The field the error is shown next to. */
  field?: "username" | "password" | "token";
  notice?: string;
  /** The name typed, to refill the form (never the password). */
  username?: string;
}

/** The sign-in form: a core4 name and password, or an API token, or either. */
export function renderSignIn(options: SignInForm): string {
  const control = (name: "username" | "password" | "token", label: string, input: string) => {
    const failed = options.error && options.field === name;
    const described = failed ? ` aria-invalid="true" aria-describedby="${name}-error"` : "";
    return `<label>${e(label)} ${input.replace("<CONTROL>", described)}${failed ? `<span class="error" id="${name}-error">${e(options.error ?? "")}</span>` : ""}</label>`;
  };
  const account = options.account
    ? `<form class="signin" method="post" action="signin">
<input type="hidden" name="next" value="${e(options.next)}">
${control("username", "Name", `<input name="username" autocomplete="username" value="${e(options.username ?? "")}" required<CONTROL>>`)}
${control("password", "Password", `<input name="password" type="password" autocomplete="current-password" required<CONTROL>>`)}
<p><button type="submit">Sign in</button></p>
</form>`
    : "";
  const token = options.token
    ? `<form class="signin" method="post" action="signin">
<input type="hidden" name="next" value="${e(options.next)}">
${control("token", "API token", `<input name="token" type="password" autocomplete="${options.account ? "off" : "current-password"}" required<CONTROL>>`)}
<p><button type="submit">Sign in${options.account ? " with a token" : ""}</button></p>
</form>`
    : "";
  const lead = options.account
    ? `Sign in with your core4 name and password${options.token ? ", or with one of the server's API tokens (HOME_USAGE_API_TOKENS)" : ""}.`
    : "This home-usage server needs one of its API tokens (HOME_USAGE_API_TOKENS).";
  return layout(
    "Sign in",
    `<header><h1>Sign in</h1></header>
<p class="lead">${e(lead)} Your browser keeps a session for 12 hours; your password or token is not stored.</p>
${options.notice ? `<p class="note" role="status">${e(options.notice)}</p>` : ""}
${account}
${token}`,
    "./",
  );
}
