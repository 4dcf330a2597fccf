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

/** The Content-Type the server sends for a download of this filename; unknown extensions get octet-stream. */
export function contentTypeFromFilename(filename: string): string {
  const dot = filename.lastIndexOf('.');
  const known = dot < 0 ? undefined : typeByExtension[filename.slice(dot + 1).toLowerCase()];
  return known ?? 'application/octet-stream';
}

const iconPattern = /icon_([a-z0-9._+-]+?)_large/i;
const spelledAsIcon = (type: string) => type.toLowerCase().replace(/[/._+-]/g, '_');

/**
 * The content type an attachment icon names (`icon_application_pdf_large-<digest>.png`).
 * Icon names flatten "/" (and on some sites ".", "+", "-") to "_", so when the filename's own
 * type spells the same icon, that type is the exact one. `icon_unknown` names nothing.
 */
export function contentTypeFromIcon(src: string, filename: string | undefined): string | undefined {
  const iconName = iconPattern.exec(src)?.[1]?.toLowerCase();
  if (!iconName || !iconName.includes('_')) return undefined;
  const byExtension = filename === undefined ? undefined : contentTypeFromFilename(filename);
  if (byExtension && spelledAsIcon(byExtension) === spelledAsIcon(iconName)) return byExtension;
  return iconName.replace('_', '/');
}
