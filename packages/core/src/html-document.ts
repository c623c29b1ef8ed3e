/**
 * An HTML document in English that follows the reader's light or dark scheme, as the page and the digest
 * mail are: `head` comes after the charset, viewport and colour-scheme lines (a title, styles), and
 * `bodyAttributes` (with its leading space) on the body tag.
 */
export function htmlDocument(parts: { head: string; body: string; bodyAttributes?: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
${parts.head}
</head>
<body${parts.bodyAttributes ?? ""}>
${parts.body}
</body>
</html>
`;
}
