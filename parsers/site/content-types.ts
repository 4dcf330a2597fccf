// AlaveteliFileTypes: the server types a download by its URL extension (§7.4).
const typeByExtension: Readonly<Record<string, string>> = {
  csv: 'text/csv',
  txt: 'text/plain',
  pdf: 'application/pdf',
  rtf: 'application/rtf',
  doc: 'application/vnd.ms-word',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  oft: 'application/vnd.ms-outlook',
  msg: 'application/vnd.ms-outlook',
  tnef: 'application/ms-tnef',
  tif: 'image/tiff',
  gif: 'image/gif',
  jpg: 'image/jpeg',
  png: 'image/png',
  bmp: 'image/bmp',
  html: 'text/html',
  vcf: 'text/x-vcard',
  zip: 'application/zip',
  'delivery-status': 'message/delivery-status',
};

export function contentTypeFromFilename(filename: string): string | undefined {
  const dot = filename.lastIndexOf('.');
  if (dot < 0) return undefined;
  return typeByExtension[filename.slice(dot + 1).toLowerCase()];
}

const iconPattern = /icon_([a-z0-9.+-]+)_([a-z0-9.+_-]+?)_large/i;

/** `…/icon_application_pdf_large-<digest>.png` → `application/pdf`; `icon_unknown` → undefined. */
export function contentTypeFromIcon(src: string): string | undefined {
  const match = iconPattern.exec(src);
  if (!match) return undefined;
  return `${match[1]}/${match[2]}`.toLowerCase();
}
