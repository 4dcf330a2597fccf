import { withoutControlCharacters } from './controls.js';
import { PageKindError } from './errors.js';

/** `[name, value]` tag pairs; machine tags carry a value, plain tags null. */
export type Tag = [name: string, value: string | null];

export interface UserJson {
  id: number;
  urlName: string;
  name: string;
  banText?: string;
  aboutMe?: string;
}

export interface BodyInfo {
  requestsCount?: number;
  requestsSuccessfulCount?: number;
  requestsNotHeldCount?: number;
  requestsOverdueCount?: number;
  requestsVisibleClassifiedCount?: number;
}

export interface BodyJson {
  id: number;
  urlName: string;
  name: string;
  shortName?: string;
  createdAt?: string;
  updatedAt?: string;
  homePage?: string;
  notes?: string;
  publicationScheme?: string;
  disclosureLog?: string;
  tags: Tag[];
  info?: BodyInfo;
}

export interface RequestJsonEvent {
  id: number;
  eventType: string;
  createdAt?: string;
  describedState: string | null;
  calculatedState: string | null;
  lastDescribedAt: string | null;
  incomingMessageId: number | null;
  outgoingMessageId: number | null;
  commentId: number | null;
  /** Only on message events: "Response", a status label, or "Follow up" and the like. */
  displayStatus?: string;
}

export interface RequestJson {
  id: number;
  urlTitle: string;
  title: string;
  createdAt?: string;
  updatedAt?: string;
  /** Raw stored state, not overdue-adjusted. */
  describedState?: string;
  displayStatus?: string;
  awaitingDescription?: boolean;
  prominence?: string;
  lawUsed?: string;
  tags: Tag[];
  /** Null for external (API-created) requests, which carry `externalUserName` instead. */
  user: UserJson | null;
  externalUserName?: string | null;
  publicBody: BodyJson | null;
  events: RequestJsonEvent[];
}

export type WithWarnings<T> = T & { warnings: string[] };

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON.parse, with each control character in a string read as U+FFFD, as the page parser reads one. */
export function parseJsonText(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown) => (typeof value === 'string' ? withoutControlCharacters(value) : value));
}

function parseObject(text: string, expected: string): JsonObject {
  let value: unknown;
  try {
    value = parseJsonText(text);
  } catch (error) {
    throw new PageKindError(expected, `invalid JSON (${(error as Error).message})`);
  }
  if (!isObject(value)) throw new PageKindError(expected, 'JSON is not an object');
  return value;
}

/** Reads fields with type checks, recording every mismatch as a warning under a path. */
class FieldReader {
  constructor(
    private readonly object: JsonObject,
    private readonly path: string,
    private readonly warnings: string[],
  ) {}

  private typed<T>(key: string, check: (value: unknown) => value is T, type: string): T | undefined {
    const value = this.object[key];
    if (value === undefined) return undefined;
    if (check(value)) return value;
    this.warnings.push(`${this.path}.${key}: expected ${type}, got ${JSON.stringify(value)}`);
    return undefined;
  }

  string(key: string): string | undefined {
    return this.typed(key, (v): v is string => typeof v === 'string', 'a string');
  }

  number(key: string): number | undefined {
    return this.typed(key, (v): v is number => typeof v === 'number' && Number.isFinite(v), 'a number');
  }

  boolean(key: string): boolean | undefined {
    return this.typed(key, (v): v is boolean => typeof v === 'boolean', 'a boolean');
  }

  nullableString(key: string): string | null {
    return this.object[key] === null ? null : (this.string(key) ?? null);
  }

  nullableNumber(key: string): number | null {
    return this.object[key] === null ? null : (this.number(key) ?? null);
  }

  child(key: string): FieldReader | undefined {
    const value = this.object[key];
    if (value === undefined || value === null) return undefined;
    if (isObject(value)) return new FieldReader(value, `${this.path}.${key}`, this.warnings);
    this.warnings.push(`${this.path}.${key}: expected an object`);
    return undefined;
  }

  array(key: string): unknown[] {
    const value = this.object[key];
    if (value === undefined || value === null) return [];
    if (Array.isArray(value)) return value;
    this.warnings.push(`${this.path}.${key}: expected an array`);
    return [];
  }

  item(value: unknown, index: number, key: string): FieldReader | undefined {
    if (isObject(value)) return new FieldReader(value, `${this.path}.${key}[${index}]`, this.warnings);
    this.warnings.push(`${this.path}.${key}[${index}]: expected an object`);
    return undefined;
  }

  has(key: string): boolean {
    return key in this.object;
  }
}

function assign<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

function readTags(reader: FieldReader, warnings: string[]): Tag[] {
  const tags: Tag[] = [];
  for (const tag of reader.array('tags')) {
    if (Array.isArray(tag) && typeof tag[0] === 'string' && (typeof tag[1] === 'string' || tag[1] == null)) {
      tags.push([tag[0], tag[1] ?? null]);
    } else {
      warnings.push(`tags: unreadable tag ${JSON.stringify(tag)}`);
    }
  }
  return tags;
}

function readUser(reader: FieldReader): UserJson | undefined {
  const id = reader.number('id');
  const urlName = reader.string('url_name');
  const name = reader.string('name');
  if (id === undefined || urlName === undefined || name === undefined) return undefined;
  const user: UserJson = { id, urlName, name };
  assign(user, 'banText', reader.string('ban_text'));
  assign(user, 'aboutMe', reader.string('about_me'));
  return user;
}

const bodyInfoKeys: [keyof BodyInfo, string][] = [
  ['requestsCount', 'requests_count'],
  ['requestsSuccessfulCount', 'requests_successful_count'],
  ['requestsNotHeldCount', 'requests_not_held_count'],
  ['requestsOverdueCount', 'requests_overdue_count'],
  ['requestsVisibleClassifiedCount', 'requests_visible_classified_count'],
];

function readBody(reader: FieldReader, warnings: string[]): BodyJson | undefined {
  const id = reader.number('id');
  const urlName = reader.string('url_name');
  const name = reader.string('name');
  if (id === undefined || urlName === undefined || name === undefined) return undefined;
  const body: BodyJson = { id, urlName, name, tags: readTags(reader, warnings) };
  assign(body, 'shortName', reader.string('short_name'));
  assign(body, 'createdAt', reader.string('created_at'));
  assign(body, 'updatedAt', reader.string('updated_at'));
  assign(body, 'homePage', reader.string('home_page'));
  assign(body, 'notes', reader.string('notes'));
  assign(body, 'publicationScheme', reader.string('publication_scheme'));
  assign(body, 'disclosureLog', reader.string('disclosure_log'));
  const infoReader = reader.child('info');
  if (infoReader) {
    const info: BodyInfo = {};
    for (const [field, key] of bodyInfoKeys) assign(info, field, infoReader.number(key));
    body.info = info;
  }
  return body;
}

function readEvent(reader: FieldReader): RequestJsonEvent | undefined {
  const id = reader.number('id');
  const eventType = reader.string('event_type');
  if (id === undefined || eventType === undefined) return undefined;
  const event: RequestJsonEvent = {
    id,
    eventType,
    describedState: reader.nullableString('described_state'),
    calculatedState: reader.nullableString('calculated_state'),
    lastDescribedAt: reader.nullableString('last_described_at'),
    incomingMessageId: reader.nullableNumber('incoming_message_id'),
    outgoingMessageId: reader.nullableNumber('outgoing_message_id'),
    commentId: reader.nullableNumber('comment_id'),
  };
  assign(event, 'createdAt', reader.string('created_at'));
  assign(event, 'displayStatus', reader.string('display_status'));
  return event;
}

/** `/request/<url_title>.json` (§4.1). Throws PageKindError when the text is not a request object. */
export function parseRequestJson(text: string): WithWarnings<RequestJson> {
  const warnings: string[] = [];
  const reader = new FieldReader(parseObject(text, 'request JSON'), 'request', warnings);
  const id = reader.number('id');
  const urlTitle = reader.string('url_title');
  if (id === undefined || urlTitle === undefined) {
    throw new PageKindError('request JSON', 'no numeric "id" and "url_title"');
  }
  const userReader = reader.child('user');
  const user = userReader ? readUser(userReader) : undefined;
  if (userReader && !user) warnings.push('request.user: missing id, url_name or name');
  const bodyReader = reader.child('public_body');
  const publicBody = bodyReader ? readBody(bodyReader, warnings) : undefined;
  if (!publicBody) warnings.push('request.public_body: missing or unreadable');

  const events: RequestJsonEvent[] = [];
  reader.array('info_request_events').forEach((value, index) => {
    const eventReader = reader.item(value, index, 'info_request_events');
    const event = eventReader && readEvent(eventReader);
    if (event) events.push(event);
    else warnings.push(`request.info_request_events[${index}]: missing id or event_type`);
  });

  const title = reader.string('title') ?? '';
  if (!title) warnings.push('request.title: missing');
  const request: WithWarnings<RequestJson> = {
    id,
    urlTitle,
    title,
    tags: readTags(reader, warnings),
    user: user ?? null,
    publicBody: publicBody ?? null,
    events,
    warnings,
  };
  assign(request, 'createdAt', reader.string('created_at'));
  assign(request, 'updatedAt', reader.string('updated_at'));
  assign(request, 'describedState', reader.string('described_state'));
  assign(request, 'displayStatus', reader.string('display_status'));
  assign(request, 'awaitingDescription', reader.boolean('awaiting_description'));
  assign(request, 'prominence', reader.string('prominence'));
  assign(request, 'lawUsed', reader.string('law_used'));
  if (reader.has('user_name')) request.externalUserName = reader.nullableString('user_name');
  return request;
}

/** `/body/<url_name>.json` (§4.2). */
export function parseBodyJson(text: string): WithWarnings<BodyJson> {
  const warnings: string[] = [];
  const body = readBody(new FieldReader(parseObject(text, 'authority JSON'), 'body', warnings), warnings);
  if (!body) throw new PageKindError('authority JSON', 'no "id", "url_name" and "name"');
  return { ...body, warnings };
}

/** `/user/<url_name>.json` (§4.3). */
export function parseUserJson(text: string): WithWarnings<UserJson> {
  const warnings: string[] = [];
  const user = readUser(new FieldReader(parseObject(text, 'user JSON'), 'user', warnings));
  if (!user) throw new PageKindError('user JSON', 'no "id", "url_name" and "name"');
  return { ...user, warnings };
}
