import { parse } from 'csv-parse/sync';
import { PageKindError } from './errors.js';

export interface AuthorityCsvRow {
  /** "Internal ID"; absent in the older export that lacks that column. */
  id?: number;
  name: string;
  shortName: string | null;
  urlName: string;
  /** Space-separated in the file; machine tags stay as `name:value`. */
  tags: string[];
  homePage: string | null;
  publicationScheme: string | null;
  disclosureLog: string | null;
  notes: string | null;
  /** As written, e.g. `2007-10-25 10:51:01 UTC`. */
  createdAt: string | null;
  updatedAt: string | null;
  version: number | null;
}

export interface AuthoritiesCsv {
  authorities: AuthorityCsvRow[];
  warnings: string[];
}

const currentHeader = [
  'Internal ID', 'Name', 'Short name', 'URL name', 'Tags', 'Home page',
  'Publication scheme', 'Disclosure log', 'Notes', 'Created at', 'Updated at', 'Version',
];
const olderHeader = currentHeader.slice(1);

type Cell = string | null;

/**
 * `/body/all-authorities.csv` (§3.5). A quoted empty field (`""`) stays an empty string;
 * an unquoted empty field (Ruby nil) becomes null.
 */
export function parseAuthoritiesCsv(text: string): AuthoritiesCsv {
  let records: Cell[][];
  try {
    records = parse(text, {
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      cast: (value, context) => (value === '' && !context.quoting ? null : value),
    }) as Cell[][];
  } catch (error) {
    throw new PageKindError('authorities CSV', (error as Error).message);
  }
  const [header, ...rows] = records;
  const headerText = (header ?? []).map((cell) => cell ?? '');
  const hasId = sameColumns(headerText, currentHeader);
  if (!hasId && !sameColumns(headerText, olderHeader)) {
    throw new PageKindError('authorities CSV', `unexpected header "${headerText.join(',')}"`);
  }
  const warnings: string[] = [];
  const offset = hasId ? 1 : 0;
  const authorities: AuthorityCsvRow[] = [];
  rows.forEach((row, index) => {
    const line = index + 2;
    if (row.length !== headerText.length) {
      warnings.push(`row ${line}: ${row.length} fields, expected ${headerText.length}`);
    }
    const cell = (column: number): Cell => row[column + offset] ?? null;
    const name = cell(0);
    const urlName = cell(2);
    if (!name || !urlName) {
      warnings.push(`row ${line}: no name or URL name, skipped`);
      return;
    }
    const authority: AuthorityCsvRow = {
      name,
      shortName: cell(1),
      urlName,
      tags: (cell(3) ?? '').split(/\s+/).filter(Boolean),
      homePage: cell(4),
      publicationScheme: cell(5),
      disclosureLog: cell(6),
      notes: cell(7),
      createdAt: cell(8),
      updatedAt: cell(9),
      version: readInteger(cell(10), `row ${line}: Version`, warnings),
    };
    if (hasId) {
      const id = readInteger(row[0] ?? null, `row ${line}: Internal ID`, warnings);
      if (id !== null) authority.id = id;
    }
    authorities.push(authority);
  });
  return { authorities, warnings };
}

function sameColumns(actual: string[], expected: string[]): boolean {
  return actual.length === expected.length && actual.every((column, index) => column.trim() === expected[index]);
}

function readInteger(value: Cell, label: string, warnings: string[]): number | null {
  if (value === null || value === '') return null;
  if (/^\d+$/.test(value)) return Number(value);
  warnings.push(`${label} is not a number: "${value}"`);
  return null;
}
