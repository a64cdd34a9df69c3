/** Request bodies compressed as a sink's `gzip` setting says (schema.ts: gzipSetting). */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

const compress = promisify(gzip);

/** The body to send: compressed at the setting's level (true: 1), or as it is (false). */
export async function gzipBody(body: string | Buffer, setting: boolean | number): Promise<string | Buffer> {
  if (setting === false) return body;
  return compress(body, { level: setting === true ? 1 : setting });
}
