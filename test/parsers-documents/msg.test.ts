import { describe, expect, it } from 'vitest';
import { extract, sniffType } from '../../parsers/documents/index.js';
import { buildMsg, type MsgMessage } from './msg-builder.js';
import { textPdf } from './pdf-builder.js';

const reply: MsgMessage = {
  subject: 'FOI 2024/117: your request for information',
  body: 'Dear Ms Example,\r\n\r\nPlease find our response attached.\r\n\r\nFOI Team\r\n',
  senderName: 'FOI Team',
  senderEmail: 'foi@council.example.gov.uk',
  recipients: [
    { name: 'Jane Example', email: 'request-117-abc@whatdotheyknow.com' },
    { name: 'records@council.example.gov.uk', email: 'records@council.example.gov.uk' },
  ],
  attachments: [
    { filename: 'Response letter.pdf', data: textPdf([['Response to request 117'], ['Annex A: spending 2023']]), mimeType: 'application/pdf' },
    { filename: 'Réponse – données.txt', data: Buffer.from('Données demandées : 42 €\n') },
  ],
  sentAt: new Date('2024-03-05T10:20:30Z'),
};

describe('Outlook MSG', () => {
  it('reads body, subject, sender, recipients, date and attachments, whatever the name and content type say', async () => {
    const bytes = buildMsg(reply);
    expect(await sniffType(bytes)).toEqual({ type: 'msg', mime: 'application/vnd.ms-outlook' });

    const result = await extract(bytes, { filename: 'reply.txt', contentType: 'text/plain', ocr: false });
    expect(result.type).toBe('msg');
    expect(result.warnings).toEqual(['the filename extension .txt says txt and the content type text/plain says txt, but the content is msg']);
    expect(result.pages).toEqual([{ number: 1, text: 'Dear Ms Example,\n\nPlease find our response attached.\n\nFOI Team' }]);
    expect(result.metadata).toEqual({
      subject: 'FOI 2024/117: your request for information',
      title: 'FOI 2024/117: your request for information',
      from: 'FOI Team <foi@council.example.gov.uk>',
      to: 'Jane Example <request-117-abc@whatdotheyknow.com>, records@council.example.gov.uk',
      date: '2024-03-05T10:20:30.000Z',
    });
    expect(result.needsOcr).toBe(false);

    expect(result.children.map((child) => [child.name, child.type, child.warnings])).toEqual([
      ['Response letter.pdf', 'pdf', []],
      ['Réponse – données.txt', 'txt', []],
    ]);
    expect(result.children[0]!.pages.map((page) => page.text)).toEqual(['Response to request 117', 'Annex A: spending 2023']);
    expect(result.children[0]!.metadata.pageCount).toBe(2);
    expect(result.children[1]!.pages).toEqual([{ number: 1, text: 'Données demandées : 42 €' }]);
  });

  it('reads an MSG that is a view into a larger buffer, as an attachment cut out of another file is', async () => {
    const bytes = buildMsg(reply);
    const padding = Buffer.alloc(4096, 0x2a);
    const view = Buffer.concat([padding, bytes, padding]).subarray(padding.length, padding.length + bytes.length);
    const result = await extract(view, { ocr: false });
    expect(result.warnings).toEqual([]);
    expect(result.metadata.subject).toBe(reply.subject);
    expect(result.children).toHaveLength(2);
  });

  it('reads an MSG without attachments or recipients', async () => {
    const result = await extract(buildMsg({ subject: 'Acknowledgement', body: 'We have received your request.', senderName: 'FOI Team', senderEmail: 'foi@council.example.gov.uk' }));
    expect(result.pages).toEqual([{ number: 1, text: 'We have received your request.' }]);
    expect(result.metadata).toEqual({ subject: 'Acknowledgement', title: 'Acknowledgement', from: 'FOI Team <foi@council.example.gov.uk>' });
    expect(result.children).toEqual([]);
  });

  it('says a truncated MSG is truncated, wherever it was cut, and extracts nothing from it', async () => {
    const bytes = buildMsg(reply);
    for (const length of [100, 600, 2048, Math.floor(bytes.length / 2), bytes.length - 600]) {
      const result = await extract(bytes.subarray(0, length), { filename: 'reply.msg', ocr: false });
      expect(['msg', 'cfb'], `${length} bytes`).toContain(result.type);
      expect(result.warnings.at(-1), `${length} bytes`).toMatch(
        /^(unreadable MSG, damaged container|damaged OLE compound file): truncated: (\d+ bytes, less than the 512-byte header|it refers to \d+ sectors of 512 bytes and holds \d+)$/,
      );
      expect(result.pages, `${length} bytes`).toEqual([]);
      expect(result.children, `${length} bytes`).toEqual([]);
    }
  });

  it('refuses an MSG whose directory loops back on itself instead of hanging', async () => {
    const bytes = buildMsg(reply);
    const directory = (bytes.readUInt32LE(0x30) + 1) * 512;
    const looped = Buffer.from(bytes);
    // The first entry after the root names itself as its right sibling.
    looped.writeUInt32LE(1, directory + 128 + 0x48);
    const result = await extract(looped, { ocr: false, timeoutMs: 5_000 });
    expect(result.type).toBe('msg');
    expect(result.warnings).toEqual(['unreadable MSG, damaged container: the directory loops: entry 1 is reached twice']);
  });
});
