import { PALETTES } from "./chart.js";

/** What a chart that could not be drawn says in its place. */
export interface ErrorChartOptions {
  /** What went wrong, in a sentence. */
  message: string;
  /** Seconds after which asking again may work. */
  retryAfterSeconds?: number;
  /** @default 640 */
  width?: number;
  /** @default 400 */
  height?: number;
  /** @default light */
  theme?: "light" | "dark";
}

const escapeXml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Words in lines of at most `max` characters. */
function wrap(text: string, max: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > max) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * A placeholder for a chart that could not be drawn: a framed box that says so, why, and when to try
 * again, so a wiki that embeds the chart shows a readable notice instead of a broken image.
 */
export function renderErrorChart(options: ErrorChartOptions): string {
  const width = options.width ?? 640;
  const height = options.height ?? 400;
  const colours = PALETTES[options.theme ?? "light"];
  const size = Math.max(11, Math.min(15, Math.round(width / 40)));
  const lines = [
    ...wrap(options.message, Math.max(16, Math.floor((width - 40) / (size * 0.6)))),
    ...(options.retryAfterSeconds ? [`Try again in ${describeSeconds(options.retryAfterSeconds)}.`] : []),
  ];
  const top = Math.max(size * 3, height / 2 - (lines.length * size * 1.4) / 2);
  const text = lines
    .map(
      (line, i) =>
        `<text x="${width / 2}" y="${top + size * 1.8 + i * size * 1.4}" font-size="${size}" fill="${colours.muted}">${escapeXml(line)}</text>`,
    )
    .join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(`Chart unavailable: ${options.message}`)}" font-family="DejaVu Sans, system-ui, sans-serif" text-anchor="middle"><title>Chart unavailable</title><desc>${escapeXml(lines.join(" "))}</desc><rect x="0.5" y="0.5" width="${width - 1}" height="${height - 1}" rx="6" fill="${colours.background}" stroke="${colours.previous}" stroke-dasharray="6 4"/><text x="${width / 2}" y="${top}" font-size="${size + 3}" font-weight="bold" fill="${colours.ink}">Chart unavailable</text>${text}</svg>`;
}

function describeSeconds(seconds: number): string {
  if (seconds < 90) return `${seconds} seconds`;
  const minutes = Math.round(seconds / 60);
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}
