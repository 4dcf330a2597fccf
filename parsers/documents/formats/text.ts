import chardet from 'chardet';
import iconv from 'iconv-lite';
import { load } from '../../cheerio.js';
import type { ExtractContext } from '../context.js';
import type { ExtractResult } from '../types.js';

const CHARSET_SAMPLE_BYTES = 64 * 1024;
/**
 * Under this confidence chardet's guess is as likely wrong as right: "Fee: £25.00" in windows-1252 is Shift_JIS to it
 * (at 10), "Cost £100" ISO-8859-2 at 37. A real Cyrillic or Central European text scores 60 and more.
 */
const CONFIDENT_GUESS = 50;
/** What a UK public body's legacy text most likely is, and browsers' default for it (WHATWG Encoding). */
const FALLBACK_CHARSET = 'windows-1252';

/** Without a BOM, UTF-16/32 text would have NUL bytes and be sniffed as binary: a guess of those is wrong. */
const usableCharset = (name: string | undefined): name is string => !!name && !/^utf-?(8|16|32)/i.test(name) && iconv.encodingExists(name);

function guessCharset(bytes: Uint8Array): string {
  const guess = chardet.analyse(bytes.subarray(0, CHARSET_SAMPLE_BYTES)).find((candidate) => usableCharset(candidate.name));
  if (!guess || guess.confidence < CONFIDENT_GUESS) return FALLBACK_CHARSET;
  // Read as windows-1252, as browsers do: the same characters, but for the € and curly quotes Windows puts in 0x80–0x9F.
  return /^(iso-8859-1|(us-)?ascii)$/i.test(guess.name) ? FALLBACK_CHARSET : guess.name;
}

/** Decodes text: BOM, then strict UTF-8, then the stated charset, then chardet's guess over a sample when it is confident. */
export function decodeText(bytes: Uint8Array, statedCharset?: string): { text: string; charset: string } {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { text: utf8(bytes.subarray(3)), charset: 'utf-8' };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { text: iconv.decode(Buffer.from(bytes.subarray(2)), 'utf-16le'), charset: 'utf-16le' };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { text: iconv.decode(Buffer.from(bytes.subarray(2)), 'utf-16be'), charset: 'utf-16be' };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), charset: 'utf-8' };
  } catch {
    const charset = usableCharset(statedCharset) ? statedCharset : guessCharset(bytes);
    return { text: iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), charset), charset: charset.toLowerCase() };
  }
}

function utf8(bytes: Uint8Array): string {
  return new TextDecoder('utf-8').decode(bytes);
}

export function extractPlainText(bytes: Uint8Array, ctx: ExtractContext, result: ExtractResult): void {
  const { text, charset } = decodeText(bytes);
  if (charset !== 'utf-8') result.warnings.push(`decoded as ${charset}`);
  ctx.addText(result, text.trim());
}

const BLOCK_ELEMENTS = 'p, div, br, li, tr, h1, h2, h3, h4, h5, h6, table, blockquote, pre, hr, dt, dd, section, article, header, footer, address';

/** Visible text of an HTML document: scripts, styles and other non-text elements dropped, blocks on their own lines. */
export function htmlToText(html: string): { text: string; title?: string } {
  const $ = load(html);
  $('script, style, noscript, template, iframe, object, embed, svg, head meta, head link').remove();
  const title = $('title').first().text().trim() || undefined;
  $('head').remove();
  $('td, th').after('\t');
  $(BLOCK_ELEMENTS).after('\n');
  const text = $.root()
    .text()
    .replace(/[ \t\u00a0]+\n/g, '\n')
    .replace(/\n[ \t\u00a0]+/g, '\n')
    .replace(/[ \u00a0]{2,}/g, ' ')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return title ? { text, title } : { text };
}

export function extractHtml(bytes: Uint8Array, ctx: ExtractContext, result: ExtractResult): void {
  const head = Buffer.from(bytes.subarray(0, 2048)).toString('latin1');
  const stated = head.match(/<meta[^>]+charset\s*=\s*["']?([\w-]+)/i)?.[1];
  const { text: html } = decodeText(bytes, stated);
  const { text, title } = htmlToText(html);
  if (title) result.metadata.title = title;
  ctx.addText(result, text);
}
