/** The 计算说明: a payout's trace as Chinese text (for the officer) and as a self-contained HTML page. */
import { describeCode } from '../industry/table.ts';
import type { PayoutResult } from './book.ts';
import type { Citation, Trace } from './trace.ts';

const SOURCE_NAMES: Record<string, string> = {
  central: '中央财政',
  province: '省级财政',
  city: '市级财政',
  district: '区级财政',
};

function citation(c: Citation | undefined): string {
  return c ? `〔${c.document} ${c.article}${c.quote ? `:“${c.quote}”` : ''}〕` : '';
}

function window(t: Trace): string {
  return t.document.validTo === null
    ? `${t.document.validFrom} 起,无截止日期`
    : `${t.document.validFrom} 至 ${t.document.validTo}`;
}

function inputValue(v: unknown): string {
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** Lines of the 计算说明, shared by the text and HTML forms. */
function sections(result: PayoutResult, t: Trace): { title: string; lines: string[] }[] {
  return [
    {
      title: '依据',
      lines: [
        `措施:${t.measure.title}(${t.measure.id})`,
        `文件:${t.document.name} ${t.measure.article},${t.document.issuer},有效期 ${window(t)}`,
        `企业:${t.enterprise};申请日期:${t.asOf}`,
      ],
    },
    {
      title: '读入数据',
      // The industry code with its official name: the officer reads 3465 风动和电动工具制造, not 3465.
      lines: Object.entries(t.inputs).map(
        ([k, v]) => `${k} = ${k === 'enterprise.industry' ? describeCode(v as string) : inputValue(v)}`,
      ),
    },
    {
      title: '参数',
      lines: t.parameters.map(
        (p) =>
          `${p.name} = ${p.value}(${p.meaning};${p.source === 'param' ? '由 --param 提供,文件未定数值' : '文件规定'};文件有效期 ${p.validFrom ?? '?'} 至 ${p.validTo ?? '无截止日期'})${citation(p.citation)}`,
      ),
    },
    { title: '计算步骤', lines: t.steps.map((s, i) => `${i + 1}. ${s.text}${citation(s.citation)}`) },
    {
      title: '结果',
      lines: [
        result.eligible ? `符合条件,计算金额 ${result.amount} 元` : `不符合条件,金额 ${result.amount} 元`,
        ...result.reasons.map((r) => `不符合:${r.message}〔${r.document} ${r.article}〕`),
        ...Object.entries(result.split ?? {}).map(([s, v]) => `${SOURCE_NAMES[s] ?? s}:${v} 元`),
      ],
    },
  ];
}

function needTrace(result: PayoutResult): Trace {
  if (!result.trace) throw new Error('the 计算说明 needs a result computed with its trace');
  return result.trace;
}

export function renderText(result: PayoutResult): string {
  const parts = sections(result, needTrace(result)).map(
    (s) => `【${s.title}】\n${s.lines.length ? s.lines.map((l) => `  ${l}`).join('\n') : '  (无)'}`,
  );
  return `计算说明\n${parts.join('\n')}\n`;
}

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!,
  );

export function renderHtml(result: PayoutResult): string {
  const t = needTrace(result);
  const body = sections(result, t)
    .map(
      (s) =>
        `<section><h2>${escapeHtml(s.title)}</h2><ol>${s.lines.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ol></section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>计算说明 ${escapeHtml(t.measure.id)}</title>
<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;line-height:1.6}h2{font-size:1.1rem;border-bottom:1px solid #ccc}</style>
</head><body><h1>计算说明</h1>
${body}
</body></html>
`;
}
