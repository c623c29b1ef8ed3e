import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseTargets } from "./digest-target.js";

describe("digest targets", () => {
  it("shows a webhook by its host and an address by its first letter and domain, and keys them by a hash", () => {
    const url = "https://user:pw@hooks.slack.com/services/T000/B000/SECRET";
    const [slack, mail, teams] = parseTargets([`slack:${url}`, "mailto:team@example.com", "Teams:https://x.example/w"]);
    expect(slack).toMatchObject({ kind: "slack", address: url, shown: "slack:hooks.slack.com/…" });
    expect(slack?.hash).toBe(createHash("sha256").update(`slack:${url}`).digest("hex"));
    expect(mail).toMatchObject({ kind: "mailto", shown: "mailto:t…@example.com" });
    expect(teams?.shown).toBe("teams:x.example/…");
  });

  it("takes a target given twice once", () => {
    expect(parseTargets(["mailto:a@example.com", "mailto:a@example.com"])).toHaveLength(1);
  });

  it("refuses what is not a target without repeating it", () => {
    for (const given of [
      "slack:ftp://hooks.example/SECRET",
      "irc:SECRET",
      "https://hooks.slack.com/SECRET",
      "mailto:SECRET",
    ]) {
      expect(() => parseTargets([given])).toThrow(/--to: /);
      try {
        parseTargets([given]);
      } catch (error) {
        expect((error as Error).message).not.toContain("SECRET");
      }
    }
    expect(() => parseTargets([])).toThrow(/say where to send/);
  });
});
