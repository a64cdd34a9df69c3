/**
 * The policy book: all documents loaded, measures by id (one id may have several dated versions in
 * successive documents), and the computation of one case against one measure — or against every
 * measure, where exactly one must claim the case.
 */
import { type PayoutCase, parseCase } from '../case.ts';
import { PolicyError } from '../errors.ts';
import type { Wording } from '../industry/find.ts';
import { industryEntry } from '../industry/table.ts';
import { loadDocuments } from '../loader.ts';
import { roundFen, splitByWeights, yuan, ZERO } from '../money.ts';
import type { Formula, Measure, MeasureCondition, PolicyDocument } from '../schema.ts';
import {
  conditionReading,
  describeCondition,
  evaluate,
  FIELD_LABELS,
  formatValue,
  industryRefusal,
  industryTooCoarse,
  normalize,
  readField,
} from './conditions.ts';
import { applyCeiling, cite, deductPaid, type FormulaContext, pieceAmount } from './formula.ts';
import { checkSupplied, type DeclaredParameter, documentName, Params } from './params.ts';
import { Recorder, type Trace } from './trace.ts';
import { describeWindow, inWindow, resolveWindow, type Window } from './validity.ts';

export interface Reason {
  /** The failed condition, e.g. "investment.total ≥ 300000.00". */
  condition: string;
  article: string;
  document: string;
  message: string;
}

export interface PayoutResult {
  measure: string;
  eligible: boolean;
  /** Yuan, two decimals; "0.00" when not eligible. */
  amount: string;
  reasons: Reason[];
  /** Funding source → amount, where the measure names its sources; the amounts add up to `amount`. */
  split: Record<string, string> | null;
  trace: Trace | null;
}

export interface ComputeOptions {
  params?: Record<string, string>;
  /** Build the explanation trace (default true). */
  trace?: boolean;
}

export interface MeasureListing {
  id: string;
  document: string;
  article: string;
  title: string;
  validFrom: string | null;
  validTo: string | null;
  /** Present only when the dates depend on a parameter not supplied (Hebi's publication date). */
  validityParameter?: string;
  /** The industries the measure is limited to, as the document words them, with their codes; [] for any industry. */
  industries: { wording: string; codes: { code: string; name: string }[] }[];
}

interface Entry {
  doc: PolicyDocument;
  measure: Measure;
}

function regionMatches(doc: PolicyDocument, c: PayoutCase): boolean {
  const region = normalize(c.enterprise.region);
  return doc.region.some((name) => region.startsWith(normalize(name)));
}

function conditionReason(doc: PolicyDocument, cond: MeasureCondition, c: PayoutCase): Reason {
  return {
    condition: describeCondition(cond),
    article: cond.article,
    document: documentName(doc),
    message: cond.industries
      ? industryRefusal(cond, c.enterprise.industry!)
      : `${FIELD_LABELS[cond.field]}为 ${formatValue(cond.field, readField(c, cond.field))},不满足“${cond.quote}”`,
  };
}

/** The industry condition of a measure, if it has one (the loader allows at most one). */
export function industryCondition(measure: Measure): MeasureCondition | undefined {
  return measure.conditions.find((cond) => cond.industries !== undefined);
}

function missingFields(measure: Measure, conds: MeasureCondition[]): PolicyError {
  const lines = conds.map(
    (cond) => `${cond.field}: missing; ${measure.id} needs it (${cond.article}: ${cond.quote})`,
  );
  return new PolicyError('SHUGAI_CASE_INVALID', `case invalid:\n${lines.join('\n')}`);
}

export class PolicyBook {
  private readonly versions = new Map<string, Entry[]>();
  private readonly declared = new Map<string, DeclaredParameter>();
  private readonly payoutIds = new Set<string>();
  /** Every document's industry wordings with their codes: candidates for free text in a case. */
  readonly wordings: Wording[] = [];
  /** Parameter sets already checked: a batch passes the same object for every case. */
  private readonly checked = new WeakSet<Record<string, string>>();

  constructor(readonly documents: readonly PolicyDocument[]) {
    for (const doc of documents) {
      for (const measure of doc.measures) {
        this.versions.set(measure.id, [...(this.versions.get(measure.id) ?? []), { doc, measure }]);
        this.payoutIds.add(measure.id);
      }
      for (const e of doc.externalPayouts ?? []) this.payoutIds.add(e.id);
      for (const measure of doc.measures) {
        const cond = industryCondition(measure);
        for (const i of cond?.industries ?? []) {
          const source = `${documentName(doc)} ${cond!.article}`;
          if (!this.wordings.some((w) => w.wording === i.wording && w.source === source)) {
            this.wordings.push({ wording: i.wording, codes: i.codes, source });
          }
        }
      }
      for (const decl of doc.parameters) this.declared.set(decl.name, { decl, doc });
    }
  }

  static load(dir?: string): PolicyBook {
    return new PolicyBook(loadDocuments(dir));
  }

  checkParams(params: Record<string, string>): void {
    if (this.checked.has(params)) return;
    checkSupplied(this.declared, params);
    this.checked.add(params);
  }

  list(params: Record<string, string> = {}): MeasureListing[] {
    this.checkParams(params);
    const out: MeasureListing[] = [];
    for (const doc of this.documents) {
      const from = doc.validity.from;
      const window: Window | null =
        typeof from === 'object' && params[from.parameter] === undefined
          ? null
          : resolveWindow(doc, new Params(this.declared, params, new Recorder(false)));
      for (const m of doc.measures) {
        out.push({
          id: m.id,
          document: documentName(doc),
          article: m.article,
          title: m.title,
          validFrom: window?.from ?? null,
          validTo: window?.to ?? null,
          ...(window === null && typeof from === 'object' ? { validityParameter: from.parameter } : {}),
          industries: (industryCondition(m)?.industries ?? []).map((i) => ({
            wording: i.wording,
            codes: i.codes.map((code) => ({ code, name: industryEntry(code)!.name })),
          })),
        });
      }
    }
    return out;
  }

  /**
   * The parameters a measure reads, in every version: its formulas' and its document's validity
   * (`{parameter: NAME}` anywhere in them), each with its declaration and the document declaring it.
   */
  measureParameters(measureId: string): DeclaredParameter[] {
    const names = new Set<string>();
    const collect = (node: unknown): void => {
      if (Array.isArray(node)) for (const x of node) collect(x);
      else if (node !== null && typeof node === 'object') {
        const parameter = (node as { parameter?: unknown }).parameter;
        if (typeof parameter === 'string') names.add(parameter);
        for (const x of Object.values(node)) collect(x);
      }
    };
    for (const { doc, measure } of this.versions.get(measureId) ?? []) collect([doc.validity, measure]);
    return [...names].flatMap((name) => {
      const found = this.declared.get(name);
      return found ? [found] : [];
    });
  }

  compute(measureId: string, input: unknown, options: ComputeOptions = {}): PayoutResult {
    this.checkParams(options.params ?? {});
    const c = this.parse(input);
    return this.evaluate(this.versionsOf(measureId), c, options);
  }

  /** Ids of the measures whose conditions all hold for the case (validity included). */
  claims(input: unknown, options: ComputeOptions = {}): string[] {
    this.checkParams(options.params ?? {});
    const c = this.parse(input);
    const params = new Params(this.declared, options.params ?? {}, new Recorder(false));
    const out: string[] = [];
    for (const [id, versions] of this.versions) {
      const entry = versions
        .filter((v) => regionMatches(v.doc, c))
        .find((v) => inWindow(resolveWindow(v.doc, params), c.asOf));
      if (!entry) continue;
      const holds = (conds: MeasureCondition[] | undefined) =>
        (conds ?? []).every((cond) => evaluate(cond, c) === 'pass');
      if (
        holds(entry.measure.conditions) &&
        !this.onceUsed(entry.measure, c) &&
        entry.measure.formulas.some((f) => holds(f.when))
      ) {
        out.push(id);
      }
    }
    return out;
  }

  /** Computes the one measure that claims the case; none or several is an error, never a silent choice. */
  computeAuto(input: unknown, options: ComputeOptions = {}): PayoutResult {
    const ids = this.claims(input, options);
    if (ids.length === 1) return this.compute(ids[0]!, input, options);
    const c = input as PayoutCase;
    if (ids.length === 0) {
      throw new PolicyError(
        'SHUGAI_MEASURE_NONE',
        `no measure claims this case (${c.enterprise.region}, ${c.asOf}); pass --measure ID to see why a measure does not apply`,
      );
    }
    const named = ids.map((id) => {
      const { doc, measure } = this.versions.get(id)![0]!;
      return `${id} (${documentName(doc)} ${measure.article})`;
    });
    throw new PolicyError(
      'SHUGAI_MEASURE_AMBIGUOUS',
      `${ids.length} measures claim this case: ${named.join(', ')}; pass --measure ID to choose one`,
    );
  }

  /** The measure's versions; an unknown id is an error naming `shugai policy list`. */
  versionsOf(measureId: string): { doc: PolicyDocument; measure: Measure }[] {
    const versions = this.versions.get(measureId);
    if (!versions) {
      throw new PolicyError(
        'SHUGAI_MEASURE_UNKNOWN',
        `unknown measure ${measureId}; \`shugai policy list\` shows the ids`,
      );
    }
    return versions;
  }

  private parse(input: unknown): PayoutCase {
    const c = parseCase(input, this.wordings);
    (c.priorPayouts ?? []).forEach((p, i) => {
      if (!this.payoutIds.has(p.measure)) {
        throw new PolicyError(
          'SHUGAI_CASE_INVALID',
          `case invalid:\npriorPayouts[${i}].measure: unknown id ${p.measure} (a measure id or a document's externalPayouts id)`,
        );
      }
    });
    return c;
  }

  private onceUsed(measure: Measure, c: PayoutCase): string | undefined {
    if (!measure.once) return undefined;
    const year = c.asOf.slice(0, 4);
    return (c.priorPayouts ?? []).find(
      (p) => p.measure === measure.id && (measure.once!.scope === 'perEnterprise' || p.date.startsWith(year)),
    )?.date;
  }

  private evaluate(versions: Entry[], c: PayoutCase, options: ComputeOptions): PayoutResult {
    const rec = new Recorder(options.trace !== false);
    const params = new Params(this.declared, options.params ?? {}, rec);
    const windows = versions.map((v) => ({ ...v, window: resolveWindow(v.doc, params) }));
    const current = windows.find((v) => inWindow(v.window, c.asOf));
    // Outside every window, explain against the latest version that had begun (else the first).
    const chosen = current ?? windows.filter((v) => v.window.from <= c.asOf).at(-1) ?? windows[0]!;
    const { doc, measure, window } = chosen;
    const ctx: FormulaContext = { c, doc, window, measure, params, rec };
    const reasons: Reason[] = [];

    rec.step(() => ({
      kind: 'version',
      text: `适用文件:${documentName(doc)}(${describeWindow(window)});申请日期 ${c.asOf} ${current ? '在有效期内' : '不在有效期内'}`,
      citation: cite(ctx, doc.validity.article, doc.validity.quote),
    }));
    if (!current) {
      reasons.push({
        condition: `asOf ∈ [${window.from}, ${window.to ?? '∞'}]`,
        article: doc.validity.article,
        document: documentName(doc),
        message: `申请日期 ${c.asOf} 不在有效期内(${windows.map((v) => `${documentName(v.doc)}:${describeWindow(v.window)}`).join(';')})`,
      });
    }
    rec.input('enterprise.region', c.enterprise.region);
    if (c.priorPayouts?.length) rec.input('priorPayouts', c.priorPayouts);
    if (!regionMatches(doc, c)) {
      reasons.push({
        condition: `enterprise.region ∈ {${doc.region.join(', ')}}`,
        article: '发文机关辖区',
        document: documentName(doc),
        message: `企业所在地 ${c.enterprise.region} 不在 ${doc.region[0]} 辖区内`,
      });
    }
    const missing: MeasureCondition[] = [];
    let coarser: MeasureCondition | undefined;
    for (const cond of measure.conditions) {
      const outcome = evaluate(cond, c);
      rec.input(cond.field, readField(c, cond.field));
      if (outcome === 'missing') missing.push(cond);
      if (outcome === 'coarser') coarser = cond;
      if (outcome === 'fail') reasons.push(conditionReason(doc, cond, c));
      if (outcome === 'pass') {
        const reading = conditionReading(cond);
        rec.step(() => ({
          kind: 'condition',
          text: `条件 ${describeCondition(cond)}:${FIELD_LABELS[cond.field]}为 ${formatValue(cond.field, readField(c, cond.field))},满足${reading ? `(解读:${reading})` : ''}`,
          citation: cite(ctx, cond.article, cond.quote),
        }));
      }
    }
    const usedOn = this.onceUsed(measure, c);
    if (usedOn !== undefined) {
      reasons.push({
        condition: `once ${measure.once!.scope}`,
        article: measure.once!.article,
        document: documentName(doc),
        message: `已于 ${usedOn} 获得本项(${measure.id}),“${measure.once!.quote}”`,
      });
    }
    if (reasons.length === 0 && coarser) {
      throw new PolicyError(
        'SHUGAI_CASE_INVALID',
        `case invalid:\n${industryTooCoarse(measure.id, coarser, c.enterprise.industry!)}`,
      );
    }
    if (reasons.length === 0 && missing.length > 0) throw missingFields(measure, missing);
    const formula = reasons.length === 0 ? this.selectFormula(ctx, reasons) : undefined;
    if (!formula) return this.result(ctx, false, ZERO, reasons);

    let amount = formula.pieces.reduce((sum, piece) => sum.plus(pieceAmount(ctx, piece)), ZERO);
    if (formula.pieces.length > 1) {
      const subtotal = amount;
      rec.step(() => ({ kind: 'subtotal', text: `各部分合计:${subtotal.toFixed()} 元` }));
    }
    for (const ceiling of formula.ceilings ?? []) amount = applyCeiling(ctx, amount, ceiling);
    const diff = measure.tierUpgradeDifference;
    if (diff)
      amount = deductPaid(
        ctx,
        amount,
        [measure.id, ...diff.deduct.filter((id) => id !== measure.id)],
        '进档差额',
        diff,
      );
    if (formula.includesPaid)
      amount = deductPaid(ctx, amount, formula.includesPaid.ids, '扣除已含的他方补助', formula.includesPaid);
    for (const addition of formula.additions ?? []) {
      const extra = pieceAmount(ctx, addition);
      const before = amount;
      amount = amount.plus(extra);
      rec.step(() => ({
        kind: 'addition',
        text: `上限之外另加 ${addition.label}:${before.toFixed()} + ${extra.toFixed()} = ${amount.toFixed()} 元`,
        citation: cite(ctx, addition.article, addition.quote),
      }));
    }
    const rounded = roundFen(amount);
    rec.step(() => ({
      kind: 'rounding',
      text: `四舍五入到分(文件未规定取整,统一在最后一步按四舍五入到分):${amount.toFixed()} 元 → ${yuan(rounded)} 元`,
    }));
    return this.result(ctx, true, rounded, reasons);
  }

  /** The first formula whose `when` holds; none: the reasons name each formula's failed condition. */
  private selectFormula(ctx: FormulaContext, reasons: Reason[]): Formula | undefined {
    const { c, doc, measure, rec } = ctx;
    const failures: Reason[] = [];
    for (const formula of measure.formulas) {
      const outcomes = (formula.when ?? []).map((cond) => ({ cond, outcome: evaluate(cond, c) }));
      for (const { cond } of outcomes) rec.input(cond.field, readField(c, cond.field));
      const failed = outcomes.find((o) => o.outcome === 'fail');
      if (failed) {
        const reason = conditionReason(doc, failed.cond, c);
        failures.push({ ...reason, message: `不适用“${formula.label}”:${reason.message}` });
        continue;
      }
      const absent = outcomes.filter((o) => o.outcome === 'missing').map((o) => o.cond);
      if (absent.length > 0) throw missingFields(measure, absent);
      if (measure.formulas.length > 1 || formula.when) {
        rec.step(() => ({
          kind: 'formula',
          text: `适用计算方式:${formula.label}${(formula.when ?? []).map((w) => `(${describeCondition(w)})`).join('')}`,
          citation: formula.when?.[0] ? cite(ctx, formula.when[0].article, formula.when[0].quote) : undefined,
        }));
      }
      return formula;
    }
    reasons.push(...failures);
    return undefined;
  }

  private result(
    ctx: FormulaContext,
    eligible: boolean,
    amount: typeof ZERO,
    reasons: Reason[],
  ): PayoutResult {
    const { c, doc, measure, rec, window } = ctx;
    let split: Record<string, string> | null = null;
    if (measure.funding) {
      const shares = splitByWeights(amount, measure.funding);
      split = Object.fromEntries(measure.funding.map((f, i) => [f.source, yuan(shares[i]!)]));
      const parts = split;
      rec.step(() => ({
        kind: 'split',
        text: `资金来源按 ${measure.funding!.map((f) => f.weight).join(':')} 分摊(以分为单位按比例取整,余下的分依次给余数最大者,余数相同给先列者):${Object.entries(
          parts,
        )
          .map(([s, v]) => `${s} ${v} 元`)
          .join(',')}`,
        citation: cite(ctx, measure.funding![0]!.article, measure.funding![0]!.quote),
      }));
    }
    for (const r of reasons)
      rec.step(() => ({
        kind: 'condition',
        text: `不符合:${r.condition}:${r.message}`,
        citation: { document: r.document, article: r.article },
      }));
    const text = yuan(amount);
    return {
      measure: measure.id,
      eligible,
      amount: text,
      reasons,
      split,
      trace: rec.on
        ? {
            measure: { id: measure.id, title: measure.title, article: measure.article },
            document: {
              id: doc.id,
              name: documentName(doc),
              issuer: doc.issuer,
              validFrom: window.from,
              validTo: window.to,
            },
            asOf: c.asOf,
            enterprise: c.enterprise.name,
            inputs: rec.inputs,
            parameters: rec.parameters,
            steps: rec.steps,
            eligible,
            amount: text,
            split,
          }
        : null,
    };
  }
}
