import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The package's `fonts/` folder: the nearest one above this module, which is `src/chart/` in tests,
 * `dist/` when built, and the `dist/` of an installed release tarball, which bundles core and ships the
 * fonts beside it (tools/release/pack.mjs).
 */
function fontsFolder(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "fonts", "DejaVuSans.ttf"))) return join(dir, "fonts");
    if (dirname(dir) === dir)
      throw new Error(`the fonts shipped with home-usage are missing: no fonts/ above ${start}`);
  }
}

/** The faces shipped beside the package (DejaVu Sans, Bitstream Vera licence: fonts/LICENSE-DejaVu.txt). */
let fontFiles: string[] | undefined;
const FONT_FAMILY = "DejaVu Sans";

export interface PngOptions {
  /** Pixels per SVG unit: 2 for high-density screens. @default 1 */
  scale?: 1 | 2;
}

let resvg: Promise<typeof import("@resvg/resvg-js")> | undefined;

/**
 * Rasterises a chart's SVG to PNG. Only the shipped fonts are used, never the machine's, so the same
 * SVG gives the same bytes on every machine. The renderer is loaded on first use.
 */
export async function renderPng(svg: string, options: PngOptions = {}): Promise<Buffer> {
  resvg ??= import("@resvg/resvg-js");
  const { renderAsync } = await resvg;
  // Looked up on first use, so a program that draws no PNG never depends on the fonts being there.
  fontFiles ??= ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"].map((file) => join(fontsFolder(), file));
  // On libuv's thread pool, so the event loop (and /healthz) keeps answering while a big chart rasterises.
  const image = await renderAsync(svg, {
    fitTo: { mode: "zoom", value: options.scale ?? 1 },
    font: {
      loadSystemFonts: false,
      fontFiles,
      defaultFontFamily: FONT_FAMILY,
      sansSerifFamily: FONT_FAMILY,
    },
    shapeRendering: 2,
    textRendering: 1,
  });
  return image.asPng();
}

/** A PNG cannot follow the viewer's colour scheme: `auto` is drawn light. */
export const pngTheme = <T extends string | undefined>(theme: T) =>
  (theme === "auto" ? "light" : theme) as Exclude<T, "auto"> | "light";
