/**
 * Parameters a document leaves open (一般信息化项目 standard, 一定比例, a publication date): read only
 * when a computation needs them; a missing one stops it with the `--param NAME=VALUE` to pass and the
 * article. Never a default.
 */
import { PolicyError, parameterMissing } from '../errors.ts';
import { type Dec, money, parseRate } from '../money.ts';
import { isCalendarDate, type ParameterDecl, type PolicyDocument } from '../schema.ts';
import type { Recorder } from './trace.ts';

export interface DeclaredParameter {
  decl: ParameterDecl;
  doc: PolicyDocument;
}

const PLACEHOLDER = { rate: 'RATE', amount: 'AMOUNT', date: 'YYYY-MM-DD' } as const;

export function documentName(doc: PolicyDocument): string {
  return doc.documentNumber ?? doc.title;
}

/** Checks supplied values once, before any case: unknown names, bad formats, values outside `allowed`. */
export function checkSupplied(
  declared: ReadonlyMap<string, DeclaredParameter>,
  supplied: Record<string, string>,
): void {
  for (const [name, value] of Object.entries(supplied)) {
    const found = declared.get(name);
    if (!found) {
      throw new PolicyError(
        'SHUGAI_PARAMETER_INVALID',
        `unknown parameter ${name}; the documents declare: ${[...declared.keys()].sort().join(', ')}`,
      );
    }
    try {
      parse(found.decl, value);
    } catch (error) {
      throw new PolicyError(
        'SHUGAI_PARAMETER_INVALID',
        `--param ${name}=${value}: ${(error as Error).message}`,
      );
    }
  }
}

function parse(decl: ParameterDecl, value: string): Dec | string {
  if (decl.allowed && !decl.allowed.includes(value)) {
    throw new Error(`allowed values are ${decl.allowed.join(', ')} (${decl.article})`);
  }
  if (decl.kind === 'rate') return parseRate(value);
  if (decl.kind === 'amount') return money(value);
  if (!isCalendarDate(value)) throw new Error('expected a date YYYY-MM-DD');
  return value;
}

export class Params {
  constructor(
    private readonly declared: ReadonlyMap<string, DeclaredParameter>,
    private readonly supplied: Readonly<Record<string, string>>,
    private readonly rec: Recorder,
  ) {}

  rate(name: string): Dec {
    return this.read(name, 'rate') as Dec;
  }

  date(name: string): string {
    return this.read(name, 'date') as string;
  }

  private read(name: string, kind: ParameterDecl['kind']): Dec | string {
    const found = this.declared.get(name);
    if (!found || found.decl.kind !== kind) {
      throw new PolicyError('SHUGAI_POLICY_INVALID', `parameter ${name} is not declared as a ${kind}`);
    }
    const { decl, doc } = found;
    const value = this.supplied[name];
    const citation = `${documentName(doc)} ${decl.article}`;
    if (value === undefined) throw parameterMissing(name, PLACEHOLDER[kind], citation, decl.meaning);
    this.rec.parameter(() => ({
      name,
      value,
      meaning: decl.meaning,
      source: 'param',
      citation: { document: documentName(doc), article: decl.article, quote: decl.quote },
      validFrom: typeof doc.validity.from === 'string' ? doc.validity.from : null,
      validTo: typeof doc.validity.to === 'string' ? doc.validity.to : null,
    }));
    return parse(decl, value);
  }
}
