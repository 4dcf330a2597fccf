import { expect, test } from 'vitest';
import { runScript } from '../helpers/cli.js';

test('each format library loads with the first document that needs it', async () => {
  // A process of its own: this one has loaded them all already (the other tests).
  const script = `
    import { createRequire } from 'node:module';
    const { extract } = await import('./parsers/documents/extract.ts');
    const { generateDocument } = await import('./fixtures/site/documents/index.ts');
    const cache = createRequire(import.meta.url).cache;
    const libraries = ['exceljs', 'mammoth', 'xlsx', 'word-extractor', 'mailparser', 'pdf-parse'];
    const loaded = () => libraries.filter((name) => Object.keys(cache).some((file) => file.includes(\`/node_modules/\${name}/\`)));
    const seen = {};
    seen.start = loaded();
    const text = await extract(Buffer.from('a plain reply'), { filename: 'reply.txt', ocr: false });
    seen.afterText = loaded();
    const docx = await extract(generateDocument('docx', 7).bytes, { filename: 'letter.docx', ocr: false });
    seen.afterDocx = loaded();
    const xlsx = await extract(generateDocument('xlsx', 7).bytes, { filename: 'figures.xlsx', ocr: false });
    seen.afterXlsx = loaded();
    console.log(JSON.stringify({ seen, types: [text.type, docx.type, xlsx.type], docxText: docx.pages.length > 0 && docx.pages[0].text.length > 0 }));`;
  const { stdout, stderr, code } = await runScript(script);
  expect(code, stderr).toBe(0);
  expect(JSON.parse(stdout)).toEqual({
    seen: { start: [], afterText: [], afterDocx: ['mammoth'], afterXlsx: ['exceljs', 'mammoth'] },
    types: ['txt', 'docx', 'xlsx'],
    docxText: true,
  });
}, 60_000);
