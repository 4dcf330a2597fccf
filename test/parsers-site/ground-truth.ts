import type { GroundTruthEvent, GroundTruthRequest } from '../../fixtures/site/index.js';
import type { RequestEvent, RequestPage } from '../../parsers/site/index.js';

// Hidden annotations are not rendered at all, so a page can only show the others.
function visibleOnPage(event: GroundTruthEvent): boolean {
  return !(event.kind === 'comment' && event.hidden);
}

// simple_format turns any run of blank lines into one paragraph break, and trailing spaces carry nothing.
function asPageShowsIt(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n');
}

function expectedEvent(event: GroundTruthEvent) {
  return {
    kind: event.kind,
    id: event.id,
    time: event.time,
    // The page prints "Name," when the sender is not the authority; the parser drops that comma.
    author: event.author.replace(/,$/, '') || undefined,
    hidden: event.hidden,
    text: event.text ? asPageShowsIt(event.text) : undefined,
    attachments: event.attachments.map((attachment) =>
      attachment.hidden
        ? { id: attachment.id, hidden: true }
        : {
            id: attachment.id,
            part: attachment.part,
            filename: attachment.filename,
            url: attachment.url,
            contentType: attachment.contentType,
            hidden: false,
          },
    ),
  };
}

function comparableEvent(event: RequestEvent) {
  return {
    kind: event.kind,
    id: event.id,
    time: event.time,
    author: event.author,
    hidden: event.hidden,
    text: event.text,
    attachments: event.attachments.map(({ id, part, filename, url, contentType, hidden }) =>
      hidden ? { id, hidden } : { id, part, filename, url, contentType, hidden },
    ),
  };
}

/** What the page can show of a ground-truth request, in the parser's terms. */
export function expectedFromTruth(request: GroundTruthRequest) {
  return {
    urlTitle: request.urlTitle,
    title: request.title,
    status: request.status,
    authority: { urlName: request.authority.urlName, name: request.authority.name },
    requester: request.requester,
    events: request.events.filter(visibleOnPage).map(expectedEvent),
    warnings: [],
  };
}

/** The same view of a parsed page. Ground truth names account holders only, so a slug-less requester reads as null. */
export function comparableParse(page: RequestPage) {
  const { requester } = page.request;
  return {
    urlTitle: page.request.urlTitle,
    title: page.request.title,
    status: page.request.status,
    authority: page.request.authority,
    requester: requester?.urlName ? requester : null,
    events: page.events.map(comparableEvent),
    warnings: page.warnings,
  };
}
