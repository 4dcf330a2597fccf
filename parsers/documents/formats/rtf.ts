import iconv from 'iconv-lite';
import type { ExtractContext } from '../context.js';
import type { ExtractResult } from '../types.js';

// A small RTF-to-text reader: the npm RTF libraries either render HTML (where font names like
// rtf-xss.rtf's `Gill"><script>` would ride along) or return a document tree; we only need the visible text.

/** Destinations whose content is never visible text. */
const HIDDEN_DESTINATIONS = new Set([
  'fonttbl', 'colortbl', 'stylesheet', 'pict', 'object', 'objdata', 'fldinst', 'themedata', 'colorschememapping',
  'latentstyles', 'datastore', 'xmlnstbl', 'listtable', 'listoverridetable', 'rsidtbl', 'generator', 'filetbl',
  'revtbl', 'pgdsctbl', 'private', 'mmathPr', 'wgrffmtfilter', 'shppict', 'nonshppict', 'header', 'footer',
  'headerl', 'headerr', 'headerf', 'footerl', 'footerr', 'footerf', 'comment', 'keywords', 'doccomm', 'operator',
  'company', 'category', 'manager', 'hlinkbase', 'buptim', 'printim', 'creatim', 'revtim', 'userprops', 'info',
]);
const METADATA_DESTINATIONS = new Set(['title', 'author', 'subject']);

const SYMBOLS: Record<string, string> = {
  par: '\n', line: '\n', sect: '\n', page: '\n', row: '\n', tab: '\t', cell: '\t',
  emdash: '\u2014', endash: '\u2013', bullet: '\u2022', lquote: '\u2018', rquote: '\u2019',
  ldblquote: '\u201c', rdblquote: '\u201d', emspace: ' ', enspace: ' ', qmspace: ' ',
};

interface GroupState {
  sink: string;
  hidden: boolean;
  unicodeSkip: number;
}

export function rtfToText(bytes: Uint8Array): { text: string; metadata: Record<string, string> } {
  const source = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const sinks = new Map<string, string[]>([['body', []]]);
  let codepage = 'windows-1252';
  let pendingBytes: number[] = [];
  let pendingUnits: number[] = [];
  let state: GroupState = { sink: 'body', hidden: false, unicodeSkip: 1 };
  const stack: GroupState[] = [];
  let skipChars = 0;
  let groupStart = false;

  const flush = () => {
    if (pendingBytes.length > 0) {
      emitText(iconv.decode(Buffer.from(pendingBytes), iconv.encodingExists(codepage) ? codepage : 'windows-1252'));
      pendingBytes = [];
    }
    if (pendingUnits.length > 0) {
      emitText(String.fromCharCode(...pendingUnits));
      pendingUnits = [];
    }
  };
  const emitText = (text: string) => {
    if (state.hidden) return;
    let sink = sinks.get(state.sink);
    if (!sink) sinks.set(state.sink, (sink = []));
    sink.push(text);
  };
  const emitByte = (byte: number) => {
    if (skipChars > 0) {
      skipChars--;
      return;
    }
    if (state.hidden) return;
    if (pendingUnits.length > 0) flush();
    pendingBytes.push(byte);
  };

  let i = 0;
  while (i < source.length) {
    const char = source[i]!;
    if (char === '{') {
      flush();
      stack.push(state);
      state = { ...state };
      groupStart = true;
      i++;
      continue;
    }
    if (char === '}') {
      flush();
      state = stack.pop() ?? state;
      skipChars = 0;
      i++;
      continue;
    }
    const atGroupStart = groupStart;
    groupStart = false;
    if (char === '\r' || char === '\n') {
      i++;
      continue;
    }
    if (char !== '\\') {
      emitByte(source.charCodeAt(i));
      i++;
      continue;
    }
    const next = source[i + 1];
    if (next === undefined) break;
    if (next === "'") {
      const hex = parseInt(source.slice(i + 2, i + 4), 16);
      if (!Number.isNaN(hex)) emitByte(hex);
      i += 4;
      continue;
    }
    if (next === '*') {
      flush();
      state.hidden = true;
      i += 2;
      continue;
    }
    if (!/[a-zA-Z]/.test(next)) {
      i += 2;
      if (next === '\\' || next === '{' || next === '}') emitByte(next.charCodeAt(0));
      else if (next === '~') emitByte(0xa0);
      else if (next === '_') emitByte(0x2d);
      else if (next === '\n' || next === '\r') emitSymbol('\n');
      continue;
    }
    const match = /^([a-zA-Z]{1,32})(-?\d{1,10})? ?/.exec(source.slice(i + 1, i + 48))!;
    i += 1 + match[0].length;
    const word = match[1]!;
    const param = match[2] === undefined ? undefined : Number(match[2]);
    if (word === 'bin') {
      i += Math.max(0, param ?? 0);
      continue;
    }
    if (word === 'u' && param !== undefined) {
      if (skipChars > 0) skipChars = 0;
      if (!state.hidden) {
        if (pendingBytes.length > 0) flush();
        pendingUnits.push(param < 0 ? param + 65536 : param);
        if (pendingUnits.length >= 4096) flush();
      }
      skipChars = state.unicodeSkip;
      continue;
    }
    skipChars = 0;
    if (word === 'uc' && param !== undefined) state.unicodeSkip = Math.min(param, 4);
    else if (word === 'ansicpg' && param !== undefined) codepage = `cp${param}`;
    else if (word === 'mac') codepage = 'macintosh';
    else if (atGroupStart && HIDDEN_DESTINATIONS.has(word)) {
      flush();
      state.hidden = true;
    } else if (atGroupStart && METADATA_DESTINATIONS.has(word)) {
      flush();
      state.sink = word;
      state.hidden = false;
    } else if (word in SYMBOLS) emitSymbol(SYMBOLS[word]!);
  }
  flush();

  function emitSymbol(symbol: string) {
    flush();
    emitText(symbol);
  }

  const text = sinks
    .get('body')!
    .join('')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  const metadata: Record<string, string> = {};
  for (const name of METADATA_DESTINATIONS) {
    const value = sinks.get(name)?.join('').trim();
    if (value) metadata[name] = value;
  }
  return { text, metadata };
}

export function extractRtf(bytes: Uint8Array, ctx: ExtractContext, result: ExtractResult): void {
  const { text, metadata } = rtfToText(bytes);
  Object.assign(result.metadata, metadata);
  ctx.addText(result, text);
}
