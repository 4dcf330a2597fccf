import { FEED_SIZE } from './feed.js';
import { MAX_API_LIMIT, MAX_OFFSET, PAGE_SIZE } from './query.js';

/** The JSON API described as OpenAPI 3.1, served at /api/openapi.json. */

const filterParameters = [
  { name: 'q', in: 'query', description: 'Words in websearch syntax: "a phrase", -exclude, a OR b', schema: { type: 'string' } },
  { name: 'authority', in: 'query', description: "Authority url_name, as in /body/<url_name> on the site", schema: { type: 'string' } },
  { name: 'status', in: 'query', description: 'Display status, e.g. successful, waiting_response', schema: { type: 'string' } },
  { name: 'requester', in: 'query', description: 'Requester url_name', schema: { type: 'string' } },
  { name: 'from', in: 'query', description: 'Requests made on or after this date', schema: { type: 'string', format: 'date' } },
  { name: 'to', in: 'query', description: 'Requests made on or before this date', schema: { type: 'string', format: 'date' } },
  { name: 'type', in: 'query', description:
      'File type of a released document, e.g. pdf, docx, xlsx. With q: only document hits of that type. Without q: request hits, for the requests that have a document of that type',
    schema: { type: 'string' } },
  { name: 'exemption', in: 'query', description:
      'Only requests citing this exemption, in an authority message or a released document the site shows: a code such as "FOIA s40", "FOISA s38", "EIR 12(5)(e)" or "EIR 13", in any case (every code is listed at /exemptions)',
    schema: { type: 'string' } },
  { name: 'timeliness', in: 'query', description:
      "Only requests whose first reply since the law's clock started came within 20 working days (on_time) or after (late), or has not come, past the due date (overdue) or not (waiting); see /timeliness",
    schema: { type: 'string', enum: ['on_time', 'late', 'overdue', 'waiting'] } },
  { name: 'sort', in: 'query', description: 'relevance (default with words) or date (newest first)', schema: { type: 'string', enum: ['relevance', 'date'] } },
];

const pagingParameters = [
  { name: 'limit', in: 'query', description: 'In plain decimal digits', schema: { type: 'integer', minimum: 1, maximum: MAX_API_LIMIT, default: PAGE_SIZE } },
  { name: 'offset', in: 'query', description: 'In plain decimal digits', schema: { type: 'integer', minimum: 0, maximum: MAX_OFFSET, default: 0 } },
];

const idParameter = (name: string, description: string, pattern: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string', pattern },
});

// A backpage request's thread and attachments are answered with the site's own X-Robots-Tag, which these responses name.
const NOINDEX = 'X-Robots-Tag: noindex when the request is one the site keeps off its listings and search (backpage)';

const json = (schema: object, description: string) => ({ description, content: { 'application/json': { schema } } });
const errorResponse = (description: string) => json({ $ref: '#/components/schemas/Error' }, description);
// Any path can answer these, each as an Error object.
const commonErrors = {
  '401': errorResponse('A read token is required and was missing or wrong (only when the server has one); WWW-Authenticate names the scheme'),
  '405': errorResponse('Not GET or HEAD: the API is read-only; Allow lists the methods'),
  '500': errorResponse('The archive could not answer'),
  '503': errorResponse('The archive\'s database or object store is unavailable for a moment; Retry-After says when to try again'),
};

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'wdtk-archive',
    version: '1',
    description:
      'Read-only access to an archive of FOI request threads from an Alaveteli site (WhatDoTheyKnow): search, threads, released documents with provenance, and archival runs. Dates are ISO 8601 in UTC. When the server has a read token, send it as `Authorization: Bearer <token>`.',
  },
  servers: [{ url: '/' }],
  security: [{}, { bearerToken: [] }],
  paths: {
    '/api/search': {
      get: {
        summary: 'Ranked hits (requests and document pages) with highlighted snippets and facet counts',
        parameters: [...filterParameters, ...pagingParameters],
        responses: {
          '200': json({ $ref: '#/components/schemas/SearchResult' }, 'One page of hits'),
          '400': errorResponse('A malformed parameter: the error says what the parameter accepts'),
          ...commonErrors,
        },
      },
    },
    '/api/request/{idOrSlug}': {
      get: {
        summary: 'A request thread: metadata, messages, attachments with sha256, captures and change history',
        parameters: [idParameter('idOrSlug', "The site's numeric request id (as in /request/<id> on the site) or the request's url_title, current or earlier", '^[A-Za-z0-9_-]+$')],
        responses: {
          '200': json(
            {
              type: 'object',
              description: 'RequestDetail. Each authority message has `exemptions` (codes its text cites), each attachment `exemptions` ([{code, pages}], null until its text is extracted)',
              properties: {
                exemptionsCited: { type: 'array', items: { $ref: '#/components/schemas/ExemptionCitation' } },
                timeliness: { oneOf: [{ $ref: '#/components/schemas/RequestTimeliness' }, { type: 'null' }] },
              },
            },
            `The thread; ${NOINDEX}`,
          ),
          '404': errorResponse('Not archived'),
          '410': errorResponse('Removed from the site; the reason is given'),
          ...commonErrors,
        },
      },
    },
    '/api/attachment/{idOrSha256}': {
      get: {
        summary: 'An attachment with its blob and provenance (the capture it was fetched in: URL, time, status, headers)',
        parameters: [idParameter('idOrSha256', 'Attachment id or the sha256 of its content', '^([0-9]+|[0-9a-f]{64})$')],
        responses: {
          '200': json(
            {
              type: 'object',
              description: 'AttachmentDetail, with downloadUrl and textUrl',
              properties: {
                alsoReleasedIn: {
                  type: 'array',
                  description: 'The other public attachments with the same content (sha256), earliest message first, at most 100',
                  items: { $ref: '#/components/schemas/AttachmentCopy' },
                },
                alsoReleasedInMore: { type: 'integer', description: 'How many more public copies there are than alsoReleasedIn lists' },
                citation: {
                  type: ['string', 'null'],
                  description: 'A citation: who released it, when, in reply to which request (its address on the site), and the original address, retrieval time and sha256; null before the original is stored',
                },
                extraction: {
                  type: ['object', 'null'],
                  description: 'Where text extraction of the content stands; null before the content is stored',
                  properties: {
                    status: { type: 'string', enum: ['pending', 'running', 'done', 'failed'] },
                    attempts: { type: 'integer' },
                    error: { type: ['string', 'null'], description: 'Why the last attempt failed' },
                    finishedAt: { type: ['string', 'null'], format: 'date-time' },
                    warnings: { type: 'array', items: { type: 'string' }, description: 'What extraction noticed about the document' },
                  },
                },
              },
            },
            `The attachment; ${NOINDEX}`,
          ),
          '404': errorResponse('Not archived'),
          '410': errorResponse('No longer public: its request was removed from the site, or the site hides or removed the attachment or its message; the reason is given'),
          ...commonErrors,
        },
      },
    },
    '/api/attachment/{idOrSha256}/text': {
      get: {
        summary: 'The extracted text of an attachment, page by page',
        parameters: [idParameter('idOrSha256', 'Attachment id or sha256', '^([0-9]+|[0-9a-f]{64})$')],
        responses: {
          '200': json(
            { type: 'object', properties: { pages: { type: 'array', items: { type: 'object', properties: { number: { type: 'integer' }, text: { type: 'string' } } } } } },
            `Pages in order; ${NOINDEX}`,
          ),
          '404': errorResponse('Not archived'),
          '410': errorResponse('No longer public: its request was removed from the site, or the site hides or removed the attachment or its message; the reason is given'),
          ...commonErrors,
        },
      },
    },
    '/api/authority/{urlName}': {
      get: {
        summary: "An authority's archived requests, newest first, with counts by status",
        parameters: [idParameter('urlName', 'Authority url_name', '^[A-Za-z0-9_-]+$'), ...pagingParameters],
        responses: {
          '200': json(
            {
              type: 'object',
              properties: { exemptions: { $ref: '#/components/schemas/ExemptionTally' }, timeliness: { $ref: '#/components/schemas/TimelinessTally' } },
            },
            'Requests, status counts, the exemptions its listed requests cite and how promptly it answered them',
          ),
          '400': errorResponse('A malformed limit or offset'),
          '404': errorResponse('No such authority'),
          ...commonErrors,
        },
      },
    },
    '/api/exemptions': {
      get: {
        summary: 'How many of the listed, public requests cite each FOI or EI exemption, most cited first',
        responses: { '200': json({ $ref: '#/components/schemas/ExemptionTally' }, 'The tally'), ...commonErrors },
      },
    },
    '/api/timeliness': {
      get: {
        summary: 'How promptly the listed, public requests were first answered, against the 20 working days the law allows, and the same per authority',
        parameters: [
          { name: 'from', in: 'query', description: 'Requests made on or after this date', schema: { type: 'string', format: 'date' } },
          { name: 'to', in: 'query', description: 'Requests made on or before this date', schema: { type: 'string', format: 'date' } },
          { name: 'order', in: 'query', description: 'Authorities with the most requests first, or those most often late (answered late or not at all past the due date, of the requests due) first',
            schema: { type: 'string', enum: ['requests', 'late'], default: 'requests' } },
          { name: 'min', in: 'query', description: 'Only authorities with at least this many requests counted', schema: { type: 'integer', minimum: 1, default: 1 } },
          ...pagingParameters,
        ],
        responses: {
          '200': json(
            {
              allOf: [
                { $ref: '#/components/schemas/TimelinessTally' },
                {
                  type: 'object',
                  properties: {
                    total: { type: 'integer', description: 'Authorities with at least `min` requests' },
                    limit: { type: 'integer' },
                    offset: { type: 'integer' },
                    authorities: {
                      type: 'array',
                      items: {
                        allOf: [
                          { $ref: '#/components/schemas/TimelinessTally' },
                          { type: 'object', properties: { authority: { type: 'object', properties: { urlName: { type: 'string' }, name: { type: 'string' } } } } },
                        ],
                      },
                    },
                  },
                },
              ],
            },
            'The tally of all the requests counted, and one page of authorities',
          ),
          '400': errorResponse('A malformed order, min, date, limit or offset'),
          ...commonErrors,
        },
      },
    },
    '/api/runs': {
      get: {
        summary: 'Archival runs, most recent first, with their counters',
        parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } }],
        responses: {
          '200': json({ type: 'object', properties: { runs: { type: 'array', items: { type: 'object' } } } }, 'Runs'),
          '400': errorResponse('A malformed limit'),
          ...commonErrors,
        },
      },
    },
    '/attachment/{id}/download': {
      get: {
        summary: 'The original bytes exactly as fetched, under the original filename (always as a download)',
        parameters: [
          idParameter('id', 'Attachment id or sha256', '^([0-9]+|[0-9a-f]{64})$'),
          { name: 'Range', in: 'header', description: 'One byte range (bytes=first-last, bytes=first- or bytes=-suffix) to resume a download; several ranges get the whole file', schema: { type: 'string' } },
          { name: 'If-Range', in: 'header', description: 'The ETag the range belongs to; any other gets the whole file', schema: { type: 'string' } },
          { name: 'If-None-Match', in: 'header', description: 'ETags already held', schema: { type: 'string' } },
        ],
        responses: {
          '200': { description: `The original; X-Content-Sha256 names its sha256, the ETag is its quoted sha256; ${NOINDEX}`, content: { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } } },
          '206': { description: 'The byte range asked for; Content-Range places it in the original', content: { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } } },
          '304': { description: 'If-None-Match named this content: nothing sent' },
          '416': { description: 'The range starts past the end; Content-Range gives the size' },
          '404': { description: 'Not archived or not downloaded' },
          '410': { description: 'No longer public: its request was removed from the site, or the site hides or removed the attachment or its message' },
        },
      },
    },
    '/search.atom': {
      get: {
        summary: `Follow a search: an Atom 1.0 feed of its ${FEED_SIZE} newest matches by when they entered the archive`,
        description:
          'Requests by when they were first archived, documents by when their attachment was fetched: one entry per document however many of its pages match, linked to its first matching page. Without q, the newest requests and documents passing the filters; with type, documents only. Links are absolute, on the origin the feed was asked for. A feed reader that cannot send a header passes the read token as ?token=; the feed\'s own links never carry it.',
        parameters: filterParameters.filter((p) => p.name !== 'sort'),
        responses: {
          '200': { description: 'The feed, newest entry first', content: { 'application/atom+xml': { schema: { type: 'string' } } } },
          '400': { description: 'A malformed parameter: the page says what the parameter accepts' },
          '401': { description: 'A read token is required and was missing or wrong (only when the server has one)' },
        },
      },
    },
    '/export.csv': {
      get: {
        summary: 'The whole result set of a search as CSV, streamed',
        parameters: filterParameters,
        responses: { '200': { description: 'CSV with a header row', content: { 'text/csv': { schema: { type: 'string' } } } } },
      },
    },
    '/export.jsonl': {
      get: {
        summary: 'The whole result set of a search as JSON Lines, streamed',
        parameters: filterParameters,
        responses: { '200': { description: 'One JSON object per line', content: { 'application/x-ndjson': { schema: { type: 'string' } } } } },
      },
    },
  },
  components: {
    securitySchemes: { bearerToken: { type: 'http', scheme: 'bearer' } },
    schemas: {
      Error: { type: 'object', required: ['error'], properties: { error: { type: 'string' }, removedAt: { type: 'string' }, reason: { type: 'string' } } },
      AttachmentCopy: {
        type: 'object',
        description: 'The same document released in another request (or again in the same one)',
        properties: {
          id: { type: 'integer', description: 'Attachment id: its page is /attachment/{id}' },
          filename: { type: ['string', 'null'] },
          messageTime: { type: ['string', 'null'], description: 'When the message it came with was sent' },
          request: {
            type: 'object',
            properties: {
              id: { type: 'integer' },
              remoteId: { type: 'integer' },
              urlTitle: { type: 'string' },
              title: { type: 'string' },
              authority: { type: 'object', properties: { urlName: { type: 'string' }, name: { type: 'string' } } },
            },
          },
        },
      },
      ExemptionCitation: {
        type: 'object',
        description: 'An exemption the thread cites in what the site shows, and where',
        properties: {
          code: { type: 'string', description: 'e.g. FOIA s40, FOISA s38, EIR 12(5)(e)' },
          label: { type: 'string', description: "The heading the law gives it, e.g. Personal information" },
          sources: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                kind: { type: 'string', enum: ['message', 'document'] },
                eventId: { type: 'integer' },
                messageId: { type: 'integer' },
                time: { type: ['string', 'null'] },
                attachmentId: { type: 'integer' },
                filename: { type: ['string', 'null'] },
                pages: { type: 'array', items: { type: 'integer' } },
              },
            },
          },
        },
      },
      ExemptionTally: {
        type: 'object',
        properties: {
          requests: { type: 'integer', description: 'Requests counted' },
          citing: { type: 'integer', description: 'Of those, the requests citing at least one exemption' },
          exemptions: {
            type: 'array',
            items: { type: 'object', properties: { code: { type: 'string' }, label: { type: 'string' }, requests: { type: 'integer' } } },
          },
        },
      },
      TimelinessTally: {
        type: 'object',
        description:
          "Requests with a known sending time, by their first message from the authority (an acknowledgement counts) against the 20th working day after the day sent (UK bank holidays excluded, London's days)",
        properties: {
          requests: { type: 'integer' },
          replied: { type: 'integer', description: 'With a message from the authority, an acknowledgement included' },
          onTime: { type: 'integer', description: 'First message on or before the due date' },
          late: { type: 'integer', description: 'First message after the due date' },
          overdue: { type: 'integer', description: 'No message, and past the due date' },
          waiting: { type: 'integer', description: 'No message, not yet due' },
          medianWorkingDays: { type: ['integer', 'null'], description: 'Working days to the first message, of those replied to' },
          answered: { type: 'integer', description: 'With a message its requester classified as an answer: successful, partly successful, not held or refused' },
          answeredOnTime: { type: 'integer' },
          answeredLate: { type: 'integer' },
          medianAnswerWorkingDays: { type: ['integer', 'null'] },
          markedOverdue: { type: 'integer', description: "The site's own mark: still waiting for an answer past the due date" },
          markedVeryOverdue: { type: 'integer' },
          internalReviews: { type: 'integer', description: 'Requests whose requester asked for an internal review' },
        },
      },
      RequestTimeliness: {
        type: 'object',
        properties: {
          sentAt: { type: 'string', format: 'date-time' },
          sentOn: { type: 'string', format: 'date', description: "The day in London, the site's time zone" },
          clockStartedAt: { type: 'string', format: 'date-time', description: "When the law's clock last started, as the site counts: sent, resent, or clarified as the authority asked" },
          clockStartedOn: { type: 'string', format: 'date' },
          dueOn: { type: 'string', format: 'date', description: 'The 20th working day after the day the clock started' },
          firstResponseAt: { type: ['string', 'null'], format: 'date-time' },
          firstResponseOn: { type: ['string', 'null'], format: 'date' },
          responseWorkingDays: { type: ['integer', 'null'] },
          outcome: { type: 'string', enum: ['on_time', 'late', 'overdue', 'waiting'], description: 'By the first reply' },
          firstAnswerAt: { type: ['string', 'null'], format: 'date-time', description: 'The first message its requester classified as an answer' },
          firstAnswerOn: { type: ['string', 'null'], format: 'date' },
          answerWorkingDays: { type: ['integer', 'null'] },
          siteOverdue: { type: ['string', 'null'], enum: ['overdue', 'very_overdue', null] },
          internalReviewRequested: { type: 'boolean' },
        },
      },
      Facet: { type: 'object', properties: { key: { type: 'string' }, label: { type: 'string' }, count: { type: 'integer' } } },
      SearchHit: {
        type: 'object',
        properties: {
          kind: { type: 'string', enum: ['request', 'document'] },
          requestId: { type: 'integer' },
          remoteId: { type: 'integer' },
          urlTitle: { type: 'string' },
          title: { type: 'string' },
          authority: { type: 'object', properties: { urlName: { type: 'string' }, name: { type: 'string' } } },
          status: { type: 'string' },
          date: { type: ['string', 'null'] },
          rank: { type: 'number' },
          snippet: { type: 'string', description: 'HTML: text escaped, matches in <mark>' },
          snippetParts: { type: 'array', items: { type: 'object', properties: { text: { type: 'string' }, match: { type: 'boolean' } } } },
          attachment: {
            type: 'object',
            properties: { id: { type: 'integer' }, filename: { type: ['string', 'null'] }, sha256: { type: 'string' }, page: { type: 'integer' }, type: { type: ['string', 'null'] } },
          },
        },
      },
      SearchResult: {
        type: 'object',
        properties: {
          total: { type: 'integer', description: 'every match, or when totalIsEstimate a lower bound (show it as "10,000+")' },
          totalIsEstimate: { type: 'boolean', description: 'more matches than search counts exactly: total is that limit, facets count the matches seen' },
          limit: { type: 'integer' },
          offset: { type: 'integer' },
          hits: { type: 'array', items: { $ref: '#/components/schemas/SearchHit' } },
          facets: {
            type: 'object',
            properties: Object.fromEntries(['authority', 'status', 'type', 'year', 'exemption'].map((k) => [k, { type: 'array', items: { $ref: '#/components/schemas/Facet' } }])),
          },
        },
      },
    },
  },
} as const;
