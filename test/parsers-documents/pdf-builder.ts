// Builds small PDFs by hand, so tests and the bench can make exactly the (good or hostile) files they need.

export interface PdfObject {
  /** Dictionary or other body, without the `N 0 obj` wrapper. */
  body: string;
  /** Stream content; `body` then gets its /Length. */
  stream?: Uint8Array | string;
}

/** Lays objects out with a correct xref table; object 1 must be the catalog. `info` is a document information dictionary. */
export function buildPdf(objects: PdfObject[], info?: string): Buffer {
  if (info !== undefined) objects = [...objects, { body: info }];
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  const offsets: number[] = [];
  let length = parts[0]!.length;
  const push = (part: Buffer) => {
    parts.push(part);
    length += part.length;
  };
  objects.forEach((object, index) => {
    offsets.push(length);
    if (object.stream === undefined) {
      push(Buffer.from(`${index + 1} 0 obj\n${object.body}\nendobj\n`, 'latin1'));
      return;
    }
    const stream = typeof object.stream === 'string' ? Buffer.from(object.stream, 'latin1') : Buffer.from(object.stream);
    const dictionary = object.body.replace(/>>\s*$/, `/Length ${stream.length} >>`);
    push(Buffer.from(`${index + 1} 0 obj\n${dictionary}\nstream\n`, 'latin1'));
    push(stream);
    push(Buffer.from('\nendstream\nendobj\n', 'latin1'));
  });
  const xrefOffset = length;
  const xref = [`xref\n0 ${objects.length + 1}\n`, '0000000000 65535 f \n', ...offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`)];
  push(Buffer.from(`${xref.join('')}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R${info === undefined ? '' : ` /Info ${objects.length} 0 R`} >>\nstartxref\n${xrefOffset}\n%%EOF\n`, 'latin1'));
  return Buffer.concat(parts);
}

function escapePdfString(text: string): string {
  return text.replace(/[\\()]/g, (char) => `\\${char}`);
}

/** A PDF with one page per entry of `pages`, each line of text drawn in Helvetica. */
export function textPdf(pages: string[][], info?: string): Buffer {
  const pageCount = pages.length;
  // Objects: 1 catalog, 2 pages, 3 font, then a page and its content per page.
  const kids = pages.map((_, index) => `${4 + index * 2} 0 R`).join(' ');
  const objects: PdfObject[] = [
    { body: '<< /Type /Catalog /Pages 2 0 R >>' },
    { body: `<< /Type /Pages /Kids [${kids}] /Count ${pageCount} >>` },
    { body: '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>' },
  ];
  pages.forEach((lines, index) => {
    const contentId = 5 + index * 2;
    objects.push({
      body: `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents ${contentId} 0 R >>`,
    });
    const drawn = lines.map((line, lineIndex) => `BT /F1 12 Tf 50 ${790 - lineIndex * 16} Td (${escapePdfString(line)}) Tj ET`).join('\n');
    objects.push({ body: '<< >>', stream: drawn });
  });
  return buildPdf(objects, info);
}

/** A one-page A4 PDF that is only a (three-component) JPEG picture, like a scanned letter. */
export function imagePdf(jpeg: Uint8Array, pixelWidth: number, pixelHeight: number): Buffer {
  return buildPdf([
    { body: '<< /Type /Catalog /Pages 2 0 R >>' },
    { body: '<< /Type /Pages /Kids [3 0 R] /Count 1 >>' },
    { body: '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 4 0 R >> >> /Contents 5 0 R >>' },
    {
      body: `<< /Type /XObject /Subtype /Image /Width ${pixelWidth} /Height ${pixelHeight} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode >>`,
      stream: jpeg,
    },
    { body: '<< >>', stream: 'q 595 0 0 842 0 0 cm /Im1 Do Q' },
  ]);
}

/**
 * A typed covering letter, a blank page, then a scan: page 1 has a text layer, page 2 nothing at all, page 3 only the
 * (three-component) JPEG picture. FOI releases are often made like this.
 */
export function letterBlankAndScanPdf(letter: string[], jpeg: Uint8Array, pixelWidth: number, pixelHeight: number): Buffer {
  const drawn = letter.map((line, index) => `BT /F1 12 Tf 50 ${790 - index * 16} Td (${escapePdfString(line)}) Tj ET`).join('\n');
  return buildPdf([
    { body: '<< /Type /Catalog /Pages 2 0 R >>' },
    { body: '<< /Type /Pages /Kids [4 0 R 6 0 R 8 0 R] /Count 3 >>' },
    { body: '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>' },
    { body: '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>' },
    { body: '<< >>', stream: drawn },
    { body: '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 7 0 R >>' },
    { body: '<< >>', stream: '' },
    { body: '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 9 0 R >> >> /Contents 10 0 R >>' },
    {
      body: `<< /Type /XObject /Subtype /Image /Width ${pixelWidth} /Height ${pixelHeight} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode >>`,
      stream: jpeg,
    },
    { body: '<< >>', stream: 'q 595 0 0 842 0 0 cm /Im1 Do Q' },
  ]);
}

/** Hostile: the page tree contains itself, and a form XObject draws itself. */
export function loopingPdf(): Buffer {
  return buildPdf([
    { body: '<< /Type /Catalog /Pages 2 0 R >>' },
    { body: '<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>' },
    { body: '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /X1 4 0 R >> >> /Contents 5 0 R >>' },
    { body: '<< /Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << /XObject << /X1 4 0 R >> >> >>', stream: '/X1 Do' },
    { body: '<< >>', stream: '/X1 Do' },
  ]);
}

/** Hostile: a content stream whose /Length claims far more bytes than the file holds, and no endstream. */
export function runawayStreamPdf(): Buffer {
  const head = buildPdf([
    { body: '<< /Type /Catalog /Pages 2 0 R >>' },
    { body: '<< /Type /Pages /Kids [3 0 R] /Count 1 >>' },
    { body: '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>' },
    { body: '<< /Length 4 0 R >>' },
  ]).toString('latin1');
  return Buffer.from(head.replace('4 0 obj\n<< /Length 4 0 R >>\nendobj', `4 0 obj\n<< /Length 999999999 >>\nstream\n${'BT '.repeat(20_000)}`), 'latin1');
}
