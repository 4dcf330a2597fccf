import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { Archive, ExportRow, SearchQuery } from '../storage/index.js';

export type ExportFormat = 'csv' | 'jsonl';

export const CSV_COLUMNS = [
  'kind',
  'request_id',
  'remote_id',
  'url_title',
  'title',
  'authority_url_name',
  'authority_name',
  'requester_url_name',
  'requester_name',
  'status',
  'described_state',
  'created_at',
  'updated_at',
  'removed_at',
  'exemptions',
  'sent_on',
  'clock_started_on',
  'due_on',
  'first_response_on',
  'response_working_days',
  'first_answer_on',
  'answer_working_days',
  'site_overdue',
  'internal_review_requested',
  'attachment_id',
  'attachment_filename',
  'attachment_sha256',
  'attachment_size',
  'attachment_type',
  'attachment_page',
  'attachment_source_url',
  'attachment_fetched_at',
] as const;

const iso = (date: Date | null | undefined) => (date ? date.toISOString() : '');

function csvRecord(row: ExportRow): Record<(typeof CSV_COLUMNS)[number], string | number> {
  const a = row.attachment;
  const t = row.timeliness;
  return {
    kind: row.kind,
    request_id: row.requestId,
    remote_id: row.remoteId,
    url_title: row.urlTitle,
    title: row.title,
    authority_url_name: row.authority.urlName,
    authority_name: row.authority.name,
    requester_url_name: row.requester?.urlName ?? '',
    requester_name: row.requester?.name ?? '',
    status: row.status,
    described_state: row.describedState ?? '',
    created_at: iso(row.remoteCreatedAt),
    updated_at: iso(row.remoteUpdatedAt),
    removed_at: iso(row.removedAt),
    exemptions: row.exemptions.join('; '),
    sent_on: t?.sentOn ?? '',
    clock_started_on: t?.clockStartedOn ?? '',
    due_on: t?.dueOn ?? '',
    first_response_on: t?.firstResponseOn ?? '',
    response_working_days: t?.responseWorkingDays ?? '',
    first_answer_on: t?.firstAnswerOn ?? '',
    answer_working_days: t?.answerWorkingDays ?? '',
    site_overdue: t?.siteOverdue ?? '',
    internal_review_requested: t ? String(t.internalReviewRequested) : '',
    attachment_id: a?.id ?? '',
    attachment_filename: a?.filename ?? '',
    attachment_sha256: a?.sha256 ?? '',
    attachment_size: a?.size ?? '',
    attachment_type: a?.type ?? '',
    attachment_page: a?.page ?? '',
    attachment_source_url: a?.sourceUrl ?? '',
    attachment_fetched_at: iso(a?.fetchedAt),
  };
}

/**
 * Every row of a result set as CSV or JSON Lines, pulled from storage only as fast as the reader
 * consumes it, with no cap on the number of rows.
 */
export function exportStream(archive: Archive, query: SearchQuery, format: ExportFormat): Readable {
  const rows = archive.exportRows({ ...query, limit: undefined, offset: undefined });
  if (format === 'jsonl') {
    return Readable.from(
      (async function* () {
        for await (const row of rows) yield Buffer.from(`${JSON.stringify(row)}\n`);
      })(),
    );
  }
  // escape_formulas: a cell starting with = + - @ would run as a formula in the spreadsheet a researcher opens.
  const csv = stringify({ header: true, columns: [...CSV_COLUMNS], escape_formulas: true });
  const source = Readable.from(
    (async function* () {
      for await (const row of rows) yield csvRecord(row);
    })(),
  );
  source.on('error', (error) => csv.destroy(error));
  csv.on('close', () => source.destroy());
  return source.pipe(csv);
}
