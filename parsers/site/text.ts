import type { AnyNode, Element } from 'domhandler';
import { hasClass } from './dom.js';

const blockElements = new Set([
  'p', 'div', 'blockquote', 'pre', 'table', 'tr', 'ul', 'ol', 'dl', 'dd', 'dt',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'section', 'article', 'header', 'footer', 'hr',
]);
const skippedElements = new Set(['script', 'style', 'template', 'noscript']);

/** The "show/hide quoted sections" control: page chrome, never message text. */
export function isUnfoldLink(element: Element): boolean {
  return element.name === 'span' && hasClass(element, 'unfold_link');
}

// A source line break inside a text node is layout: a space between words, nothing at a line's edge.
// It is marked while collecting and resolved once lines are known, so indentation the author typed survives.
const softBreak = '\u0000';

function collect(nodes: readonly AnyNode[], out: string[]): void {
  for (const node of nodes) {
    if (node.type === 'text') {
      out.push(node.data.replace(/[ \t]*[\r\n]+[ \t]*/g, softBreak));
      continue;
    }
    if (node.type !== 'tag') continue;
    const element = node as Element;
    const name = element.name;
    if (skippedElements.has(name) || isUnfoldLink(element)) continue;
    if (name === 'br') {
      out.push('\n');
    } else if (name === 'li') {
      out.push('\n');
      collect(element.children, out);
      out.push('\n');
    } else if (blockElements.has(name)) {
      out.push('\n\n');
      collect(element.children, out);
      out.push('\n\n');
    } else {
      collect(element.children, out);
    }
  }
}

/**
 * Plain text of rendered message HTML as a reader sees it: paragraphs separated by one blank line,
 * `<br>` as a newline, trailing spaces dropped and typed indentation kept, placeholders such as `[email address]` and shortened
 * link texts ("https://…...") kept as written.
 */
export function htmlToText(nodes: readonly AnyNode[]): string {
  const out: string[] = [];
  collect(nodes, out);
  return out
    .join('')
    .split('\n')
    .map((line) => line.replace(/^\u0000+/, '').replace(/[\s\u0000]+$/, '').replace(/\u0000+/g, ' '))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Text of a node as a reader sees it on one line: whitespace collapsed. */
export function inlineText(nodes: readonly AnyNode[]): string {
  const out: string[] = [];
  collect(nodes, out);
  return out.join('').replace(/[\s\u0000]+/g, ' ').trim();
}
