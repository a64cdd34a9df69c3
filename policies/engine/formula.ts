/**
 * Formula pieces: a rate of a base, a marginal scale of a base (each bracket's rate on the part of
 * the base inside it), a fixed sum; then ceilings (per project, per enterprise, per enterprise and
 * year against earlier payouts), 进档差额 and additions paid on top. No rounding here: the caller
 * rounds once, at the end.
 */
import type { PayoutCase } from '../case.ts';
import { PolicyError } from '../errors.ts';
import { Dec, money, percent, ZERO } from '../money.ts';
import type { Ceiling, FieldName, Measure, Piece, PolicyDocument } from '../schema.ts';
import { describeCondition, evaluate, FIELD_LABELS, formatValue, readField } from './conditions.ts';
import { documentName, type Params } from './params.ts';
import type { Citation, Recorder } from './trace.ts';
import type { Window } from './validity.ts';

export interface FormulaContext {
  c: PayoutCase;
  doc: PolicyDocument;
  /** The document's validity as resolved for this case. */
  window: Window;
  measure: Measure;
  params: Params;
  rec: Recorder;
}

const fmt = (v: Dec) => v.toFixed();
const SCOPE_TEXT = {
  perProject: '单个项目',
  perAward: '单项',
  perEnterprise: '单个企业累计',
  perEnterprisePerYear: '单个企业每年',
} as const;

export function cite(ctx: FormulaContext, article: string, quote?: string): Citation {
  return quote === undefined
    ? { document: documentName(ctx.doc), article }
    : { document: documentName(ctx.doc), article, quote };
}

/** A field a formula reads must be in the case: a missing amount is never read as zero. */
export function requireMoney(ctx: FormulaContext, field: FieldName, why: string): Dec {
  const value = readField(ctx.c, field);
  if (value === undefined) {
    throw new PolicyError(
      'SHUGAI_CASE_INVALID',
      `case invalid:\n${field}: missing; ${ctx.measure.id} needs it (${why}); write "0" if there is none`,
    );
  }
  ctx.rec.input(field, value);
  return money(value as string);
}

function rateOf(
  ctx: FormulaContext,
  rate: string | { parameter: string },
  name: string,
  meaning: string,
  at: { article: string; quote: string },
): Dec {
  if (typeof rate === 'object') return ctx.params.rate(rate.parameter);
  const value = new Dec(rate);
  documentFigure(ctx, name, percent(value), meaning, at);
  return value;
}

/** Records a figure the document itself states, with its citation and the window it is valid in. */
function documentFigure(
  ctx: FormulaContext,
  name: string,
  value: string,
  meaning: string,
  at: { article: string; quote: string },
): void {
  ctx.rec.parameter(() => ({
    name: `${ctx.measure.id}/${name}`,
    value,
    meaning,
    source: 'document',
    citation: cite(ctx, at.article, at.quote),
    validFrom: ctx.window.from,
    validTo: ctx.window.to,
  }));
}

/** The piece's amount, or zero with the reason when its own gate (`when`) does not hold. */
export function pieceAmount(ctx: FormulaContext, piece: Piece): Dec {
  for (const cond of piece.when ?? []) {
    const outcome = evaluate(cond, ctx.c);
    if (outcome === 'missing') requireMoney(ctx, cond.field, `${cond.article}: ${piece.label}`);
    ctx.rec.input(cond.field, readField(ctx.c, cond.field));
    if (outcome === 'fail') {
      ctx.rec.step(() => ({
        kind: 'piece',
        text: `${piece.label}:${FIELD_LABELS[cond.field]} ${formatValue(cond.field, readField(ctx.c, cond.field))},不满足 ${describeCondition(cond)},此部分不计 = 0 元`,
        citation: cite(ctx, cond.article, cond.quote),
      }));
      return ZERO;
    }
  }
  const nature = piece.nature === 'ceiling' ? '(上限)' : '';
  if (piece.amount !== undefined) {
    const amount = money(piece.amount);
    documentFigure(ctx, piece.id, `${piece.amount} 元`, piece.label, piece);
    ctx.rec.step(() => ({
      kind: 'piece',
      text: `${piece.label}${nature}:${fmt(amount)} 元`,
      citation: cite(ctx, piece.article, piece.quote),
    }));
    return amount;
  }
  const base = requireMoney(ctx, piece.base!, `${piece.article}: ${piece.label}`);
  if (piece.rate !== undefined) {
    const rate = rateOf(ctx, piece.rate, `${piece.id}.rate`, `${piece.label}比例`, piece);
    const amount = base.mul(rate);
    ctx.rec.step(() => ({
      kind: 'piece',
      text: `${piece.label}${nature}:${FIELD_LABELS[piece.base!]} ${fmt(base)} 元 × ${percent(rate)} = ${fmt(amount)} 元`,
      citation: cite(ctx, piece.article, piece.quote),
    }));
    return amount;
  }
  let total = ZERO;
  const brackets = piece.brackets!;
  brackets.forEach((b, i) => {
    const low = money(b.threshold);
    const next = brackets[i + 1];
    const high = next === undefined ? base : Dec.min(base, money(next.threshold));
    const part = Dec.max(ZERO, high.minus(low));
    const range =
      next === undefined ? `超过 ${fmt(low)} 元的部分` : `${fmt(low)} 至 ${next.threshold} 元(含)部分`;
    if (part.isZero()) {
      ctx.rec.step(() => ({
        kind: 'bracket',
        text: `${piece.label} 第 ${i + 1} 档(${range}):${FIELD_LABELS[piece.base!]} ${fmt(base)} 元未进入本档,不计`,
        citation: cite(ctx, b.article, b.quote),
      }));
      return;
    }
    const rate = rateOf(
      ctx,
      b.rate,
      `${piece.id}.bracket${i + 1}.rate`,
      `${piece.label}第 ${i + 1} 档比例`,
      b,
    );
    const amount = part.mul(rate);
    total = total.plus(amount);
    ctx.rec.step(() => ({
      kind: 'bracket',
      text: `${piece.label} 第 ${i + 1} 档(${range}):${fmt(part)} 元 × ${percent(rate)} = ${fmt(amount)} 元`,
      citation: cite(ctx, b.article, b.quote),
    }));
  });
  ctx.rec.step(() => ({
    kind: 'piece',
    text: `${piece.label}${nature}合计:${fmt(total)} 元`,
    citation: cite(ctx, piece.article, piece.quote),
  }));
  return total;
}

/** Sum of earlier payouts of these ids, optionally only those in the asOf year. */
export function paidBefore(ctx: FormulaContext, ids: readonly string[], sameYear: boolean): Dec {
  const year = ctx.c.asOf.slice(0, 4);
  return (ctx.c.priorPayouts ?? [])
    .filter((p) => ids.includes(p.measure) && (!sameYear || p.date.startsWith(year)))
    .reduce((sum, p) => sum.plus(money(p.amount)), ZERO);
}

export function applyCeiling(ctx: FormulaContext, amount: Dec, ceiling: Ceiling): Dec {
  const limit = money(ceiling.amount);
  documentFigure(
    ctx,
    `ceiling.${ceiling.scope}`,
    `${ceiling.amount} 元`,
    `${SCOPE_TEXT[ceiling.scope]}上限`,
    ceiling,
  );
  const cumulative = ceiling.scope === 'perEnterprise' || ceiling.scope === 'perEnterprisePerYear';
  const paid = cumulative
    ? paidBefore(ctx, [ctx.measure.id], ceiling.scope === 'perEnterprisePerYear')
    : ZERO;
  const room = Dec.max(ZERO, limit.minus(paid));
  const result = Dec.min(amount, room);
  ctx.rec.step(() => ({
    kind: 'ceiling',
    text:
      `${SCOPE_TEXT[ceiling.scope]}上限 ${fmt(limit)} 元` +
      (cumulative ? `,已获本项 ${fmt(paid)} 元,余额 ${fmt(room)} 元` : '') +
      `:计算值 ${fmt(amount)} 元,${amount.gt(room) ? `封顶取 ${fmt(result)} 元` : '未达上限'}`,
    citation: cite(ctx, ceiling.article, ceiling.quote),
  }));
  return result;
}

/**
 * Deducts what was already paid: 进档差额 (this measure's earlier tiers and the ids it names) or a sum
 * that includes others' money (含省市补助). Never below zero.
 */
export function deductPaid(
  ctx: FormulaContext,
  amount: Dec,
  ids: readonly string[],
  what: string,
  at: { article: string; quote: string },
): Dec {
  const paid = paidBefore(ctx, ids, false);
  const result = Dec.max(ZERO, amount.minus(paid));
  ctx.rec.step(() => ({
    kind: 'difference',
    text: `${what}:${fmt(amount)} 元 − 已获 ${fmt(paid)} 元(${ids.join('、')})= ${fmt(result)} 元`,
    citation: cite(ctx, at.article, at.quote),
  }));
  return result;
}
