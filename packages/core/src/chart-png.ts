import { fileURLToPath } from "node:url";

/** The faces shipped beside the package (DejaVu Sans, Bitstream Vera licence: fonts/LICENSE-DejaVu.txt). */
const FONT_FILES = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"].map((file) =>
  fileURLToPath(new URL(`../fonts/${file}`, import.meta.url)),
);
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
