// `home-usage digest` as a process, against loopback stand-ins this file starts: an HTTP receiver for
// the chat webhooks and an SMTP server (smtp-server, STARTTLS with a test certificate), the mail
// read back with mailparser. The figures are checked against a plain count of the log written here.
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { verifyEmbedToken } from "@home-usage/core";
import { DateTime } from "luxon";
import { simpleParser } from "mailparser";
import { ObjectId } from "mongodb";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../../tools/test/cli.js";
import { databaseEnv, useTestDatabase } from "../../../tools/test/database.js";
import { type Login, oracle } from "../../../tools/test/oracle.js";

/** A self-signed certificate for localhost, for the SMTP server's STARTTLS (fixtures/README.md). */
const fixtures = join(dirname(fileURLToPath(import.meta.url)), "fixtures");
const t = useTestDatabase("cli_digest");
const ZONE = "Europe/Berlin";
// A Monday morning: the last complete week is 2026-W49 (30 Nov – 6 Dec), the last complete month November.
const NOW = "2026-12-07T07:00:00Z";
const SECRET = "digest-embed-secret-0123456789";
const SMTP_PASSWORD = "smtp-pass-9f8e7d";
const HOOK = "/services/T000/B000/XXSECRETXX";
const PNG_MAGIC = "89504e470d0a1a0a";

interface Received {
  path: string;
  type: string | undefined;
  body: Record<string, unknown>;
}
const received: Received[] = [];
/** Paths the receiver answers with 503 (and the body `service unavailable`). */
const failing = new Set<string>();
let http: Server;
let hookBase = "";
let smtp: SMTPServer;
let smtpPort = 0;
const mails: { raw: Buffer; secure: boolean; user: string | undefined }[] = [];
let certFile = "";
let logins: Login[] = [];

function envFor(name: string, extra: Record<string, string> = {}) {
  return {
    PATH: process.env.PATH ?? "",
    ...databaseEnv(t, name, "sys.log"),
    HOME_USAGE_ROLES: `${t.name}.sys.role`,
    HOME_USAGE_TIMEZONE: ZONE,
    HOME_USAGE_NOW: NOW,
    HOME_USAGE_PUBLIC_URL: "https://usage.example.com",
    HOME_USAGE_EMBED_SECRET: SECRET,
    HOME_USAGE_SMTP_URL: `smtp://digest:${SMTP_PASSWORD}@localhost:${smtpPort}`,
    HOME_USAGE_MAIL_FROM: "home-usage <usage@example.com>",
    NODE_EXTRA_CA_CERTS: certFile,
    ...extra,
  };
}

const run = runCli;

const hook = (name: string) => `${hookBase}/${name}${HOOK}`;

/** People `u00` … `u39`: a deterministic pattern of logins from September through the morning of NOW. */
function makeLogins(): Login[] {
  const out: Login[] = [];
  const first = DateTime.fromISO("2026-09-01", { zone: ZONE });
  for (let day = 0; day < 98; day++) {
    const date = first.plus({ days: day });
    for (let u = 0; u < 40; u++) {
      // Each person comes on some days; later people start later (new people), some stop (dormant).
      if ((u * 7 + day * 3) % (3 + (u % 5)) !== 0) continue;
      if (u >= 30 && day < 60) continue;
      if (u >= 33 && u < 37 && day < 90) continue;
      if (u % 9 === 4 && day > 80) continue;
      out.push({ user: `u${String(u).padStart(2, "0")}`, created: date.plus({ hours: 8 + (u % 10) }).toJSDate() });
    }
  }
  return out.filter((l) => l.created < new Date(NOW));
}

const MARKETING = new ObjectId();
const SALES = new ObjectId();
const TINY = new ObjectId();
/** Group members: marketing u00–u14, sales u10–u29, tiny u30–u32 (always under HOME_USAGE_MIN_GROUP_SIZE). */
function groupsOf(user: string): string[] {
  const n = Number(user.slice(1));
  return [n < 15 && "marketing", n >= 10 && n < 30 && "sales", n >= 30 && n < 33 && "tiny"].filter((g): g is string =>
    Boolean(g),
  );
}

beforeAll(async () => {
  certFile = join(fixtures, "localhost-cert.pem");
  http = createServer((req, res) => {
    let data = "";
    req.on("data", (chunk) => {
      data += chunk;
    });
    req.on("end", () => {
      // A service that takes the request and never answers.
      if (req.url?.startsWith("/hang")) return;
      received.push({ path: req.url ?? "", type: req.headers["content-type"], body: JSON.parse(data) });
      const down = failing.has(req.url ?? "");
      // A service that takes its time: two runs at once are both in flight while it answers.
      if (req.url?.startsWith("/slow")) {
        setTimeout(() => res.writeHead(200, { "content-type": "text/plain" }).end("ok"), 3_000);
        return;
      }
      res.writeHead(down ? 503 : 200, { "content-type": "text/plain" }).end(down ? "service unavailable" : "ok");
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  hookBase = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  smtp = new SMTPServer({
    key: await readFile(join(fixtures, "localhost-key.pem")),
    cert: await readFile(certFile),
    onAuth(auth, _session, callback) {
      if (auth.username === "digest" && auth.password === SMTP_PASSWORD) callback(null, { user: auth.username });
      else callback(new Error("Invalid username or password"));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        mails.push({ raw: Buffer.concat(chunks), secure: session.secure, user: session.user });
        callback();
      });
    },
    logger: false,
  });
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
  smtpPort = (smtp.server.address() as AddressInfo).port;

  logins = makeLogins();
  await t.db
    .collection("sys.log")
    .insertMany(logins.map((l) => ({ created: l.created, message: "successful login", user: l.user })));
  await t.db.collection("sys.role").insertMany([
    { _id: MARKETING, name: "marketing", role: [], perm: [], is_active: true },
    { _id: SALES, name: "sales", role: [], perm: [], is_active: true },
    { _id: TINY, name: "tiny", role: [], perm: [], is_active: true },
    ...Array.from({ length: 40 }, (_, u) => {
      const name = `u${String(u).padStart(2, "0")}`;
      const ids = { marketing: MARKETING, sales: SALES, tiny: TINY } as Record<string, ObjectId>;
      return { name, email: `${name}@example.com`, is_active: true, role: groupsOf(name).map((g) => ids[g]) };
    }),
  ]);
  for (const [name, end] of [
    ["main", "today"],
    ["short", "2026-12-05"],
  ] as const) {
    const done = await run(["aggregate", "--start", "2026-09-01", "--end", end], envFor(name));
    expect(done.code, done.stderr).toBe(0);
  }
}, 120_000);

afterAll(async () => {
  http?.closeAllConnections();
  await new Promise((resolve) => http?.close(resolve));
  await new Promise((resolve) => (smtp ? smtp.close(() => resolve(undefined)) : resolve(undefined)));
});

/** The independent figures of one period, and its groups' people. */
function expected(kind: "week" | "month", label: string) {
  const rows = oracle(logins, { zone: ZONE, first: "2026-09-01", last: "2026-12-07", kind });
  const row = rows.find((r) => r.period === label);
  if (!row) throw new Error(`no oracle row for ${label}`);
  const fmt = kind === "week" ? "kkkk-'W'WW" : "yyyy-MM";
  const people = new Set(
    logins.filter((l) => DateTime.fromJSDate(l.created).setZone(ZONE).toFormat(fmt) === label).map((l) => l.user),
  );
  const groups = new Map<string, number>();
  for (const user of people) for (const g of groupsOf(user)) groups.set(g, (groups.get(g) ?? 0) + 1);
  return { row, groups };
}

const digests = () => t.db.collection("login_main_digest").find().toArray();
const sinceNow = <T>(list: T[], from: number) => list.slice(from);

describe("home-usage digest", { timeout: 90_000 }, () => {
  it("refuses bad arguments with one line, exit 2, and sends nothing", async () => {
    const cases: [string[], RegExp][] = [
      [["--period", "week", "--to", "irc:#ops"], /--to: "irc:…" is not a target/],
      [["--period", "week", "--to", "slack:not-a-url"], /slack: must be followed by an http/],
      [["--period", "year", "--to", hook("slack")], /--period/],
      [["--to", hook("slack")], /--period/],
      [["--period", "week"], /--to: say where/],
      [["--period", "week", "--to", "mailto:nobody"], /mailto: must be followed by an e-mail address/],
      [["--period", "week", "--to", `slack:${hook("slack")}`, "--out", "/tmp"], /--out: only with --dry-run/],
    ];
    for (const [args, message] of cases) {
      const done = await run(["digest", ...args], envFor("main"));
      expect(done.code, done.stderr).toBe(2);
      expect(done.stderr).toMatch(message);
      expect(done.stderr.trim().split("\n")).toHaveLength(1);
      expect(done.stderr).not.toContain("XXSECRETXX");
    }
    const noSmtp = await run(["digest", "--period", "week", "--to", "mailto:team@example.com"], {
      ...envFor("main"),
      HOME_USAGE_SMTP_URL: "",
    });
    expect(noSmtp.code).toBe(2);
    expect(noSmtp.stderr).toContain("needs HOME_USAGE_SMTP_URL set");
    expect(received).toHaveLength(0);
    expect(mails).toHaveLength(0);
    expect(await digests()).toHaveLength(0);
  });

  it("refuses a period with days not processed yet, and says to run aggregate", async () => {
    const done = await run(["digest", "--period", "week", "--to", `slack:${hook("slack")}`], envFor("short"));
    expect(done.code).toBe(2);
    expect(done.stderr).toContain("the week 2026-W49 has days not processed yet");
    expect(done.stderr).toContain("run home-usage aggregate first");
    expect(received).toHaveLength(0);
    expect(await t.db.collection("login_short_digest").countDocuments()).toBe(0);

    // A backfill the job has not yet carried through: the week's figures may still change.
    const cookie = t.db.collection<{ _id: string }>("cookie_main");
    await cookie.updateOne({ _id: "home-usage.aggregate" }, { $set: { repairFrom: "2026-12-01" } });
    const repairing = await run(["digest", "--period", "week", "--to", `slack:${hook("slack")}`], envFor("main"));
    await cookie.updateOne({ _id: "home-usage.aggregate" }, { $unset: { repairFrom: "" } });
    expect(repairing.code).toBe(2);
    expect(repairing.stderr).toContain("(the days from 2026-12-01 are to be repaired): run home-usage aggregate first");
    expect(received).toHaveLength(0);
  });

  it("sends the week to Slack, Mattermost, Teams and e-mail, each in the shape the service expects", async () => {
    const targets = [`slack:${hook("slack")}`, `mattermost:${hook("mattermost")}`, `teams:${hook("teams")}`];
    const done = await run(
      ["digest", "--period", "week", "--to", ...targets, "mailto:team@example.com"],
      envFor("main"),
    );
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain(`sent 2026-W49 to slack:127.0.0.1:${hookBase.split(":")[2]}/…`);
    expect(done.stdout).toContain("sent 2026-W49 to mailto:t…@example.com");
    expect(`${done.stdout}${done.stderr}`).not.toMatch(/XXSECRETXX|smtp-pass/);

    const { row, groups } = expected("week", "2026-W49");
    const change = Math.round(((row.user - row.previous) / row.previous) * 100);
    const headline = `${row.user} distinct people logged in during week 49 of 2026 (30 Nov – 6 Dec), ${change > 0 ? "up" : "down"} ${Math.abs(change)}% from ${row.previous} in the week before.`;
    const byPath = new Map(received.map((r) => [r.path.split("/")[1], r]));
    for (const r of received) expect(r.type).toBe("application/json");

    const slack = byPath.get("slack")?.body as { text: string; blocks: Record<string, unknown>[] };
    expect(slack.text).toContain(headline);
    expect(slack.blocks.map((b) => b.type)).toEqual(["header", "section", "section", "section", "image", "context"]);
    expect(slack.blocks[2]).toEqual({
      type: "section",
      fields: [
        { type: "mrkdwn", text: `*New*\n${row.new}` },
        { type: "mrkdwn", text: `*Returning*\n${row.returning}` },
        { type: "mrkdwn", text: `*Resurrected*\n${row.resurrected}` },
        { type: "mrkdwn", text: `*Dormant*\n${row.dormant}` },
      ],
    });
    // The groups of at least 5 people, largest first; tiny (under 5) is counted but never named.
    const shown = [...groups].filter(([, n]) => n >= 5).sort((a, b) => b[1] - a[1]);
    const groupText = (slack.blocks[3] as { text: { text: string } }).text.text;
    expect(groupText).toContain(`Largest groups: ${shown.map(([g, n]) => `${g} ${n}`).join(", ")}`);
    expect(groupText).not.toContain("tiny");
    if (groups.get("tiny"))
      expect(groupText).toContain("; 1 more group (the 5 largest of at least 5 people are named)");
    for (const name of new Set(logins.map((l) => l.user))) expect(JSON.stringify(slack)).not.toContain(name);
    const image = slack.blocks[4] as { image_url: string; alt_text: string };
    const token = /\/usage\/login\/embed\/(.+)\.png\?/.exec(image.image_url)?.[1] ?? "";
    expect(image.image_url.startsWith("https://usage.example.com/usage/login/embed/")).toBe(true);
    expect(verifyEmbedToken(token, { secret: SECRET, now: new Date(NOW) })).toEqual({
      start: "2026-09-14",
      end: "2026-12-07",
      aggregate: "week",
    });
    expect(image.alt_text).toContain(`2026-W49 ${row.user}`);

    const mattermost = byPath.get("mattermost")?.body as { text: string; attachments: Record<string, unknown>[] };
    expect(mattermost.text).toContain("2026");
    expect(mattermost.attachments[0]?.image_url).toBe(image.image_url);
    expect(mattermost.attachments[0]?.text).toContain(headline);
    expect(mattermost.attachments[0]?.title_link).toBe(
      "https://usage.example.com/usage/login?start=2026-09-14&end=2026-12-07&aggregate=week",
    );

    const teams = byPath.get("teams")?.body as {
      type: string;
      attachments: {
        contentType: string;
        content: { type: string; version: string; body: Record<string, unknown>[] };
      }[];
    };
    expect(teams.type).toBe("message");
    expect(teams.attachments[0]?.contentType).toBe("application/vnd.microsoft.card.adaptive");
    const card = teams.attachments[0]?.content;
    expect(card?.type).toBe("AdaptiveCard");
    expect(card?.body.find((b) => b.type === "Image")?.url).toBe(image.image_url);
    expect(card?.body.find((b) => b.type === "FactSet")?.facts).toContainEqual({
      title: "Dormant",
      value: String(row.dormant),
    });

    expect(mails).toHaveLength(1);
    expect(mails[0]?.secure).toBe(true); // STARTTLS, offered by the server, was taken
    expect(mails[0]?.user).toBe("digest");
    const mail = await simpleParser(mails[0]?.raw as Buffer, { keepCidLinks: true });
    expect(mail.subject).toBe(`home-usage: ${row.user} people in week 49 of 2026 (30 Nov – 6 Dec)`);
    expect(mail.from?.text).toContain("usage@example.com");
    expect(mail.text).toContain(headline);
    expect(mail.html).toContain('src="cid:chart-light@home-usage"');
    expect(mail.html).toContain("prefers-color-scheme: dark");
    const inline = mail.attachments.filter(
      (a) => a.cid === "chart-light@home-usage" || a.cid === "chart-dark@home-usage",
    );
    expect(inline).toHaveLength(2);
    for (const part of inline) {
      expect(part.contentType).toBe("image/png");
      expect(part.contentDisposition).toBe("inline");
      expect(part.content.subarray(0, 8).toString("hex")).toBe(PNG_MAGIC);
    }

    const log = await digests();
    expect(log).toHaveLength(4);
    expect(JSON.stringify(log)).not.toMatch(/XXSECRETXX|team@example/);
    expect(log.map((d) => d.period)).toEqual(["2026-W49", "2026-W49", "2026-W49", "2026-W49"]);
  });

  it("sends each period once per target: a second run sends nothing and says so; --force sends again", async () => {
    const before = received.length;
    const again = await run(["digest", "--period", "week", "--to", `slack:${hook("slack")}`], envFor("main"));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(
      /2026-W49 was already sent to slack:127\.0\.0\.1:\d+\/… at 2026-12-07 07:00 UTC: nothing sent/,
    );
    expect(received.length).toBe(before);
    const forced = await run(
      ["digest", "--period", "week", "--to", `slack:${hook("slack")}`, "--force"],
      envFor("main"),
    );
    expect(forced.code, forced.stderr).toBe(0);
    expect(sinceNow(received, before).map((r) => r.path)).toEqual([`/slack${HOOK}`]);
  });

  it("sends a period once when two runs go at once (a cron job and its retry): the other says so", async () => {
    const before = received.length;
    const target = `slack:${hook("slow")}`;
    const [a, b] = await Promise.all([
      run(["digest", "--period", "week", "--to", target], envFor("main")),
      run(["digest", "--period", "week", "--to", target], envFor("main")),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(sinceNow(received, before).map((r) => r.path)).toEqual([`/slow${HOOK}`]);
    const said = [a.stdout, b.stdout].sort();
    expect(said.filter((out) => out.includes("sent 2026-W49 to slack:"))).toHaveLength(1);
    expect(said.join("")).toMatch(/2026-W49 (is being sent to slack:\S+ by another run|was already sent to slack:)/);
  });

  it("names a failing target, still sends the others, exits 1, and retries only the failed one", {
    timeout: 60_000,
  }, async () => {
    failing.add(`/down${HOOK}`);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const refusedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const targets = [
      `slack:${hook("monthly")}`,
      `mattermost:${hook("down")}`,
      `teams:http://127.0.0.1:${refusedPort}${HOOK}`,
      `slack:${hook("hang")}`,
    ];
    const before = received.length;
    const first = await run(["digest", "--period", "month", "--to", ...targets], envFor("main"));
    expect(first.code).toBe(1);
    expect(first.stdout).toContain("sent 2026-11 to slack:");
    expect(first.stderr).toMatch(/2026-11 not sent to mattermost:127\.0\.0\.1:\d+\/…: HTTP 503: service unavailable/);
    expect(first.stderr).toContain(`2026-11 not sent to teams:127.0.0.1:${refusedPort}/…: connection refused`);
    expect(first.stderr).toMatch(/2026-11 not sent to slack:127\.0\.0\.1:\d+\/…: no answer within 10 s/);
    expect(first.stderr).not.toContain("XXSECRETXX");
    const { row } = expected("month", "2026-11");
    const monthly = received.find((r) => r.path.startsWith("/monthly"))?.body as { text: string };
    expect(monthly.text).toContain(`${row.user} distinct people logged in during November 2026`);

    failing.clear();
    const mark = received.length;
    const second = await run(["digest", "--period", "month", "--to", ...targets.slice(0, 2)], envFor("main"));
    expect(second.code, second.stderr).toBe(0);
    expect(sinceNow(received, mark).map((r) => r.path)).toEqual([`/down${HOOK}`]);
    expect(second.stdout).toContain("2026-11 was already sent to slack:");
    expect(received.length - before).toBe(3);
  });

  it("names a mail server that refuses the sign-in, and never prints its password", async () => {
    const before = mails.length;
    const wrong = "wrong-smtp-password-42";
    const done = await run(["digest", "--period", "month", "--to", "mailto:team@example.com"], {
      ...envFor("main"),
      HOME_USAGE_SMTP_URL: `smtp://digest:${wrong}@localhost:${smtpPort}`,
    });
    expect(done.code).toBe(1);
    expect(done.stderr).toMatch(/^home-usage: 2026-11 not sent to mailto:t…@example\.com: .*Invalid/m);
    expect(`${done.stdout}${done.stderr}`).not.toContain(wrong);
    expect(mails.length).toBe(before);
    const retried = await run(["digest", "--period", "month", "--to", "mailto:team@example.com"], envFor("main"));
    expect(retried.code, retried.stderr).toBe(0);
    expect(mails.length).toBe(before + 1);
    const mail = await simpleParser(mails.at(-1)?.raw as Buffer);
    expect(mail.subject).toMatch(/^home-usage: \d+ people in November 2026$/);
  });

  it("--dry-run prints each message and writes the mail as HTML with --out; it sends and remembers nothing", async () => {
    const out = await mkdtemp(join(tmpdir(), "hu-digest-out-"));
    const before = { received: received.length, mails: mails.length, log: (await digests()).length };
    const done = await run(
      [
        "digest",
        "--period",
        "week",
        "--to",
        `slack:${hook("preview")}`,
        "mailto:team@example.com",
        "--dry-run",
        "--out",
        out,
      ],
      { ...envFor("main"), HOME_USAGE_EMBED_SECRET: "" },
    );
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toBe(
      "home-usage: chat messages go without the chart: set HOME_USAGE_EMBED_SECRET for its image\n",
    );
    expect(done.stdout).toContain("--- 2026-W49 to slack:");
    expect(done.stdout).toContain('"blocks"');
    expect(done.stdout).not.toContain('"image"');
    expect(done.stdout).toContain("Subject: home-usage: ");
    expect(done.stdout).not.toContain("XXSECRETXX");
    expect((await readdir(out)).sort()).toEqual([
      "digest-2026-W49-dark.png",
      "digest-2026-W49.html",
      "digest-2026-W49.png",
    ]);
    const html = await readFile(join(out, "digest-2026-W49.html"), "utf8");
    expect(html).toContain('src="digest-2026-W49.png"');
    expect((await readFile(join(out, "digest-2026-W49.png"))).subarray(0, 8).toString("hex")).toBe(PNG_MAGIC);
    expect(received.length).toBe(before.received);
    expect(mails.length).toBe(before.mails);
    expect((await digests()).length).toBe(before.log);
  });
});
