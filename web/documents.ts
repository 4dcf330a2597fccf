import { sql } from 'drizzle-orm';
import type { Archive } from '../storage/index.js';
import type { PageText } from './views/attachment.js';

// Private-use characters mark matches; they are removed from the text first (symbol fonts in PDFs can
// produce them), so splitting on them is exact.
const START = '\uE000';
const STOP = '\uE001';

function split(headline: string): PageText['parts'] {
  const parts: PageText['parts'] = [];
  for (const [i, piece] of headline.split(START).entries()) {
    if (i === 0) {
      if (piece) parts.push({ text: piece, match: false });
      continue;
    }
    const stop = piece.indexOf(STOP);
    const matched = stop === -1 ? piece : piece.slice(0, stop);
    const rest = stop === -1 ? '' : piece.slice(stop + 1);
    if (matched) parts.push({ text: matched.replaceAll(STOP, ''), match: true });
    if (rest) parts.push({ text: rest.replaceAll(STOP, ''), match: false });
  }
  return parts;
}

/**
 * The extracted text of a blob, page by page. With a query, Postgres marks every match with the same
 * stemming the search used (ts_headline HighlightAll), so "repairs" finds "repaired" here as it did there.
 */
export async function pageTexts(archive: Archive, sha256: string, query: string | undefined): Promise<PageText[]> {
  const text = query?.trim();
  const selected = text
    ? sql`ts_headline('english', translate(text, ${START + STOP}, ''), websearch_to_tsquery('english', ${text}), ${`HighlightAll=true, StartSel=${START}, StopSel=${STOP}`})`
    : sql`text`;
  const result = (await archive.db.execute(
    sql`select page, ${selected} as text from document_pages where sha256 = ${sha256} order by page`,
  )) as unknown as { rows: { page: number; text: string }[] };
  return result.rows.map((row) => ({
    number: Number(row.page),
    parts: text ? split(row.text) : [{ text: row.text, match: false }],
  }));
}
