import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The package's `fonts/` folder: the nearest one above this module, which is `src/chart/` in tests and
 * `dist/` when built.
 */
function fontsFolder(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "fonts", "DejaVuSans.ttf"))) return join(dir, "fonts");
    if (dirname(dir) === dir) throw new Error("home-usage: the fonts shipped with @home-usage/core are missing");
  }
}

/** The faces shipped beside the package (DejaVu Sans, Bitstream Vera licence: fonts/LICENSE-DejaVu.txt). */
const FONT_FILES = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"].map((file) => join(fontsFolder(), file));
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
  // On libuv's thread pool, so the event loop (and /healthz) keeps answering while a big chart rasterises.
  const image = await renderAsync(svg, {
    fitTo: { mode: "zoom", value: options.scale ?? 1 },
    font: {
      loadSystemFonts: false,
      fontFiles: FONT_FILES,
      defaultFontFamily: FONT_FAMILY,
      sansSerifFamily: FONT_FAMILY,
    },
    shapeRendering: 2,
    textRendering: 1,
  });
  return image.asPng();
}
