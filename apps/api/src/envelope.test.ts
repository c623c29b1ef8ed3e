// Error pictures: a burst of refusals of a PNG chart answers each with the same picture, which must not
// be encoded once per refusal on the event loop.
import { renderErrorChart } from "@home-usage/core";
import { describe, expect, it } from "vitest";
import { errorPng } from "./envelope.js";

const busy = (width: number) =>
  renderErrorChart({ message: "too many reports at once", retryAfterSeconds: 5, width, height: 300 });

describe("error pictures", () => {
  it("are rasterised once per distinct picture, at the picture's size", async () => {
    const pictures = await Promise.all([busy(900), busy(900), busy(900), busy(700)].map(errorPng));
    // The same bytes, not merely equal ones: the second and third refusal encoded nothing.
    expect(pictures[1]).toBe(pictures[0]);
    expect(pictures[2]).toBe(pictures[0]);
    expect(pictures[3]).not.toBe(pictures[0]);
    // Each is a PNG as wide as its SVG (IHDR's width, right after the 8-byte signature and chunk header).
    expect(pictures.map((png) => png.subarray(1, 4).toString("latin1"))).toEqual(["PNG", "PNG", "PNG", "PNG"]);
    expect(pictures.map((png) => png.readUInt32BE(16))).toEqual([900, 900, 900, 700]);
    expect(await errorPng(busy(900))).toBe(pictures[0]);
  });
});
