import type { Cheerio, CheerioAPI } from 'cheerio';
import type { Element } from 'domhandler';
import { contentTypeFromFilename, contentTypeFromIcon } from './content-types.js';
import { chromeSelector, firstMatch, loadHtml, toInteger } from './dom.js';
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

const blockSelector = 'div.correspondence[id], div.comment_in_request[id]';
const headerSelector = '.request-header, #request_header';

/** True when the document carries a request header or correspondence blocks. */
export function looksLikeRequestPage($: CheerioAPI): boolean {
  return $(headerSelector).length > 0 || $(blockSelector).length > 0;
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
  const request = readSummary($, opts, warnings);
  const events = readEvents($, request.urlTitle, opts.url, warnings);
  return { kind: 'request', request, events, warnings };
}

function readSummary($: CheerioAPI, opts: PageOptions, warnings: string[]): RequestSummary {
  const header = $(headerSelector).first();
  const titleNode = header.find('h1').first();
  let title = titleNode.length ? inlineText(titleNode.get(0)!.children) : '';
  if (!title) title = $('meta[property="og:title"]').attr('content')?.trim() ?? '';
  if (!title) title = $('#content h1, h1').first().text().replace(/\s+/g, ' ').trim();
  if (!title) warnings.push('request title not found');

  const urlTitle = readUrlTitle($, opts.url);
  if (!urlTitle) warnings.push('request url_title not found');

  const statusBlock = $('.request-status-message, #request_status').first();
  const statusClasses = [statusBlock.attr('class'), statusBlock.find('i[class*="icon_"]').attr('class')].join(' ');
  const status =
    firstMatch(/request-status-message--([a-z_]+)/, statusClasses) ?? firstMatch(/(?:^|\s)icon_([a-z_]+)/, statusClasses);
  if (!status) warnings.push('request status not found');
  const statusLabel =
    (status && statusLabels[status]) ?? statusBlock.find('strong').first().text().replace(/\s+/g, ' ').trim();
  if (status && !statusLabels[status]) warnings.push(`unknown request status "${status}"`);

  const subtitle = $('.request-header__subtitle, #request_header .subtitle, #content p.subtitle').first();
  const scope = subtitle.length ? subtitle : header;
  const authorityLink = scope.find('a[href*="/body/"]').first();
  const authority: NamedSlug = {
    name: authorityLink.text().replace(/\s+/g, ' ').trim(),
    urlName: bodySlugFromHref(authorityLink.attr('href') ?? '') ?? '',
  };
  if (!authority.urlName) warnings.push('authority link not found');

  const lang = $('html').attr('lang')?.trim();
  if (!lang) warnings.push('page has no lang attribute');

  const summary: RequestSummary = {
    urlTitle,
    title,
    status: status ?? '',
    statusLabel,
    authority,
    requester: readRequester($, scope, authorityLink),
    lang: lang || 'und',
  };
  const id = readRequestId($, opts.url);
  if (id !== undefined) summary.id = id;
  const notices = $(
    '#hidden_request, .request-header__foi_no, .request-header__restricted_correspondence, .request-header__closed_to_correspondence',
  )
    .map((_, element) => inlineText(element.children))
    .get()
    .filter((notice) => notice !== '');
  if (notices.length) summary.notices = notices;
  const prominence = firstMatch(/prominence\s+['"‘’]?(normal|backpage|requester_only|hidden)/, $('#hidden_request').text());
  if (prominence) summary.prominence = prominence as RequestProminence;
  return summary;
}

function readUrlTitle($: CheerioAPI, pageUrl: string | undefined): string {
  const candidates = [
    pageUrl,
    $('meta[property="og:url"]').attr('content'),
    $('link[rel="alternate"][type="application/json"]').filter((_, el) => /\.json$/.test(el.attribs['href'] ?? '')).attr('href'),
    $('input.cplink__field').attr('value'),
  ];
  for (const href of candidates) {
    const slug = href && requestSlugFromHref(href);
    if (slug && !/^\d+$/.test(slug)) return slug;
  }
  return '';
}

// The page itself rarely names the numeric id: it shows only when the page was fetched as
// `/request/<id>` or a header link uses the numeric form.
function readRequestId($: CheerioAPI, pageUrl: string | undefined): number | undefined {
  const hrefs = [
    pageUrl,
    $('meta[property="og:url"]').attr('content'),
    ...$('head link[href], #after_actions a[href]').map((_, el) => el.attribs['href']).get(),
  ];
  for (const href of hrefs) {
    const id = toInteger(firstMatch(/\/request\/(\d+)(?:[/.?#]|$)/, href));
    if (id !== undefined) return id;
  }
  return undefined;
}

function readRequester($: CheerioAPI, scope: Cheerio<Element>, authorityLink: Cheerio<Element>): Requester | null {
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

function readEvents($: CheerioAPI, urlTitle: string, pageUrl: string | undefined, warnings: string[]): RequestEvent[] {
  const events: RequestEvent[] = [];
  const outgoingById = new Map<number, RequestEvent>();
  const seen = new Set<string>();
  $(blockSelector).each((_, element) => {
    const block = $(element);
    if (block.parents(chromeSelector).length) return;
    const match = /^(outgoing|incoming|comment)-(\d+)$/.exec(element.attribs['id'] ?? '');
    if (!match) {
      warnings.push(`correspondence block with unreadable id "${element.attribs['id']}"`);
      return;
    }
    const kind = match[1] as EventKind;
    const id = Number(match[2]);
    const key = `${kind}-${id}`;
    if (kind === 'outgoing' && isResentBlock(block)) {
      const original = outgoingById.get(id);
      if (original) {
        original.resent = true;
      } else {
        const resent: RequestEvent = { kind, id, hidden: false, resent: true, attachments: [] };
        const time = block.find('time[datetime]').first().attr('datetime');
        if (time) resent.time = time;
        events.push(resent);
        outgoingById.set(id, resent);
        seen.add(key);
      }
      return;
    }
    if (seen.has(key)) {
      warnings.push(`duplicate correspondence block ${key} ignored`);
      return;
    }
    seen.add(key);
    const event = readEvent($, block, kind, id, pageUrl, warnings);
    events.push(event);
    if (kind === 'outgoing') outgoingById.set(id, event);
  });
  if (events.length === 0 && urlTitle) warnings.push('no correspondence found');
  return events;
}

function isResentBlock(block: Cheerio<Element>): boolean {
  return block.find('.event_plain').length > 0 && block.find('.correspondence_text').length === 0;
}

function readEvent(
  $: CheerioAPI,
  block: Cheerio<Element>,
  kind: EventKind,
  id: number,
  pageUrl: string | undefined,
  warnings: string[],
): RequestEvent {
  const classes = ` ${block.attr('class') ?? ''} `;
  const hidden =
    block.find('.hidden_message, #hidden_message').length > 0 || / (hidden|requester_only) /.test(classes);
  const event: RequestEvent = { kind, id, hidden, attachments: [] };

  const time = block.find('time[datetime]').first().attr('datetime');
  if (time) event.time = time;
  const author = readAuthor(block, kind);
  if (author) event.author = author;

  if (kind === 'comment') {
    const body = block.find('.comment_in_request_text').first();
    if (body.length) event.text = htmlToText(body.get(0)!.children);
    else if (!hidden) warnings.push(`comment-${id}: no annotation text`);
    return event;
  }
  if (hidden) return event;

  const container = block.find('.correspondence_text').first();
  if (!container.length) {
    warnings.push(`${kind}-${id}: no message body`);
    return event;
  }
  const body = kind === 'incoming' ? incomingBody(container) : container;
  const bodyElement = body.get(0)!;
  if (body.find('.unfold_link a[href*="unfold=1"]').length) event.folded = true;
  if (body.children('.hidden_attachment').length === 0) {
    event.text = htmlToText(
      bodyElement === container.get(0)
        ? bodyElement.children.filter((node) => !(node.type === 'tag' && isAttachmentList(node as Element)))
        : bodyElement.children,
    );
  }
  if (kind === 'incoming') event.attachments = readAttachments($, block, id, pageUrl, warnings);
  return event;
}

// New markup keeps the body in a div named after its main body part; old markup has it inline.
function incomingBody(container: Cheerio<Element>): Cheerio<Element> {
  const main = container.children('div[id^="attachment-"]').first();
  return main.length ? main : container;
}

function isAttachmentList(element: Element): boolean {
  const classes = ` ${element.attribs['class'] ?? ''} `;
  return / (attachments|list-of-attachments|attachment) /.test(classes);
}

function readAuthor(block: Cheerio<Element>, kind: EventKind): string | undefined {
  let author: string | undefined;
  if (kind === 'comment') {
    const heading = block.find('h2').first();
    author = heading.find('a[href*="/user/"]').first().text() || heading.text().split(/\s+left an annotation/)[0];
  } else {
    const span = block.find('.correspondence__header__author').first();
    if (span.length) {
      author = inlineText(span.get(0)!.children);
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

function readAttachments(
  $: CheerioAPI,
  block: Cheerio<Element>,
  messageId: number,
  pageUrl: string | undefined,
  warnings: string[],
): Attachment[] {
  const attachments: Attachment[] = [];
  block.find('.attachments li, .list-of-attachments li, li.attachment').each((_, element) => {
    const li = $(element);
    const id = toInteger(firstMatch(/^attachment-(\d+)$/, element.attribs['id']));
    if (id === undefined) {
      warnings.push(`incoming-${messageId}: attachment without an id skipped`);
      return;
    }
    if (attachments.some((attachment) => attachment.id === id)) return;
    const attachment: Attachment = { id, hidden: li.find('.hidden_attachment').length > 0 };
    const downloadHref = li
      .find('a[href*="/attach/"]')
      .filter((_, a) => !/\/attach\/html\//.test(a.attribs['href'] ?? ''))
      .first()
      .attr('href');
    const nameText = li.find('.attachment__name, .attachment_name').first().text().replace(/\s+/g, ' ').trim();
    if (downloadHref) {
      const part = toInteger(firstMatch(/\/attach\/(\d+)\//, downloadHref));
      if (part !== undefined) attachment.part = part;
      const url = absoluteUrl(downloadHref, pageUrl);
      if (url) attachment.url = url;
    }
    const urlName = downloadHref ? firstMatch(/\/attach\/\d+\/([^?#]+)/, downloadHref) : undefined;
    const filename = nameText || (urlName ? safeDecode(urlName) : undefined);
    if (filename) attachment.filename = filename;
    const contentType =
      contentTypeFromIcon(li.find('img').attr('src') ?? '', filename) ??
      (filename ? contentTypeFromFilename(filename) : undefined);
    if (contentType && !attachment.hidden) attachment.contentType = contentType;
    const meta = li.find('.attachment__meta, .attachment_meta').first();
    const sizeText = firstMatch(/(?:^|\s)(\d+(?:\.\d+)?[KMG])(?:\s|$)/, (meta.length ? meta : li).text());
    if (sizeText) attachment.sizeText = sizeText;
    if (!attachment.hidden && !downloadHref) {
      if (filename) attachment.erased = true;
      else warnings.push(`attachment-${id}: neither a link nor a hidden notice`);
    }
    attachments.push(attachment);
  });
  return attachments;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
