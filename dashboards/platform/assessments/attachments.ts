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

/** Throws UNSUPPORTED_MEDIA_TYPE unless the declared type is allowed and the content is of it. */
export function checkAttachment(mediaType: string, content: Buffer): void {
  const declared = mediaType.split(';')[0]?.trim().toLowerCase() ?? '';
  const kind = ATTACHMENT_KINDS.find((k) => k.mediaType === declared);
  if (!kind)
    throw new PlatformError(
      'UNSUPPORTED_MEDIA_TYPE',
      `attachments of type ${declared || '(none)'} are not accepted (accepted: ${ATTACHMENT_KINDS.map((k) => k.mediaType).join(', ')})`,
    );
  if (content.length === 0) throw new PlatformError('BAD_REQUEST', 'the attachment is empty');
  if (!kind.matches(content))
    throw new PlatformError(
      'UNSUPPORTED_MEDIA_TYPE',
      `the content is not ${declared}: its first bytes do not match the type`,
    );
}
