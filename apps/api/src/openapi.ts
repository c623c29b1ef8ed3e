import { CHART_SIZE, RETENTION_DEFINITION } from "@home-usage/core";

/** The metrics' definitions, as the README gives them (each field's own line is in its description). */
const METRICS_DEFINED = [
  'For a period P of kind K (day, week, month, quarter, year) in the rollup\'s zone, U(P) = people with a login in P, P′ = the period of the same kind just before P, and "seen before P" = a login on any processed day before P starts.',
  "So new + returning + resurrected = user.",
  'A period cut by the requested range (only the first and the last can be) is computed over its part inside the range: user, logins, days, dailyAverage, stickiness, new, returning, resurrected and dormant count the people with a login in that part; previous and P′ are the whole previous period, and "seen before P" still means before P\'s own start. Such a row is partial. Days are never cut.',
].join(" ");

/** The API described for people and tools: every route and argument. */
export function openApiDocument() {
  const string = (description: string, extra: object = {}) => ({ schema: { type: "string", ...extra }, description });
  const common = [
    {
      name: "start",
      in: "query",
      ...string(
        "Inclusive start: YYYY-MM-DD, ISO 8601 date-time, today, yesterday or now. Default: midnight 90 days before end.",
      ),
    },
    { name: "end", in: "query", ...string("Exclusive end, same forms. Default: now.") },
    {
      name: "aggregate",
      in: "query",
      ...string("Period: d|w|m|q|y, day|week|month|quarter|year, or D W M MS ME Q QS QE Y YS YE A. Default: w."),
    },
  ];
  const look = [
    {
      name: "width",
      in: "query",
      schema: {
        type: "integer",
        minimum: CHART_SIZE.width.min,
        maximum: CHART_SIZE.width.max,
        default: CHART_SIZE.width.default,
      },
    },
    {
      name: "height",
      in: "query",
      schema: {
        type: "integer",
        minimum: CHART_SIZE.height.min,
        maximum: CHART_SIZE.height.max,
        default: CHART_SIZE.height.default,
      },
    },
    {
      name: "theme",
      in: "query",
      schema: { type: "string", enum: ["light", "dark", "auto"], default: "light" },
      description: "auto follows the viewer's prefers-color-scheme inside the SVG (a PNG draws it light).",
    },
    {
      name: "background",
      in: "query",
      schema: { type: "string", enum: ["solid", "transparent"], default: "solid" },
    },
  ];
  const metric = {
    name: "metric",
    in: "query",
    schema: {
      type: "string",
      enum: [
        "users",
        "logins",
        "active7",
        "active28",
        "new",
        "returning",
        "resurrected",
        "dormant",
        "stickiness",
        "lifecycle",
        "groups",
      ],
      default: "users",
    },
    description:
      "What to draw; lifecycle stacks new, returning and resurrected above zero and dormant below; groups draws the distinct people of the largest core4 groups (at most 8, the rest as other), each line labelled at its end.",
  };
  const title = {
    name: "title",
    in: "query",
    ...string("Title drawn on the chart (at most 200 characters). Default: what is drawn, per period."),
  };
  const chart = [...common, title, metric, ...look];
  const scale = { name: "scale", in: "query", schema: { type: "integer", enum: [1, 2], default: 1 } };
  const envelope = {
    type: "object",
    required: ["_id", "timestamp", "code", "message"],
    properties: {
      _id: { type: "string" },
      timestamp: { type: "string", format: "date-time" },
      code: { type: "integer" },
      message: { type: "string" },
      data: { type: "array", items: { $ref: "#/components/schemas/UsageRow" } },
      error: { type: "object", properties: { type: { type: "string" }, detail: { type: "string" } } },
    },
  };
  const errors = {
    "400": {
      description: "A bad argument; the envelope says which.",
      content: { "application/json": { schema: envelope } },
    },
    "401": { description: "Missing or wrong bearer token (when the server has tokens)." },
    "415": {
      description: "A body that is neither JSON nor a form.",
      content: { "application/json": { schema: envelope } },
    },
    "503": {
      description: "The database did not answer, the query ran out of time, or the server is busy (Retry-After).",
      content: { "application/json": { schema: envelope } },
    },
  };
  const both = (operation: object) => ({ get: operation, post: { ...operation, requestBody: body } });
  const body = {
    description: "The same arguments as a JSON object or a form; the JSON body wins over the query string.",
    content: {
      "application/json": { schema: { type: "object" } },
      "application/x-www-form-urlencoded": { schema: { type: "object" } },
    },
  };
  const svg = {
    "200": { description: "The chart.", content: { "image/svg+xml": {} } },
    "304": { description: "Not modified (If-None-Match)." },
    ...errors,
  };
  const png = {
    "200": {
      description: "The chart as PNG, rasterised from the SVG with a shipped font.",
      content: { "image/png": {} },
    },
    "304": { description: "Not modified (If-None-Match)." },
    ...errors,
  };
  const token = { name: "token", in: "path", required: true, schema: { type: "string" } };
  const retention = [
    {
      name: "cohort",
      in: "query",
      schema: { type: "string", enum: ["w", "week", "m", "month"], default: "week" },
      description: "The cohorts' period; anything else is a 400.",
    },
    {
      name: "start",
      in: "query",
      ...string(
        "The cohorts shown are those whose period starts in [start, end). YYYY-MM-DD, ISO 8601 date-time, today, yesterday or now. Default: the start of the 12th period back, so 12 cohorts.",
      ),
    },
    { name: "end", in: "query", ...string("Exclusive, same forms. Default: now.") },
    {
      name: "periods",
      in: "query",
      schema: { type: "integer", minimum: 1, maximum: 52, default: 12 },
      description: "N: each cohort has rows for k = 0..N; anything else is a 400.",
    },
  ];
  const retentionChart = [...retention, title, ...look];
  const retentionEnvelope = {
    ...envelope,
    properties: {
      ...envelope.properties,
      data: { type: "array", items: { $ref: "#/components/schemas/RetentionRow" } },
    },
  };
  const contentType = {
    name: "content_type",
    in: "query",
    schema: { type: "string", enum: ["json", "csv", "html", "text", "markdown"] },
    description: "Else the Accept header; JSON by default.",
  };
  return {
    openapi: "3.1.0",
    info: { title: "home-usage", version: "0.1.0", description: "Distinct people who log in to core4, per period." },
    components: {
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          description:
            "One of HOME_USAGE_API_TOKENS, or a core4 JWT (HS256) when HOME_USAGE_CORE4_TOKEN_SECRET is set.",
        },
        session: { type: "apiKey", in: "cookie", name: "home_usage_session", description: "From POST /signin." },
      },
      schemas: {
        UsageRow: {
          type: "object",
          description: METRICS_DEFINED,
          properties: {
            timestamp: { type: "string", description: "The period's start, ISO 8601 in the rollup's zone." },
            period: { type: "string", examples: ["2026-11-28", "2026-W48", "2026-11", "2026-Q4", "2026"] },
            user: { type: "integer", description: "|U(P)| (unchanged)." },
            logins: { type: "integer", description: "Logins in P (unchanged)." },
            partial: { type: "boolean", description: "Contains now, is cut by the range, or has unprocessed days." },
            previous: { type: "integer", description: "|U(P′)|, even when P′ lies before the requested range." },
            new: { type: "integer", description: "People in U(P) not seen before P." },
            returning: { type: "integer", description: "People in U(P) also in U(P′)." },
            resurrected: { type: "integer", description: "People in U(P), not in U(P′), seen before P." },
            dormant: { type: "integer", description: "People in U(P′) not in U(P)." },
            dailyAverage: {
              type: "number",
              description: "The mean, over the processed days of P, of each day's distinct people.",
            },
            stickiness: { type: "number", description: "dailyAverage / user (0 when user is 0), between 0 and 1." },
            active7: {
              type: "integer",
              description: "Days only: the distinct people with a login in the 7 days ending with that day.",
            },
            active28: {
              type: "integer",
              description: "Days only: the distinct people with a login in the 28 days ending with that day.",
            },
            days: { type: "integer", description: "Processed days of P within the range." },
            unprocessedDays: {
              type: "integer",
              description: "Days of P within the range, up to today, that the job has not processed.",
            },
          },
        },
        RetentionRow: {
          type: "object",
          description: RETENTION_DEFINITION,
          properties: {
            cohort: {
              type: "string",
              description: "The cohort's period, as in /raw.",
              examples: ["2026-W40", "2026-10"],
            },
            cohortStart: { type: "string", description: "The cohort period's start, ISO 8601 in the rollup's zone." },
            size: { type: "integer", description: "The number of the cohort's people." },
            k: { type: "integer", description: "0 is the cohort's own period; up to periods." },
            period: { type: "string", description: "The k-th period after the cohort's." },
            active: { type: "integer", description: "The cohort's people with a login in period." },
            share: { type: "number", description: "active / size (0 when size is 0)." },
            partial: { type: "boolean", description: "period has not ended or has days the job has not processed." },
          },
        },
        GroupRow: {
          type: "object",
          description:
            "One period and core4 group. A person counts in every group their account's role list reaches, transitively, through active roles; (none) holds people whose account reaches no group, (no account) names without an account. Memberships are sys.role as it is at report time. A period cut by the range counts its part inside the range, as /raw does.",
          properties: {
            timestamp: { type: "string", description: "The period's start, ISO 8601 in the rollup's zone." },
            period: { type: "string", examples: ["2026-W48"] },
            group: { type: "string", examples: ["sales", "(none)", "(no account)"] },
            user: {
              type: ["integer", "null"],
              description: "Distinct people of the group with a login in the period; null when suppressed.",
            },
            logins: { type: ["integer", "null"], description: "Their logins; null when suppressed." },
            suppressed: {
              type: "boolean",
              description: "The group had 1 to k−1 people in the period, k = HOME_USAGE_MIN_GROUP_SIZE (default 5).",
            },
          },
        },
        PersonRow: {
          type: "object",
          properties: {
            user: { type: "string", description: "The name, or its keyed pseudonym (HOME_USAGE_NAMES=pseudonymous)." },
            logins: { type: "integer", description: "Logins within the range." },
            days: { type: "integer", description: "Days with a login within the range." },
            firstSeen: { type: ["string", "null"], description: "First login ever (ISO instant), null if never." },
            lastSeen: { type: ["string", "null"], description: "Last login ever (ISO instant), null if never." },
            account: {
              type: ["string", "null"],
              enum: ["active", "disabled", null],
              description: "The core4 account (sys.role with a name and an email); null when there is none.",
            },
          },
        },
      },
    },
    security: [{ bearer: [] }, { session: [] }],
    paths: {
      "/usage/login": both({
        summary: "The HTML page: chart, form, table, downloads, embed snippets. Without a session: 303 to /signin.",
        parameters: [...common, title, metric],
        responses: { "200": { description: "HTML", content: { "text/html": {} } }, ...errors },
      }),
      "/usage/login/raw": both({
        summary: "Distinct people per period as data.",
        parameters: [
          ...common,
          contentType,
          {
            name: "metric",
            in: "query",
            schema: { type: "string", enum: metric.schema.enum.filter((m) => m !== "groups").concat("user") },
            description: "Only this metric's columns (timestamp, period, its fields, partial), as report --metric.",
          },
        ],
        responses: {
          "200": {
            description: "The rows; JSON in the envelope, other formats bare.",
            content: {
              "application/json": { schema: envelope },
              "text/csv": {},
              "text/html": {},
              "text/plain": {},
              "text/markdown": {},
            },
          },
          ...errors,
        },
      }),
      "/usage/login/groups": both({
        summary:
          "Distinct people per period and core4 group (GroupRow), with the arguments of /raw. Groups overlap, so they do not add up to /raw's user.",
        parameters: [...common, contentType],
        responses: {
          "200": {
            description: "One GroupRow per period and group; JSON in the envelope, other formats bare.",
            content: {
              "application/json": { schema: envelope },
              "text/csv": {},
              "text/html": {},
              "text/plain": {},
              "text/markdown": {},
            },
          },
          ...errors,
        },
      }),
      "/usage/login/users": both({
        summary:
          "Everybody known to the rollup or with a core4 account, with logins and days within the range. Names are personal data: needs a token whenever tokens are configured; never cached. HOME_USAGE_NAMES=pseudonymous lists keyed pseudonyms (p- and 16 hex digits) instead of names; HOME_USAGE_NAMES=hidden answers 403.",
        parameters: [
          common.find((p) => p.name === "start"),
          common.find((p) => p.name === "end"),
          contentType,
          {
            name: "limit",
            in: "query",
            schema: { type: "integer", minimum: 1, maximum: 10000 },
            description:
              "People per page: 1,000 unless given. JSON, HTML, text and markdown come in pages; CSV holds everyone unless a limit is given.",
          },
          {
            name: "offset",
            in: "query",
            schema: { type: "integer", minimum: 0 },
            description: "People to skip (in the order of names), 0 unless given.",
          },
        ],
        responses: {
          "200": {
            description:
              "One PersonRow per person, sorted by name; JSON in the envelope, whose `next` is the URL of the next page (absent on the last), other formats bare (a `Link: rel=next` header when more follow).",
            content: { "application/json": { schema: envelope }, "text/csv": {}, "text/html": {} },
          },
          ...errors,
        },
      }),
      "/usage/login/plot": both({ summary: "The chart as SVG.", parameters: chart, responses: svg }),
      "/usage/login/plot.svg": both({
        summary: "The chart as SVG, for wikis that want URLs ending in .svg.",
        parameters: chart,
        responses: svg,
      }),
      "/usage/login/plot.png": both({
        summary: "The chart as PNG, for wikis, chat and slides that take no SVG.",
        parameters: [...chart, scale],
        responses: png,
      }),
      "/usage/login/embed/{token}.svg": {
        get: {
          summary: "The chart of a signed embed URL (home-usage embed-url); needs no bearer token.",
          security: [],
          parameters: [token, ...look],
          responses: { ...svg, "403": { description: "Tampered or expired token." } },
        },
      },
      "/usage/login/embed/{token}.png": {
        get: {
          summary: "The same as PNG.",
          security: [],
          parameters: [token, ...look, scale],
          responses: { ...png, "403": { description: "Tampered or expired token." } },
        },
      },
      "/usage/login/retention": both({
        summary: "First-time cohorts: how many of each came back in each later period.",
        description: RETENTION_DEFINITION,
        parameters: [...retention, contentType],
        responses: {
          "200": {
            description:
              "One RetentionRow per cohort and k; JSON in the envelope, other formats bare (text, HTML and Markdown write share as a percentage).",
            content: {
              "application/json": { schema: retentionEnvelope },
              "text/csv": {},
              "text/html": {},
              "text/plain": {},
              "text/markdown": {},
            },
          },
          ...errors,
        },
      }),
      "/usage/login/retention/plot": both({
        summary:
          "The retention heatmap as SVG: cohorts down, k across, the share as colour and as a percentage in each cell, cohort sizes beside the rows.",
        parameters: retentionChart,
        responses: svg,
      }),
      "/usage/login/retention/plot.svg": both({
        summary: "The retention heatmap as SVG, for wikis that want URLs ending in .svg.",
        parameters: retentionChart,
        responses: svg,
      }),
      "/usage/login/retention/plot.png": both({
        summary: "The retention heatmap as PNG.",
        parameters: [...retentionChart, scale],
        responses: png,
      }),
      "/usage/login/retention/embed/{token}.svg": {
        get: {
          summary:
            "The retention heatmap of a signed embed URL (home-usage embed-url --retention); needs no bearer token.",
          security: [],
          parameters: [token, ...look],
          responses: { ...svg, "403": { description: "Tampered or expired token, or one for the usage chart." } },
        },
      },
      "/usage/login/retention/embed/{token}.png": {
        get: {
          summary: "The same as PNG.",
          security: [],
          parameters: [token, ...look, scale],
          responses: { ...png, "403": { description: "Tampered or expired token, or one for the usage chart." } },
        },
      },
      "/signin": {
        get: { summary: "The sign-in form for browsers.", security: [], responses: { "200": { description: "HTML" } } },
        post: {
          summary:
            "Checks a core4 account's `username` and `password`, or a `token` (form fields), and sets a session cookie (HttpOnly, SameSite=Strict, 12 hours). Refuses another site's form.",
          security: [],
          requestBody: {
            content: {
              "application/x-www-form-urlencoded": {
                schema: {
                  type: "object",
                  properties: {
                    username: { type: "string" },
                    password: { type: "string" },
                    token: { type: "string" },
                    next: { type: "string" },
                  },
                },
              },
            },
          },
          responses: {
            "303": { description: "Signed in: to `next`." },
            "401": { description: 'HTML: "name or password not valid", or a wrong token.' },
            "403": { description: "Posted from another site." },
            "429": {
              description: "10 failed sign-ins from this address or for this name within 10 minutes; see Retry-After.",
            },
          },
        },
      },
      "/signout": {
        post: {
          summary: "Ends the session on the server: its cookie no longer works. Refuses another site's form.",
          security: [],
          responses: { "303": { description: "To /signin." }, "403": { description: "Posted from another site." } },
        },
      },
      "/healthz": {
        get: {
          summary: 'Pings the database; says only "database unavailable" when it does not answer.',
          security: [],
          responses: { "200": { description: "ok" }, "503": { description: "database down" } },
        },
      },
      "/openapi.json": { get: { summary: "This document.", responses: { "200": { description: "OpenAPI 3.1" } } } },
    },
  };
}
