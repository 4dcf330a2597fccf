import type { Cheerio, CheerioAPI } from 'cheerio';
import type { Element } from 'domhandler';
import { contentTypeFromFilename, contentTypeFromIcon } from './content-types.js';
import { withoutControlCharacters } from './controls.js';
import { ElementIndex, firstMatch, hasClass, indexOf, insideChrome, loadHtml, textOf, toInteger, within } from './dom.js';
import { PageKindError } from './errors.js';
import { statusLabels } from './status.js';
import { htmlToText, inlineText } from './text.js';
import type {
  Attachment,
  EventKind,
  NamedSlug,
  PageOptions,
  RequestEvent,
  RequestPage,
  RequestProminence,
  RequestSummary,
  Requester,
} from './types.js';
import { absoluteUrl, bodySlugFromHref, requestSlugFromHref, userSlugFromHref } from './urls.js';

/** The class and id names looksLikeRequestPage looks for: every page parseRequestPage accepts contains one of them. */
export const REQUEST_PAGE_WORDS: readonly string[] = ['request-header', 'request_header', 'correspondence', 'comment_in_request'];

/** True when the document carries a request header or correspondence blocks. */
export function looksLikeRequestPage($: CheerioAPI): boolean {
  return headerOf(indexOf($)) !== undefined || correspondenceBlocks(indexOf($)).length > 0;
}

function headerOf(index: ElementIndex): Element | undefined {
  return index.classed('request-header')[0] ?? index.withId('request_header')[0];
}

/** Outgoing, incoming and annotation blocks in page order, outside sidebars and notes. */
function correspondenceBlocks(index: ElementIndex): Element[] {
  return index
    .tagged('div')
    .filter(
      (element) =>
        element.attribs['id'] !== undefined &&
        (hasClass(element, 'correspondence') || hasClass(element, 'comment_in_request')) &&
        !insideChrome(element),
    );
}

export function parseRequestPage(html: string, opts: PageOptions = {}): RequestPage {
  const $ = loadHtml(html);
  if (!looksLikeRequestPage($)) {
    throw new PageKindError('request page', 'no request header and no correspondence');
  }
  return readRequestPage($, opts);
}

export function readRequestPage($: CheerioAPI, opts: PageOptions): RequestPage {
  const warnings: string[] = [];
  const index = indexOf($);
  const request = readSummary($, index, opts, warnings);
  const events = readEvents($, index, request.urlTitle, opts.url, warnings);
  return { kind: 'request', request, events, warnings };
}

const collapse = (text: string) => text.replace(/\s+/g, ' ').trim();

function wrap($: CheerioAPI, element: Element | undefined): Cheerio<Element> {
  return $(element ? [element] : ([] as Element[]));
}

function readSummary($: CheerioAPI, index: ElementIndex, opts: PageOptions, warnings: string[]): RequestSummary {
  const headerElement = headerOf(index);
  const header = wrap($, headerElement);
  const titleNode = header.find('h1').get(0);
  let title = titleNode ? inlineText(titleNode.children) : '';
  if (!title) title = index.meta('og:title')?.trim() ?? '';
  if (!title) title = collapse(wrap($, index.tagged('h1')[0]).text());
  if (!title) warnings.push('request title not found');

  const urlTitle = readUrlTitle(index, opts.url);
  if (!urlTitle) warnings.push('request url_title not found');

  const statusBlock = wrap($, index.classed('request-status-message')[0] ?? index.withId('request_status')[0]);
  const statusClasses = [statusBlock.attr('class'), statusBlock.find('i[class*="icon_"]').attr('class')].join(' ');
  const status =
    firstMatch(/request-status-message--([a-z_]+)/, statusClasses) ?? firstMatch(/(?:^|\s)icon_([a-z_]+)/, statusClasses);
  if (!status) warnings.push('request status not found');
  const statusLabel = (status && statusLabels[status]) ?? collapse(statusBlock.find('strong').first().text());
  if (status && !statusLabels[status]) warnings.push(`unknown request status "${status}"`);

  const subtitle =
    index.classed('request-header__subtitle')[0] ??
    index.classed('subtitle').find((element) => element.name === 'p' && !insideChrome(element));
  const scope = subtitle ? $(subtitle) : header;
  const authorityLink = scope.find('a[href*="/body/"]').first();
  const authority: NamedSlug = {
    name: collapse(authorityLink.text()),
    urlName: bodySlugFromHref(authorityLink.attr('href') ?? '') ?? '',
  };
  if (!authority.urlName) warnings.push('authority link not found');

  const lang = index.tagged('html')[0]?.attribs['lang']?.trim();
  if (!lang) warnings.push('page has no lang attribute');

  const summary: RequestSummary = {
    urlTitle,
    title,
    status: status ?? '',
    statusLabel,
    authority,
    requester: readRequester(scope, authorityLink),
    lang: lang || 'und',
  };
  const id = readRequestId($, index, opts.url);
  if (id !== undefined) summary.id = id;
  const hiddenRequest = index.withId('hidden_request')[0];
  const notices = [
    hiddenRequest,
    ...['request-header__foi_no', 'request-header__restricted_correspondence', 'request-header__closed_to_correspondence']
      .flatMap((name) => index.classed(name)),
  ]
    .map((element) => (element ? inlineText(element.children) : ''))
    .filter((notice) => notice !== '');
  if (notices.length) summary.notices = notices;
  const prominence = firstMatch(
    /prominence\s+['"‘’]?(normal|backpage|requester_only|hidden)/,
    hiddenRequest ? inlineText(hiddenRequest.children) : undefined,
  );
  if (prominence) summary.prominence = prominence as RequestProminence;
  return summary;
}

function readUrlTitle(index: ElementIndex, pageUrl: string | undefined): string {
  const candidates = [
    pageUrl,
    index.meta('og:url'),
    index
      .tagged('link')
      .map((element) => element.attribs['href'])
      .find((href) => href !== undefined && /\/request\/[^/]+\.json$/.test(href)),
    index.classed('cplink__field').find((element) => element.name === 'input')?.attribs['value'],
  ];
  for (const href of candidates) {
    const slug = href && requestSlugFromHref(href);
    if (slug && !/^\d+$/.test(slug)) return slug;
  }
  return '';
}

// The page itself rarely names the numeric id: it shows only when the page was fetched as
// `/request/<id>` or a header link uses the numeric form.
function readRequestId($: CheerioAPI, index: ElementIndex, pageUrl: string | undefined): number | undefined {
  const hrefs = [
    pageUrl,
    index.meta('og:url'),
    ...index.tagged('link').map((element) => element.attribs['href']),
    ...$(index.withId('after_actions')).find('a[href]').map((_, element) => element.attribs['href']).get(),
  ];
  for (const href of hrefs) {
    const id = toInteger(firstMatch(/\/request\/(\d+)(?:[/.?#]|$)/, href));
    if (id !== undefined) return id;
  }
  return undefined;
}

function readRequester(scope: Cheerio<Element>, authorityLink: Cheerio<Element>): Requester | null {
  const userLink = scope.find('a[href*="/user/"]').first();
  const urlName = userSlugFromHref(userLink.attr('href') ?? '');
  if (urlName) return { name: userLink.text().replace(/\s+/g, ' ').trim(), urlName };
  const anonymous = scope.find('a[href*="/help/privacy"]').first();
  if (anonymous.length) return { name: anonymous.text().trim() };
  // External requests print the requester's name as plain text before the sentence.
  const first = scope.get(0)?.children.find((node) => node.type === 'text' && node.data.trim() !== '');
  if (!first || first.type !== 'text' || authorityLink.length === 0) return null;
  const name = first.data.replace(/\s+/g, ' ').replace(/\s+made this .*$/i, '').trim();
  return name ? { name } : null;
}

function readEvents(
  $: CheerioAPI,
  index: ElementIndex,
  urlTitle: string,
  pageUrl: string | undefined,
  warnings: string[],
): RequestEvent[] {
  const events: RequestEvent[] = [];
  const outgoingById = new Map<number, RequestEvent>();
  const seen = new Set<string>();
  for (const element of correspondenceBlocks(index)) {
    const block = $(element);
    const match = /^(outgoing|incoming|comment)-(\d+)$/.exec(element.attribs['id'] ?? '');
    if (!match) {
      warnings.push(`correspondence block with unreadable id "${element.attribs['id']}"`);
      continue;
    }
    const kind = match[1] as EventKind;
    const id = Number(match[2]);
    const key = `${kind}-${id}`;
    const event = readEvent(block, kind, id, pageUrl, warnings);
    // A resent block repeats its message's id: it marks the message, it is not a second message.
    const original = event.resent ? outgoingById.get(id) : undefined;
    if (original) {
      original.resent = true;
      continue;
    }
    if (seen.has(key)) {
      warnings.push(`duplicate correspondence block ${key} ignored`);
      continue;
    }
    seen.add(key);
    events.push(event);
    if (kind === 'outgoing') outgoingById.set(id, event);
  }
  if (events.length === 0 && urlTitle) warnings.push('no correspondence found');
  return events;
}

function readEvent(
  block: Cheerio<Element>,
  kind: EventKind,
  id: number,
  pageUrl: string | undefined,
  warnings: string[],
): RequestEvent {
  const element = block.get(0)!;
  const parts = new ElementIndex(element.children);
  const hidden =
    parts.classed('hidden_message').length > 0 ||
    parts.withId('hidden_message').length > 0 ||
    hasClass(element, 'hidden') ||
    hasClass(element, 'requester_only');
  if (kind === 'outgoing' && parts.classed('event_plain').length > 0 && parts.classed('correspondence_text').length === 0) {
    return { kind, id, hidden, resent: true, attachments: [], ...timeOf(parts) };
  }
  const event: RequestEvent = { kind, id, hidden, attachments: [], ...timeOf(parts) };
  const author = readAuthor(block, parts, kind);
  if (author) event.author = author;

  if (kind === 'comment') {
    const body = parts.classed('comment_in_request_text')[0];
    if (body) event.text = htmlToText(body.children);
    else if (!hidden) warnings.push(`comment-${id}: no annotation text`);
    return event;
  }
  if (hidden) return event;

  const container = parts.classed('correspondence_text')[0];
  if (!container) {
    warnings.push(`${kind}-${id}: no message body`);
    return event;
  }
  const body = kind === 'incoming' ? incomingBody(container) : container;
  const foldLink = parts
    .classed('unfold_link')
    .some((span) => within(span, body) && span.children.some((node) => node.type === 'tag' && /unfold=1/.test((node as Element).attribs['href'] ?? '')));
  if (foldLink) event.folded = true;
  const bodyHidden = body.children.some((node) => node.type === 'tag' && hasClass(node as Element, 'hidden_attachment'));
  if (!bodyHidden) {
    event.text = htmlToText(
      body === container
        ? body.children.filter((node) => !(node.type === 'tag' && isAttachmentList(node as Element)))
        : body.children,
    );
  }
  if (kind === 'incoming') event.attachments = readAttachments(parts, id, pageUrl, warnings);
  return event;
}

function timeOf(parts: ElementIndex): { time?: string } {
  const time = parts.tagged('time').find((element) => element.attribs['datetime'])?.attribs['datetime'];
  return time ? { time } : {};
}

// New markup keeps the body in a div named after its main body part; old markup has it inline.
function incomingBody(container: Element): Element {
  const main = container.children.find(
    (node) => node.type === 'tag' && (node as Element).name === 'div' && /^attachment-/.test((node as Element).attribs['id'] ?? ''),
  );
  return (main as Element | undefined) ?? container;
}

function isAttachmentList(element: Element): boolean {
  return hasClass(element, 'attachments') || hasClass(element, 'list-of-attachments') || hasClass(element, 'attachment');
}

function readAuthor(block: Cheerio<Element>, parts: ElementIndex, kind: EventKind): string | undefined {
  let author: string | undefined;
  if (kind === 'comment') {
    const heading = parts.tagged('h2')[0];
    const userLink = heading && new ElementIndex(heading.children).tagged('a').find((a) => /\/user\//.test(a.attribs['href'] ?? ''));
    author = userLink ? textOf(userLink) : textOf(heading).split(/\s+left an annotation/)[0];
  } else {
    const span = parts.classed('correspondence__header__author')[0];
    if (span) {
      author = inlineText(span.children);
    } else {
      // Old markup: "From: Name,<br><a href="#incoming-N">date</a>" in a heading.
      const heading = block.children('.correspondence_header, h2').first().clone();
      heading.find('a, time').remove();
      author = heading.text().replace(/^\s*From:\s*/i, '');
    }
  }
  const cleaned = author?.replace(/\s+/g, ' ').trim().replace(/\s*,$/, '');
  return cleaned || undefined;
}

function isAttachmentItem(li: Element): boolean {
  if (hasClass(li, 'attachment')) return true;
  const list = li.parent as Element | null;
  return list !== null && (hasClass(list, 'list-of-attachments') || (list.parent !== null && hasClass(list.parent as Element, 'attachments')));
}

function readAttachments(parts: ElementIndex, messageId: number, pageUrl: string | undefined, warnings: string[]): Attachment[] {
  const attachments: Attachment[] = [];
  for (const li of parts.tagged('li').filter(isAttachmentItem)) {
    const id = toInteger(firstMatch(/^attachment-(\d+)$/, li.attribs['id']));
    if (id === undefined) {
      warnings.push(`incoming-${messageId}: attachment without an id skipped`);
      continue;
    }
    if (attachments.some((attachment) => attachment.id === id)) continue;
    const item = new ElementIndex(li.children);
    const attachment: Attachment = { id, hidden: item.classed('hidden_attachment').length > 0 };
    const downloadHref = item
      .tagged('a')
      .map((a) => a.attribs['href'])
      .find((href) => href !== undefined && href.includes('/attach/') && !href.includes('/attach/html/'));
    const nameText = textOf(item.classed('attachment__name')[0] ?? item.classed('attachment_name')[0]);
    if (downloadHref) {
      const part = toInteger(firstMatch(/\/attach\/(\d+)\//, downloadHref));
      // A message's part numbers are its attachments' identity: a second attachment under one is the same part again.
      if (part !== undefined && attachments.some((other) => other.part === part)) {
        warnings.push(`incoming-${messageId}: attachment-${id} repeats part ${part}, skipped`);
        continue;
      }
      if (part !== undefined) attachment.part = part;
      const url = absoluteUrl(downloadHref, pageUrl);
      if (url) attachment.url = url;
    }
    const urlName = downloadHref ? firstMatch(/\/attach\/\d+\/([^?#]+)/, downloadHref) : undefined;
    const filename = nameText || (urlName ? safeDecode(urlName) : undefined);
    if (filename) attachment.filename = filename;
    const contentType =
      contentTypeFromIcon(item.tagged('img')[0]?.attribs['src'] ?? '', filename) ??
      (filename ? contentTypeFromFilename(filename) : undefined);
    if (contentType && !attachment.hidden) attachment.contentType = contentType;
    const meta = item.classed('attachment__meta')[0] ?? item.classed('attachment_meta')[0] ?? li;
    const sizeText = firstMatch(/(?:^|\s)(\d+(?:\.\d+)?[KMG])(?:\s|$)/, textOf(meta));
    if (sizeText) attachment.sizeText = sizeText;
    if (!attachment.hidden && !downloadHref) {
      if (filename) attachment.erased = true;
      else warnings.push(`attachment-${id}: neither a link nor a hidden notice`);
    }
    attachments.push(attachment);
  }
  return attachments;
}

/** The URL's name of a file, decoded; a control character in it (`%00`, `%1B`) is read as U+FFFD, as in the page's text. */
function safeDecode(value: string): string {
  try {
    return withoutControlCharacters(decodeURIComponent(value));
  } catch {
    return value;
  }
}
