/**
 * The client PKI folder (node-opcua's layout): own/ holds the client certificate (created once, then
 * reused, so a server's trust in it survives restarts), trusted/certs/ the server certificates we
 * trust, rejected/ the ones seen and refused. Unknown server certificates are never accepted
 * automatically; an operator moves them with `shugai pki trust`.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';

/** Opens (creating if needed) a PKI folder; the caller disposes it. */
export async function openPki(pkiDir: string): Promise<OPCUACertificateManager> {
  mkdirSync(pkiDir, { recursive: true });
  const manager = new OPCUACertificateManager({
    rootFolder: pkiDir,
    automaticallyAcceptUnknownCertificate: false,
    // The collector reloads the folders before each connect, so `shugai pki trust` run by an operator
    // in another process takes effect on the next attempt without watcher delays.
    disableFileWatchers: true,
  });
  await manager.initialize();
  return manager;
}

export type FingerprintAlgorithm = 'sha256' | 'sha1';

/** `sha256:AB:CD:…` (or sha1), the form `shugai pki list` prints and `serverCertificateFingerprint` takes. */
export function fingerprint(der: Buffer, algorithm: FingerprintAlgorithm = 'sha256'): string {
  const hex = createHash(algorithm).update(der).digest('hex').toUpperCase();
  return `${algorithm}:${hex.match(/../g)?.join(':') ?? ''}`;
}

/** Whether a certificate matches a fingerprint given as `sha256:…`/`sha1:…`, colons and case ignored. */
export function matchesFingerprint(der: Buffer, wanted: string): boolean {
  const match = /^(sha1|sha256):(.+)$/i.exec(wanted.trim());
  if (!match) return false;
  const algorithm = (match[1] as string).toLowerCase() as FingerprintAlgorithm;
  const hex = (match[2] as string).replace(/:/g, '').toLowerCase();
  return createHash(algorithm).update(der).digest('hex') === hex;
}

export interface CertificateEntry {
  status: 'trusted' | 'rejected';
  file: string;
  sha256: string;
  sha1: string;
  subject: string;
  validTo: string;
  der: Buffer;
}

/** Reads a PEM or DER certificate file (the first certificate of a PEM chain). */
export function readCertificateFile(file: string): Buffer {
  const content = readFileSync(file);
  try {
    return Buffer.from(new X509Certificate(content).raw);
  } catch (error) {
    throw new Error(`${file} is not a PEM or DER certificate: ${(error as Error).message}`);
  }
}

/** Every certificate in the trusted and rejected folders; `unreadable` gets files that do not parse. */
export function listCertificates(pkiDir: string, unreadable: string[] = []): CertificateEntry[] {
  const entries: CertificateEntry[] = [];
  const folders = [
    ['trusted', path.join(pkiDir, 'trusted', 'certs')],
    ['rejected', path.join(pkiDir, 'rejected')],
  ] as const;
  for (const [status, folder] of folders) {
    let files: string[];
    try {
      files = readdirSync(folder).filter((f) => /\.(pem|der|crt|cer)$/i.test(f));
    } catch {
      continue;
    }
    for (const name of files.sort()) {
      const file = path.join(folder, name);
      let der: Buffer;
      try {
        der = readCertificateFile(file);
      } catch (error) {
        // A file being written by the collector, or garbage copied in by hand: report, never crash.
        unreadable.push((error as Error).message);
        continue;
      }
      const x509 = new X509Certificate(der);
      entries.push({
        status,
        file,
        sha256: fingerprint(der, 'sha256'),
        sha1: fingerprint(der, 'sha1'),
        subject: x509.subject.replace(/\n/g, ', '),
        validTo: new Date(x509.validTo).toISOString(),
        der,
      });
    }
  }
  return entries;
}

/**
 * Finds the one certificate a selector names: a fingerprint (`sha256:…`, `sha1:…`, or a unique hex
 * prefix of either, colons ignored) among the PKI's certificates, or a certificate file path.
 */
export function selectCertificate(
  pkiDir: string,
  selector: string,
  status?: CertificateEntry['status'],
): CertificateEntry | { file: string; der: Buffer } {
  const all = listCertificates(pkiDir).filter((entry) => status === undefined || entry.status === status);
  const wanted = selector
    .replace(/^(sha1|sha256):/i, '')
    .replace(/:/g, '')
    .toLowerCase();
  if (/^[0-9a-f]{6,64}$/.test(wanted)) {
    const hits = all.filter((entry) =>
      [entry.sha256, entry.sha1].some((f) =>
        f
          .slice(f.indexOf(':') + 1)
          .replace(/:/g, '')
          .toLowerCase()
          .startsWith(wanted),
      ),
    );
    if (hits.length === 1) return hits[0] as CertificateEntry;
    if (hits.length > 1)
      throw new Error(`fingerprint ${selector} matches ${hits.length} certificates; give more digits`);
  }
  try {
    return { file: selector, der: readCertificateFile(selector) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const where = status === undefined ? 'the PKI' : `the ${status} certificates`;
  throw new Error(`no certificate ${selector} in ${where} of ${pkiDir} (see \`shugai pki list\`)`);
}

/** Moves a certificate to trusted/ (from rejected/, or adds a file) and returns it. */
export async function trustCertificate(pkiDir: string, selector: string): Promise<{ der: Buffer }> {
  const entry = selectCertificate(pkiDir, selector);
  const manager = await openPki(pkiDir);
  try {
    await manager.trustCertificate(entry.der);
  } finally {
    await manager.dispose();
  }
  return entry;
}

/** Moves a trusted certificate to rejected/. */
export async function rejectCertificate(pkiDir: string, selector: string): Promise<{ der: Buffer }> {
  const entry = selectCertificate(pkiDir, selector, 'trusted');
  const manager = await openPki(pkiDir);
  try {
    await manager.rejectCertificate(entry.der);
  } finally {
    await manager.dispose();
  }
  return entry;
}
