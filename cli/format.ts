import type { SearchHit } from '../storage/index.js';

/** A snippet for a terminal: matches in reverse video on a TTY, «between guillemets» elsewhere (so `[name removed]` stays unambiguous). */
export function formatSnippet(hit: SearchHit, tty = Boolean(process.stdout.isTTY)): string {
  const mark = tty ? (text: string) => `\u001b[7m${text}\u001b[27m` : (text: string) => `«${text}»`;
  return hit.snippetParts
    .map((part) => (part.match ? mark(part.text) : part.text))
    .join('')
    .replace(/\s+/g, ' ')
    .trim();
}

export function formatTotal(total: number, isEstimate: boolean): string {
  return `${total}${isEstimate ? '+' : ''} hit${total === 1 && !isEstimate ? '' : 's'}`;
}
