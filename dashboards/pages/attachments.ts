/**
 * Evidence uploads on the assessment page: the attachments of the record (item, file, description,
 * effective date, upload time, SHA-256) and a multipart form posting a file to the platform's
 * attachment workflow (`attachToAssessment`: the same type and size limits as the API). The form's
 * fields come before its file, so the CSRF token and the fields are read before the content; a
 * refusal comes back on the page (400) with the fields kept and what to fix, in the reader's language.
 */
import type { FastifyRequest } from 'fastify';
import type { Catalogue } from '../../assessment/catalogue/load.ts';
import type { AssessmentRecord } from '../../assessment/records/workflow.ts';
import { attachmentProblem } from '../platform/assessments/attachments.ts';
import { requireFormCsrf } from '../platform/auth.ts';
import { beijingTime, esc, type PageContext, table } from './html.ts';
import type { MessageKey } from './i18n.ts';

/** What the upload form held, and why it was refused (to show it again). */
export interface UploadForm {
  item: string;
  description: string;
  effectiveDate: string;
  error?: string;
}

export interface Upload {
  item: string;
  description: string;
  effectiveDate: string;
  fileName: string;
  mediaType: string;
  content: Buffer;
}

/** Multipart failures that mean the file (or the form) is over the platform's limits. */
const TOO_LARGE = new Set([
  'FST_REQ_FILE_TOO_LARGE',
  'FST_FILES_LIMIT',
  'FST_PARTS_LIMIT',
  'FST_FIELDS_LIMIT',
]);

/** A byte count as people read a limit: "10 MB", "64 KB". */
export function sizeText(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  if (mb >= 1) return `${Number.isInteger(mb) ? mb : mb.toFixed(1)} MB`;
  return `${Math.ceil(bytes / 1024)} KB`;
}

const isDay = (text: string) =>
  /^\d{4}-\d{2}-\d{2}$/.test(text) && new Date(`${text}T00:00:00Z`).toISOString().startsWith(text);

/**
 * Reads the upload form: its CSRF token first (refused as any change without it), then the fields
 * and the file, each mistake said in the reader's language. The file is read only when the fields hold.
 */
export async function readUpload(
  ctx: PageContext,
  request: FastifyRequest,
  catalogue: Catalogue,
  maxBytes: number,
): Promise<{ upload: Upload; form: UploadForm } | { form: UploadForm }> {
  const { t } = ctx;
  const blank: UploadForm = { item: '', description: '', effectiveDate: '' };
  const tooLarge = t('as.att.err.size', { max: sizeText(maxBytes) });
  if (!request.isMultipart()) return { form: { ...blank, error: t('as.att.err.file') } };
  let file: Awaited<ReturnType<FastifyRequest['file']>>;
  try {
    file = await request.file();
  } catch (error) {
    if (TOO_LARGE.has((error as { code?: string }).code ?? ''))
      return { form: { ...blank, error: tooLarge } };
    throw error;
  }
  const field = (name: string): string => {
    const part = file?.fields[name];
    const value = part && !Array.isArray(part) && part.type === 'field' ? part.value : undefined;
    return typeof value === 'string' ? value.trim() : '';
  };
  // Nothing is read or kept before the token is checked.
  try {
    requireFormCsrf(request, field('_csrf') || undefined);
  } catch (error) {
    file?.file.resume();
    throw error;
  }
  const form: UploadForm = {
    item: field('item'),
    description: field('description'),
    effectiveDate: field('effectiveDate'),
  };
  const refuse = (error: string) => {
    file?.file.resume();
    return { form: { ...form, error } };
  };
  if (!catalogue.items.some((i) => i.id === form.item)) return refuse(t('as.att.err.item'));
  if (form.description === '') return refuse(t('as.att.err.description'));
  if (!isDay(form.effectiveDate)) return refuse(t('as.att.err.date'));
  if (!file || file.filename === '') return refuse(t('as.att.err.file'));
  let content: Buffer;
  try {
    content = await file.toBuffer();
  } catch (error) {
    if (TOO_LARGE.has((error as { code?: string }).code ?? '')) return { form: { ...form, error: tooLarge } };
    throw error;
  }
  const problem = attachmentProblem(file.mimetype, content);
  if (problem)
    return {
      form: {
        ...form,
        error: t(`as.att.err.${problem}` as MessageKey, { file: file.filename, type: file.mimetype }),
      },
    };
  return { form, upload: { ...form, fileName: file.filename, mediaType: file.mimetype, content } };
}

/** The record's attachments and, while it may still change, the upload form. */
export function attachmentsSection(
  ctx: PageContext,
  catalogue: Catalogue,
  record: AssessmentRecord,
  options: { canAttach: boolean; maxBytes: number; form?: UploadForm | undefined },
): string {
  const { t } = ctx;
  const id = encodeURIComponent(record.id);
  const itemName = (item: string) => catalogue.items.find((i) => i.id === item)?.name ?? item;
  const list =
    record.attachments.length === 0
      ? `<p class="muted">${esc(t('as.att.none'))}</p>`
      : table(
          (
            [
              'as.att.item',
              'as.att.file',
              'as.att.description',
              'as.att.effective',
              'as.att.uploaded',
              'as.att.hash',
            ] as const
          ).map((k) => esc(t(k))),
          record.attachments.map((a) => [
            esc(itemName(a.item)),
            `<a href="/api/v1/assessments/${id}/attachments/${esc(a.sha256)}" download="${esc(a.file)}">${esc(a.file)}</a>`,
            esc(a.description),
            esc(a.effectiveDate),
            esc(beijingTime(Date.parse(a.uploadedAt))),
            `<code class="hash" data-sha256>${esc(a.sha256)}</code>`,
          ]),
        );
  let form = '';
  if (options.canAttach && record.validation) form = `<p class="muted">${esc(t('as.att.closed'))}</p>`;
  else if (options.canAttach) {
    const f = options.form ?? { item: '', description: '', effectiveDate: '' };
    const invalid = f.error ? ' aria-invalid="true" aria-describedby="upload-error"' : '';
    const items = catalogue.items
      .map((i) => `<option value="${esc(i.id)}"${i.id === f.item ? ' selected' : ''}>${esc(i.name)}</option>`)
      .join('');
    form = `<h3 id="h-upload">${esc(t('as.att.upload'))}</h3><form method="post" aria-labelledby="h-upload" action="/assessments/${id}/attachments#attachments" enctype="multipart/form-data" class="upload" novalidate>
<input type="hidden" name="_csrf" value="${esc(ctx.csrf ?? '')}">
${f.error ? `<p class="error" role="alert" id="upload-error">${esc(f.error)}</p>` : ''}
<label for="att-item">${esc(t('as.att.item'))}</label><select id="att-item" name="item" required><option value="">—</option>${items}</select>
<label for="att-description">${esc(t('as.att.description'))}</label><input id="att-description" name="description" maxlength="500" value="${esc(f.description)}" required>
<label for="att-date">${esc(t('as.att.effective'))}</label><input id="att-date" name="effectiveDate" type="date" value="${esc(f.effectiveDate)}" required>
<label for="att-file">${esc(t('as.att.choose'))}</label><input id="att-file" name="file" type="file" accept=".pdf,.png,.jpg,.jpeg,.xlsx,.docx,.csv,.txt" required${invalid}>
<p class="muted">${esc(t('as.att.limits', { max: sizeText(options.maxBytes) }))}</p>
<p><button type="submit">${esc(t('as.att.submit'))}</button></p></form>`;
  }
  return `<section id="attachments" aria-labelledby="h-att"><h2 id="h-att">${esc(t('as.att'))}</h2>${list}${form}</section>`;
}
