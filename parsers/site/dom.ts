import type { CheerioAPI } from 'cheerio';
import type { AnyNode, Document, Element } from 'domhandler';
import { load } from '../cheerio.js';
import { withoutControlCharacters } from './controls.js';

export type { CheerioAPI };

/** cheerio's `load`, with parse5 as the HTML parser; control characters are read as U+FFFD, as in JSON. */
export function loadHtml(html: string): CheerioAPI {
  return load(withoutControlCharacters(html));
}

export function firstMatch(pattern: RegExp, value: string | undefined): string | undefined {
  return value === undefined ? undefined : pattern.exec(value)?.[1];
}

export function toInteger(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number.parseInt(value.replace(/[,\s]/g, ''), 10);
  return Number.isSafeInteger(number) ? number : undefined;
}

/** True when `element` is `ancestor` or lies inside it. */
export function within(element: Element, ancestor: Element): boolean {
  for (let node: Element | null = element; node; node = node.parent as Element | null) {
    if (node === ancestor) return true;
  }
  return false;
}

export function textOf(element: Element | undefined): string {
  return element ? inlineTextOf(element) : '';
}

function inlineTextOf(element: Element): string {
  let text = '';
  for (const node of element.children) {
    if (node.type === 'text') text += node.data;
    else if (node.type === 'tag') text += inlineTextOf(node as Element);
  }
  return text.replace(/\s+/g, ' ').trim();
}

export function hasClass(element: Element, name: string): boolean {
  const value = element.attribs['class'];
  return value !== undefined && ` ${value.replace(/\s+/g, ' ')} `.includes(` ${name} `);
}

const chromeIds = new Set(['right_column', 'notes', 'after_actions']);
const chromeClasses = ['sidebar', 'describe_state_form', 'request_short_listing', 'sidebar__similar-requests'];

/** True inside a sidebar, admin notes, action menu, describe-state box or similar-requests box. */
export function insideChrome(element: Element): boolean {
  for (let node = element.parent; node && node.type === 'tag'; node = node.parent) {
    const ancestor = node as Element;
    if (chromeIds.has(ancestor.attribs['id'] ?? '')) return true;
    if (chromeClasses.some((name) => hasClass(ancestor, name))) return true;
  }
  return false;
}

/**
 * Every element under some nodes by tag, class and id, from one walk. Each CSS query walks the
 * tree again; a request page needs dozens of them, which together cost more than parsing it.
 */
export class ElementIndex {
  private readonly tags = new Map<string, Element[]>();
  private readonly classes = new Map<string, Element[]>();
  private readonly ids = new Map<string, Element[]>();

  constructor(nodes: readonly AnyNode[]) {
    this.visit(nodes);
  }

  private add(map: Map<string, Element[]>, key: string, element: Element): void {
    const list = map.get(key);
    if (list) list.push(element);
    else map.set(key, [element]);
  }

  private visit(nodes: readonly AnyNode[]): void {
    for (const node of nodes) {
      if (node.type !== 'tag' && node.type !== 'script' && node.type !== 'style') continue;
      const element = node as Element;
      this.add(this.tags, element.name, element);
      const id = element.attribs['id'];
      if (id) this.add(this.ids, id, element);
      const classes = element.attribs['class'];
      if (classes) for (const name of classes.split(/\s+/)) if (name) this.add(this.classes, name, element);
      this.visit(element.children);
    }
  }

  tagged(name: string): readonly Element[] {
    return this.tags.get(name) ?? [];
  }

  classed(name: string): readonly Element[] {
    return this.classes.get(name) ?? [];
  }

  withId(id: string): readonly Element[] {
    return this.ids.get(id) ?? [];
  }

  meta(property: string): string | undefined {
    return this.tagged('meta').find((element) => element.attribs['property'] === property)?.attribs['content'];
  }
}

const indexes = new WeakMap<Document, ElementIndex>();

export function indexOf($: CheerioAPI): ElementIndex {
  const root = $.root().get(0) as Document;
  let index = indexes.get(root);
  if (!index) {
    index = new ElementIndex(root.children);
    indexes.set(root, index);
  }
  return index;
}
