import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { extract, FLOWING_PAGE_CHARS, sniffType, type ExtractResult } from '../../parsers/documents/index.js';

const docs = new URL('../../fixtures/docs/', import.meta.url);
const read = (name: string) => readFile(new URL(name, docs));
const allText = (result: ExtractResult): string => result.pages.map((page) => page.text).join('\n');

describe('real FOI sample documents', () => {
  it('reads psni.pdf page by page, with metadata and no page separators', async () => {
    const result = await extract(await read('psni.pdf'), { filename: 'psni.pdf' });
    expect(result.type).toBe('pdf');
    expect(result.mime).toBe('application/pdf');
    expect(result.pages.map((page) => page.number)).toEqual([1, 2]);
    expect(result.pages[0]!.text).toContain('Have the PSNI made payments to the charity Common Purpose?');
    expect(result.pages[1]!.text).toContain('Information Commissioner');
    expect(allText(result)).not.toMatch(/-- \d+ of \d+ --/);
    expect(result.metadata).toMatchObject({
      title: 'The Charity Common Purpose and the PSNI',
      producer: 'Acrobat Distiller 6.0 (Windows)',
      pageCount: 2,
      created: '2010-03-11T15:22:46.000Z',
    });
    expect(result.warnings).toEqual([]);
    expect(result.needsOcr).toBe(false);
  });

  it('reads the TfL appeal text and author', async () => {
    const result = await extract(await read('tfl.pdf'));
    expect(result.pages).toHaveLength(1);
    expect(result.pages[0]!.text).toContain('Your right to appeal');
    expect(result.pages[0]!.text).toContain('If you are dissatisfied with the way TfL has handled your information request');
    expect(result.metadata.author).toBe('williampettitt');
  });

  it('keeps UTF-8 characters in PDF text', async () => {
    const result = await extract(await read('pdf-with-utf8-characters.pdf'));
    expect(result.pages[0]!.text).toBe('PDF with UTF-8 Characters\n• \tOne\n• \tTwo\n• \tThree');
  });

  it('matches the page texts recorded in samples.expected.json', async () => {
    const expected = JSON.parse((await read('samples.expected.json')).toString('utf8')) as Record<string, { contentType: string; pages: string[] }>;
    for (const [name, { contentType, pages }] of Object.entries(expected)) {
      if (name === 'parrot.jpg') continue; // covered with and without OCR below
      const result = await extract(await read(name), { filename: name, contentType, ocr: false });
      expect(result.pages.map((page) => page.text), name).toEqual(pages);
      expect(result.mime.split(';')[0], name).toBe(contentType === 'application/rtf' ? 'application/rtf' : contentType);
    }
  });

  it('reads the body of interesting.pdf and interesting.rtf', async () => {
    for (const name of ['interesting.pdf', 'interesting.rtf']) {
      const result = await extract(await read(name), { filename: name });
      expect(allText(result), name).toContain('thisisthebody');
    }
  });

  it('drops script content from interesting.html', async () => {
    const result = await extract(await read('interesting.html'));
    expect(result.type).toBe('html');
    expect(allText(result)).toBe('dull');
    expect(allText(result)).not.toContain('interesting');
    expect(allText(result)).not.toContain('alert');
  });

  it('sniffs interesting.csv as CSV from its content', async () => {
    expect(await sniffType(await read('interesting.csv'))).toEqual({ type: 'csv', mime: 'text/csv' });
    const result = await extract(await read('interesting.csv'));
    expect(allText(result)).toBe('a,b\n1,2\n3,4');
  });

  it('reads RTF as text without font tables, and rtf-xss.rtf without its injected markup', async () => {
    const xss = await extract(await read('rtf-xss.rtf'), { filename: 'rtf-xss.rtf' });
    expect(xss.type).toBe('rtf');
    expect(allText(xss)).toBe('Hello\n\nHello');
    const empty = await extract(await read('empty.rtf'));
    expect(empty.pages).toEqual([{ number: 1, text: '' }]);
  });

  it('reports an empty file as empty, not as a failure', async () => {
    const result = await extract(await read('empty.txt'), { filename: 'empty.txt' });
    expect(result.type).toBe('empty');
    expect(result.pages).toEqual([]);
    expect(result.warnings).toEqual(['empty file: no text']);
  });

  it('reads the 15.7 MB FOI.txt inside example.zip with the text capped and a warning', async () => {
    const result = await extract(await read('example.zip'), { filename: 'example.zip', limits: { maxTextChars: 2_000_000 } });
    expect(result.type).toBe('zip');
    expect(result.children).toHaveLength(1);
    const foi = result.children[0]!;
    expect(foi.name).toBe('FOI.txt');
    expect(foi.type).toBe('csv');
    expect(foi.pages[0]!.text.startsWith('"Date","Time","Contravention","Location"')).toBe(true);
    expect(foi.pages[0]!.text).toContain('Parked in a restricted street during proscribed hours.');
    // Pages of whole lines, each small enough to be indexed in full.
    expect(foi.pages.every((page) => page.text.length <= FLOWING_PAGE_CHARS)).toBe(true);
    expect(foi.pages.slice(0, -1).every((page) => page.text.endsWith('"'))).toBe(true);
    expect(foi.pages.map((page) => page.number)).toEqual(foi.pages.map((_, index) => index + 1));
    expect(foi.pages.reduce((sum, page) => sum + page.text.length, 0)).toBeLessThanOrEqual(2_000_000);
    expect(foi.pages.reduce((sum, page) => sum + page.text.length, 0)).toBeGreaterThan(1_999_000);
    expect(foi.warnings.join('\n')).toMatch(/text capped at 2000000 characters/);
  });

  it('reads all of example.zip under the default limits', async () => {
    const result = await extract(await read('example.zip'));
    const characters = result.children[0]!.pages.reduce((sum, page) => sum + page.text.length, 0);
    expect(characters).toBeGreaterThan(9_990_000);
    expect(characters).toBeLessThanOrEqual(10_000_000);
    expect(result.children[0]!.warnings.some((warning) => warning.startsWith('text capped'))).toBe(true);
  });

  it('marks the image-only cat.pdf: OCR runs when tesseract is available, needsOcr otherwise', async () => {
    const bytes = await read('cat.pdf');
    const withoutOcr = await extract(bytes, { ocr: false });
    expect(withoutOcr.needsOcr).toBe(true);
    expect(withoutOcr.pages).toEqual([{ number: 1, text: '' }]);
    expect(withoutOcr.warnings.join('\n')).toMatch(/no text layer/);
    const withDefault = await extract(bytes);
    if (withDefault.ocr) {
      // A photo of a cat: OCR runs and honestly finds nothing, which is said.
      expect(withDefault.needsOcr).toBe(false);
      expect(withDefault.warnings.join('\n')).toMatch(/OCR found no text/);
    } else {
      expect(withDefault.needsOcr).toBe(true);
    }
  });

  it('treats parrot.jpg and parrot.png as images needing OCR when OCR is off', async () => {
    for (const name of ['parrot.jpg', 'parrot.png']) {
      const result = await extract(await read(name), { filename: name, ocr: false });
      expect(result.type, name).toBe('image');
      expect(result.mime, name).toBe(name.endsWith('jpg') ? 'image/jpeg' : 'image/png');
      expect(result.needsOcr, name).toBe(true);
      expect(result.pages, name).toEqual([]);
      expect(result.warnings.join('\n'), name).toMatch(/OCR is off or tesseract is not installed/);
    }
  });
});
