/**
 * What an uploaded attachment may be: a few document types, recognised by their first bytes (the
 * declared type must agree with the content, so a renamed executable is refused), within a size limit.
 */
import { PlatformError } from '../errors.ts';

interface Kind {
  mediaType: string;
  matches(content: Buffer): boolean;
}

const startsWith = (bytes: number[]) => (content: Buffer) => bytes.every((b, i) => content[i] === b);
const ZIP = startsWith([0x50, 0x4b, 0x03, 0x04]);
/** Text: valid UTF-8 without NUL bytes. */
const text = (content: Buffer) =>
  !content.includes(0) && Buffer.from(content.toString('utf8'), 'utf8').equals(content);

export const ATTACHMENT_KINDS: readonly Kind[] = [
  { mediaType: 'application/pdf', matches: startsWith([0x25, 0x50, 0x44, 0x46, 0x2d]) },
  { mediaType: 'image/png', matches: startsWith([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  { mediaType: 'image/jpeg', matches: startsWith([0xff, 0xd8, 0xff]) },
  { mediaType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', matches: ZIP },
  { mediaType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', matches: ZIP },
  { mediaType: 'text/csv', matches: text },
  { mediaType: 'text/plain', matches: text },
];

/** Why an upload is refused: a type not accepted, no content, or content not of the declared type. */
export type AttachmentProblem = 'type' | 'empty' | 'content';

/** What is wrong with an upload, or null when it may be kept (the pages say it in Chinese). */
export function attachmentProblem(mediaType: string, content: Buffer): AttachmentProblem | null {
  const kind = ATTACHMENT_KINDS.find((k) => k.mediaType === declaredType(mediaType));
  if (!kind) return 'type';
  if (content.length === 0) return 'empty';
  return kind.matches(content) ? null : 'content';
}

const declaredType = (mediaType: string) => mediaType.split(';')[0]?.trim().toLowerCase() ?? '';

/** Throws UNSUPPORTED_MEDIA_TYPE unless the declared type is allowed and the content is of it. */
export function checkAttachment(mediaType: string, content: Buffer): void {
  const declared = declaredType(mediaType);
  const problem = attachmentProblem(mediaType, content);
  if (problem === 'type')
    throw new PlatformError(
      'UNSUPPORTED_MEDIA_TYPE',
      `attachments of type ${declared || '(none)'} are not accepted (accepted: ${ATTACHMENT_KINDS.map((k) => k.mediaType).join(', ')})`,
    );
  if (problem === 'empty') throw new PlatformError('BAD_REQUEST', 'the attachment is empty');
  if (problem === 'content')
    throw new PlatformError(
      'UNSUPPORTED_MEDIA_TYPE',
      `the content is not ${declared}: its first bytes do not match the type`,
    );
}
