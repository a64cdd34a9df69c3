/**
 * Loads policy documents: YAML (duplicate keys rejected, dates kept as strings), validated strictly,
 * then checked as a whole: every parameter a measure reads is declared with its article, every id a
 * 进档差额 deducts exists, measure ids are unique unless their documents' windows do not overlap.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { rethrowInput } from '../core/input.ts';
import { parseYamlValue } from '../core/yaml.ts';
import { formatPath } from '../gateway/config/errors.ts';
import { normalize } from './engine/conditions.ts';
import { PolicyError } from './errors.ts';
import { codeProblem } from './industry/table.ts';
import {
  type Condition,
  documentSchema,
  type IndustryDeclaration,
  type Piece,
  type PolicyDocument,
} from './schema.ts';

export const DOCUMENTS_DIR = path.join(import.meta.dirname, 'documents');

function invalid(file: string, message: string): PolicyError {
  return new PolicyError('SHUGAI_POLICY_INVALID', `${file}: ${message}`);
}

export function parseDocumentFile(file: string, text: string): PolicyDocument {
  const yaml = rethrowInput(
    () => parseYamlValue(text, file),
    (message) => new PolicyError('SHUGAI_POLICY_INVALID', message),
  );
  const parsed = documentSchema.safeParse(yaml);
  if (!parsed.success) {
    throw invalid(file, parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('\n'));
  }
  return parsed.data;
}

/** Parameter names a measure reads, wherever they stand. */
function parametersRead(doc: PolicyDocument): string[] {
  const names: string[] = [];
  const fromPiece = (p: Piece) => {
    if (typeof p.rate === 'object') names.push(p.rate.parameter);
    for (const b of p.brackets ?? []) if (typeof b.rate === 'object') names.push(b.rate.parameter);
  };
  if (typeof doc.validity.from === 'object') names.push(doc.validity.from.parameter);
  for (const m of doc.measures)
    for (const f of m.formulas) for (const p of [...f.pieces, ...(f.additions ?? [])]) fromPiece(p);
  return names;
}

function conditionsOf(doc: PolicyDocument): Condition[] {
  return doc.measures.flatMap((m) => [
    ...m.conditions,
    ...m.formulas.flatMap((f) => [
      ...(f.when ?? []),
      ...[...f.pieces, ...(f.additions ?? [])].flatMap((p) => p.when ?? []),
    ]),
  ]);
}

/** Checks one document on its own: names, declarations, references. */
function checkDocument(file: string, doc: PolicyDocument): void {
  // Ids start with the family, so a later version (fuyang-2026) keeps its measures' ids (fuyang.x).
  const family = doc.id.split('-')[0]!;
  const declared = new Set(doc.parameters.map((p) => p.name));
  for (const name of parametersRead(doc)) {
    if (!declared.has(name))
      throw invalid(file, `parameter ${name} is read but not declared under parameters`);
    if (!name.startsWith(`${family}.`)) throw invalid(file, `parameter ${name} must start with "${family}."`);
  }
  const ids = new Set<string>();
  for (const m of doc.measures) {
    if (!m.id.startsWith(`${family}.`)) throw invalid(file, `measure ${m.id} must start with "${family}."`);
    if (ids.has(m.id)) throw invalid(file, `measure ${m.id} appears twice`);
    ids.add(m.id);
  }
  for (const c of conditionsOf(doc)) {
    if (c.field === 'recognition' && c.equals !== undefined && typeof c.equals !== 'object') {
      throw invalid(file, `recognition conditions compare {name, tier}, not "${String(c.equals)}"`);
    }
  }
  checkIndustries(file, doc);
}

/**
 * Industry declarations: codes of the table, the wording in the condition's own quote (the document's
 * words), one industry condition per measure, and one reading per wording in a document (a copy that
 * drifted from the others would pay a different set of firms under the same words).
 */
function checkIndustries(file: string, doc: PolicyDocument): void {
  const byWording = new Map<string, IndustryDeclaration>();
  for (const m of doc.measures) {
    const industryConds = m.conditions.filter((c) => c.industries !== undefined);
    if (industryConds.length > 1) throw invalid(file, `${m.id}: one industry condition per measure`);
    for (const decl of industryConds[0]?.industries ?? []) {
      const at = `${m.id}: industry ${decl.wording}`;
      if (!normalize(industryConds[0]!.quote).includes(normalize(decl.wording))) {
        throw invalid(file, `${at}: the wording must stand in the condition's quote`);
      }
      for (const code of decl.codes) {
        const problem = codeProblem(code);
        if (problem) throw invalid(file, `${at}: ${problem}`);
      }
      const earlier = byWording.get(decl.wording);
      if (earlier && JSON.stringify(earlier) !== JSON.stringify(decl)) {
        throw invalid(file, `${at}: declared differently elsewhere in this document (use one YAML anchor)`);
      }
      byWording.set(decl.wording, decl);
    }
  }
}

/** Loads every *.yaml in a folder (sorted), or the given files, and checks them together. */
export function loadDocuments(dir: string = DOCUMENTS_DIR): PolicyDocument[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  const docs = files.map((f) => {
    const file = path.join(dir, f);
    const doc = parseDocumentFile(file, readFileSync(file, 'utf8'));
    checkDocument(file, doc);
    return doc;
  });
  checkTogether(docs);
  return docs;
}

function checkTogether(docs: PolicyDocument[]): void {
  const seenDocs = new Set<string>();
  for (const d of docs) {
    if (seenDocs.has(d.id)) throw invalid(d.id, `document id ${d.id} is used twice`);
    seenDocs.add(d.id);
  }
  const known = new Set([
    ...docs.flatMap((d) => d.measures.map((m) => m.id)),
    ...docs.flatMap((d) => (d.externalPayouts ?? []).map((e) => e.id)),
  ]);
  for (const d of docs) {
    for (const m of d.measures) {
      const deducted = [
        ...(m.tierUpgradeDifference?.deduct ?? []),
        ...m.formulas.flatMap((f) => f.includesPaid?.ids ?? []),
      ];
      for (const id of deducted) {
        if (!known.has(id)) throw invalid(d.id, `${m.id}: deducts payouts of unknown id ${id}`);
      }
    }
  }
  // The same measure id in two documents is a new version: their windows must not overlap.
  const byId = new Map<string, PolicyDocument[]>();
  for (const d of docs) for (const m of d.measures) byId.set(m.id, [...(byId.get(m.id) ?? []), d]);
  for (const [id, versions] of byId) {
    for (let i = 0; i < versions.length; i++) {
      for (let j = i + 1; j < versions.length; j++) {
        if (windowsMayOverlap(versions[i]!, versions[j]!)) {
          throw invalid(
            id,
            `measure ${id} is in ${versions[i]!.id} and ${versions[j]!.id} with overlapping validity`,
          );
        }
      }
    }
  }
}

/** Fixed windows are compared; a window that depends on a parameter cannot be proven apart, so it counts as overlapping. */
function windowsMayOverlap(a: PolicyDocument, b: PolicyDocument): boolean {
  const from = (d: PolicyDocument) => (typeof d.validity.from === 'string' ? d.validity.from : null);
  const to = (d: PolicyDocument) =>
    typeof d.validity.to === 'string' || d.validity.to === null ? (d.validity.to ?? '9999-12-31') : null;
  const [af, at, bf, bt] = [from(a), to(a), from(b), to(b)];
  if (af === null || at === null || bf === null || bt === null) return true;
  return af <= bt && bf <= at;
}
