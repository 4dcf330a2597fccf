import type { RequestDetail } from './types.js';

/**
 * Every code `cited_exemptions` (migration 0013) gives, with the heading the law gives it: the Freedom of Information
 * Act 2000 (FOIA), the Freedom of Information (Scotland) Act 2002 (FOISA), the Environmental Information Regulations
 * 2004 (EIR) and their Scottish counterpart of 2004 (EIRS). The two Acts number their exemptions differently, so a
 * Scottish authority's "section 38" (personal information) is not the UK Act's (health and safety).
 */
export const EXEMPTIONS: Readonly<Record<string, string>> = {
  'FOIA s12': 'Cost of compliance exceeds the appropriate limit',
  'FOIA s14': 'Vexatious or repeated request',
  'FOIA s21': 'Information accessible by other means',
  'FOIA s22': 'Information intended for future publication',
  'FOIA s22A': 'Research',
  'FOIA s23': 'Security bodies',
  'FOIA s24': 'National security',
  'FOIA s26': 'Defence',
  'FOIA s27': 'International relations',
  'FOIA s28': 'Relations within the United Kingdom',
  'FOIA s29': 'The economy',
  'FOIA s30': 'Investigations and proceedings',
  'FOIA s31': 'Law enforcement',
  'FOIA s32': 'Court records',
  'FOIA s33': 'Audit functions',
  'FOIA s34': 'Parliamentary privilege',
  'FOIA s35': 'Formulation of government policy',
  'FOIA s36': 'Prejudice to effective conduct of public affairs',
  'FOIA s37': 'Communications with the Royal Family, and honours',
  'FOIA s38': 'Health and safety',
  'FOIA s39': 'Environmental information',
  'FOIA s40': 'Personal information',
  'FOIA s41': 'Information provided in confidence',
  'FOIA s42': 'Legal professional privilege',
  'FOIA s43': 'Commercial interests',
  'FOIA s44': 'Prohibitions on disclosure',
  'FOISA s12': 'Excessive cost of compliance',
  'FOISA s14': 'Vexatious or repeated request',
  'FOISA s25': 'Information otherwise accessible',
  'FOISA s26': 'Prohibitions on disclosure',
  'FOISA s27': 'Information intended for future publication',
  'FOISA s28': 'Relations within the United Kingdom',
  'FOISA s29': 'Formulation of Scottish Administration policy',
  'FOISA s30': 'Prejudice to effective conduct of public affairs',
  'FOISA s31': 'National security and defence',
  'FOISA s32': 'International relations',
  'FOISA s33': 'Commercial interests and the economy',
  'FOISA s34': 'Investigations and proceedings',
  'FOISA s35': 'Law enforcement',
  'FOISA s36': 'Confidentiality',
  'FOISA s37': 'Court records',
  'FOISA s38': 'Personal information',
  'FOISA s39': 'Health, safety and the environment',
  'FOISA s40': 'Audit functions',
  'FOISA s41': 'Communications with the Royal Family, and honours',
  ...environmentalExceptions('EIR', 12, 13),
  ...environmentalExceptions('EIRS', 10, 11),
};

/** The two sets of environmental regulations list the same exceptions under different numbers. */
function environmentalExceptions(law: string, exceptions: number, personalData: number): Record<string, string> {
  const headings: [string, string][] = [
    ['(4)(a)', 'Information not held'],
    ['(4)(b)', 'Manifestly unreasonable request'],
    ['(4)(c)', 'Request formulated in too general a manner'],
    ['(4)(d)', 'Material still in the course of completion'],
    ['(4)(e)', 'Internal communications'],
    ['(5)(a)', 'International relations, defence, national security or public safety'],
    ['(5)(b)', 'Course of justice'],
    ['(5)(c)', 'Intellectual property rights'],
    ['(5)(d)', 'Confidentiality of proceedings'],
    ['(5)(e)', 'Confidentiality of commercial or industrial information'],
    ['(5)(f)', 'Interests of the person who provided the information'],
    ['(5)(g)', 'Protection of the environment'],
  ];
  return {
    ...Object.fromEntries(headings.map(([paragraph, heading]) => [`${law} ${exceptions}${paragraph}`, heading])),
    [`${law} ${personalData}`]: 'Personal data',
  };
}

const byFoldedCode = new Map(Object.keys(EXEMPTIONS).map((code) => [foldCode(code), code]));

function foldCode(code: string): string {
  return code.toLowerCase().replace(/\s+/g, '');
}

/** The code a user typed (`foia s40`, `EIR 12(5)(e)`: any case and spacing), or null when it is none of EXEMPTIONS. */
export function exemptionCode(input: string): string | null {
  return byFoldedCode.get(foldCode(input)) ?? null;
}

export const exemptionLabel = (code: string): string => EXEMPTIONS[code] ?? code;

/** Where a request cites an exemption: an authority's message, or a document it released. */
export type ExemptionSource =
  | { kind: 'message'; eventId: number; messageId: number; time: Date | null }
  | { kind: 'document'; attachmentId: number; filename: string | null; pages: number[] };

export interface ExemptionCitation {
  code: string;
  label: string;
  sources: ExemptionSource[];
}

/**
 * The exemptions a thread cites in what the site shows of it: its authority's messages that are not hidden, and the
 * documents of those messages that are neither hidden nor removed. In the order the law numbers them.
 */
export function exemptionsCited(request: RequestDetail): ExemptionCitation[] {
  const sources = new Map<string, ExemptionSource[]>();
  const cite = (code: string, source: ExemptionSource) => sources.set(code, [...(sources.get(code) ?? []), source]);
  for (const event of request.events) {
    if (event.kind !== 'incoming' || event.hidden) continue;
    for (const code of event.exemptions ?? []) cite(code, { kind: 'message', eventId: event.id, messageId: event.messageId, time: event.time });
    for (const a of event.attachments) {
      if (a.hidden || a.removedAt !== null) continue;
      for (const { code, pages } of a.exemptions ?? []) cite(code, { kind: 'document', attachmentId: a.id, filename: a.filename, pages });
    }
  }
  return [...sources]
    .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
    .map(([code, cited]) => ({ code, label: exemptionLabel(code), sources: cited }));
}
