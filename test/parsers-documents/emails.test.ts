import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { extract } from '../../parsers/documents/index.js';

const emails = new URL('../../fixtures/docs/emails/', import.meta.url);
const extractEmail = async (name: string) => extract(await readFile(new URL(name, emails)), { filename: name, ocr: false });

describe('emails (real Alaveteli fixtures)', () => {
  it('reads the body, headers and a PDF attachment with a wrong content type', async () => {
    const result = await extractEmail('document-pdf.eml');
    expect(result.type).toBe('eml');
    expect(result.pages[0]!.text).toContain('Here\'s a PDF attachment which has a document/pdf content-type');
    expect(result.metadata).toMatchObject({
      subject: 'testing a PDF attachment with the wrong content-type',
      from: '"Test Authority" <authority@example.org>',
      to: 'requester@example.org',
      date: '2013-12-03T11:12:45.000Z',
    });
    expect(result.children).toHaveLength(1);
    expect(result.children[0]).toMatchObject({ name: 'tiny-example.pdf', type: 'pdf' });
    expect(result.children[0]!.pages[0]!.text).toBe('Hello!');
  });

  it('opens the TNEF winmail.dat and the Word documents inside it', async () => {
    const result = await extractEmail('incoming-request-tnef-attachments.eml');
    expect(result.pages[0]!.text).toBe('Message body');
    const tnef = result.children[0]!;
    expect(tnef).toMatchObject({ name: 'winmail.dat', type: 'tnef' });
    expect(tnef.metadata.subject).toBe('FOI Request F-2009-02976Full Response (NOT PROTECTIVELY MARKED - NO DESCRIPTOR)');
    expect(tnef.pages[0]!.text).toContain('Our Ref:F-2009-02976');
    expect(tnef.children.map((child) => [child.name, child.type])).toEqual([
      ['FOI 09-02976i.doc', 'doc'],
      ['FOI 09-02976iii.doc', 'doc'],
    ]);
    expect(tnef.children[0]!.pages[0]!.text).toContain('Actions Arising from a Meeting of the Chief Officer Group');
    expect(tnef.children[1]!.pages[0]!.text).toContain('Minutes of Chief Officer Group Meeting');
    // From each document's \x05SummaryInformation; `file` (libmagic) reads the same values.
    expect(tnef.children.map((child) => child.metadata)).toEqual([
      {
        title: 'Actions Arising From Chief Officer Group Meeting',
        author: 'HWari',
        producer: 'Microsoft Office Word',
        created: '2009-12-02T12:56:00.000Z',
        modified: '2009-12-02T12:56:00.000Z',
        pageCount: 1,
      },
      {
        title: 'Minutes of D Division Senior Management Team Meeting',
        author: 'Humberside Police Authority',
        producer: 'Microsoft Office Word',
        created: '2009-12-02T13:00:00.000Z',
        modified: '2009-12-02T13:00:00.000Z',
        pageCount: 1,
      },
    ]);
    expect(tnef.children.flatMap((child) => child.warnings)).toEqual([]);
  });

  it('keeps attachment names that are not UTF-8, and says when an attachment is not what it claims', async () => {
    const result = await extractEmail('non-utf8-filename.eml');
    expect(result.pages[0]!.text).toBe('Some text');
    expect(result.children.map((child) => child.name)).toEqual(['RV %A312000 or more.xls', 'other.xls']);
    for (const child of result.children) {
      expect(child.type).toBe('unknown');
      expect(child.warnings.join('\n')).toMatch(/the filename extension \.xls says xls .* but the content is unknown/);
    }
  });

  it('survives broken MIME: a missing final boundary and a prematurely ended nested message', async () => {
    const noFinalBoundary = await extractEmail('multipart-no-final-boundary.eml');
    expect(noFinalBoundary.pages[0]!.text).toContain('leaves out the final MIME boundary');
    const premature = await extractEmail('nested-attachments-premature-end.eml');
    expect(premature.pages[0]!.text).toContain('Please find some information attached.');
    expect(premature.children[0]).toMatchObject({ name: 'attached-message-1.eml', type: 'eml' });
    expect(premature.children[0]!.pages[0]!.text).toContain('Please could you let me know, um, whatever');
  });

  it('decodes a uuencoded Word attachment left inline in the body', async () => {
    const result = await extractEmail('incoming-request-bad-uuencoding-2.eml');
    expect(result.pages[0]!.text).toContain('A reply is attached.');
    expect(result.pages[0]!.text).not.toMatch(/^begin 666/m);
    expect(result.children[0]).toMatchObject({ name: 'ResponseT5741 15.doc', type: 'doc' });
    expect(result.children[0]!.pages[0]!.text).toContain('Mr Tom Young');
    expect(result.children[0]!.metadata).toMatchObject({ created: '2015-05-29T17:18:00.000Z', pageCount: 2, producer: 'Microsoft Office Word' });
  });

  it('extracts forwarded messages recursively, and reports empty or truncated attachments', async () => {
    const result = await extractEmail('many-attachments-date-header.eml');
    expect(result.children).toHaveLength(9);
    expect(result.children.every((child) => child.type === 'eml')).toBe(true);
    expect(result.children[1]!.metadata.subject).toBe('example');
    const nested = result.children[1]!.children;
    expect(nested.map((child) => child.name)).toEqual(['image001.gif', 'participant list.xls']);
    expect(nested.every((child) => child.type === 'empty' && child.warnings.includes('empty file: no text'))).toBe(true);
  });

  it('reads a message with more than a thousand attachments, body and all', async () => {
    const parts = Array.from({ length: 1_200 }, (_, i) =>
      `--part\r\nContent-Type: text/plain; name="page-${i}.txt"\r\nContent-Disposition: attachment; filename="page-${i}.txt"\r\n\r\nScanned page ${i}\r\n`,
    );
    const message = [
      'From: foi@council.example.gov.uk\r\nTo: requester@example.org\r\nSubject: Your request\r\nMIME-Version: 1.0\r\n',
      'Content-Type: multipart/mixed; boundary="part"\r\n\r\n',
      '--part\r\nContent-Type: text/plain\r\n\r\nPlease find the scanned pages attached.\r\n',
      ...parts,
      '--part--\r\n',
    ].join('');
    const result = await extract(Buffer.from(message), { filename: 'reply.eml', ocr: false });
    expect(result.warnings).toEqual([]);
    expect(result.pages[0]!.text).toBe('Please find the scanned pages attached.');
    expect(result.children).toHaveLength(1_200);
    expect(result.children[1_199]!.pages[0]!.text).toBe('Scanned page 1199');
  });

  it('keeps two attachments with the same name apart', async () => {
    const result = await extractEmail('incoming-request-two-same-name.eml');
    expect(result.children.map((child) => [child.name, child.pages[0]!.text])).toEqual([
      ['hello-world.txt', 'Second hello'],
      ['hello-world.txt', 'First hello'],
    ]);
  });

  it('sniffs an attachment with an unknown extension from its content', async () => {
    const result = await extractEmail('incoming-request-attachment-unknown-extension.eml');
    expect(result.children[0]).toMatchObject({ name: 'hello.qwglhm', type: 'txt', warnings: [] });
    expect(result.children[0]!.pages[0]!.text).toBe('This is an unusual sort of file.');
  });

  it('decodes encoded headers and ISO-8859-1 bodies, and converts HTML-only mail to text', async () => {
    const latin = await extractEmail('quoted-subject-iso8859-1.eml');
    expect(latin.metadata.subject).toBe('Câmara Responde:  Banco de ideias');
    expect(latin.pages[0]!.text).toContain('O Centro de Documentação e Informação (Cedi) da Câmara dos Deputados');
    expect(latin.children[0]).toMatchObject({ name: 'image001.png', type: 'image', needsOcr: true });
    const russian = await extractEmail('russian.eml');
    expect(russian.metadata.subject).toBe('Re: Ваш сайт');
  });

  it('reads an attached rfc822 message, and mail with no body', async () => {
    const rfc822 = await extractEmail('rfc822-attachment.eml');
    expect(rfc822.children[0]!.metadata.subject).toBe('Freedom of Information request');
    expect(rfc822.children[0]!.pages[0]!.text).toBe('some example text');
    const noBody = await extractEmail('no-body.eml');
    expect(noBody.pages).toEqual([{ number: 1, text: '' }]);
    expect(noBody.children[0]!.name).toBe('test.xlsx');
  });

  it('reads the quoting examples', async () => {
    for (const name of ['lotus-notes-quoting.eml', 'forward-quoting-example-2.eml', 'track-response-outlook-oof.eml']) {
      const result = await extractEmail(name);
      expect(result.type, name).toBe('eml');
      expect(result.pages[0]!.text.length, name).toBeGreaterThan(20);
    }
    expect((await extractEmail('track-response-outlook-oof.eml')).pages[0]!.text).toContain('I am currently out of the office');
  });
});
