import type { SearchHit } from '../storage/index.js';

// C0 controls but tab and line feed, DEL, C1 controls.
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * Archived text as it may be printed to a terminal: its control characters as U+FFFD. A title, a message or a
 * document's text printed raw could carry an escape sequence that clears the screen or retitles the window. The parsers
 * drop what the site sends, but not what a document holds, nor what an archive kept before they did.
 */
export function printable(text: string): string {
  return text.replaceAll('\r\n', '\n').replace(CONTROL_CHARACTERS, '\uFFFD');
}

/** A snippet for a terminal: matches in reverse video on a TTY, «between guillemets» elsewhere (so `[name removed]` stays unambiguous). */
export function formatSnippet(hit: SearchHit, tty = Boolean(process.stdout.isTTY)): string {
  const mark = tty ? (text: string) => `\u001b[7m${text}\u001b[27m` : (text: string) => `«${text}»`;
  return hit.snippetParts
    .map((part) => (part.match ? mark(printable(part.text)) : printable(part.text)))
    .join('')
    .replace(/\s+/g, ' ')
    .trim();
}

export function formatTotal(total: number, isEstimate: boolean): string {
  return `${total}${isEstimate ? '+' : ''} hit${total === 1 && !isEstimate ? '' : 's'}`;
}
