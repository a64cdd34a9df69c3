/**
 * The gateway's identity: an Ed25519 key pair made on the box. The private key never leaves it
 * (file mode 0600, never logged); the public key and its fingerprint are registered with the bureau.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface Identity {
  privateKey: KeyObject;
  publicKey: KeyObject;
  fingerprint: string;
  publicKeyPem: string;
}

export const identityFiles = (dataDir: string) => ({
  dir: path.join(dataDir, 'identity'),
  privateKey: path.join(dataDir, 'identity', 'gateway.key'),
  publicKey: path.join(dataDir, 'identity', 'gateway.pub'),
});

/** `sha256:<hex>` of the DER public key (SubjectPublicKeyInfo). */
export function fingerprint(publicKey: KeyObject): string {
  return `sha256:${createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')}`;
}

/** Creates the key pair unless one exists; returns the identity and whether it was created. */
export function initIdentity(dataDir: string): { identity: Identity; created: boolean } {
  const files = identityFiles(dataDir);
  if (existsSync(files.privateKey)) return { identity: loadIdentity(dataDir), created: false };
  mkdirSync(files.dir, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  // 'wx': never overwrite a key that appeared meanwhile.
  writeFileSync(files.privateKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), {
    mode: 0o600,
    flag: 'wx',
  });
  writeFileSync(files.publicKey, publicKey.export({ type: 'spki', format: 'pem' }), {
    mode: 0o644,
    flag: 'wx',
  });
  return { identity: loadIdentity(dataDir), created: true };
}

export function loadIdentity(dataDir: string): Identity {
  const files = identityFiles(dataDir);
  const privateKey = createPrivateKey(readFileSync(files.privateKey));
  const publicKey = createPublicKey(privateKey);
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return { privateKey, publicKey, fingerprint: fingerprint(publicKey), publicKeyPem };
}

export function loadPublicKey(file: string): KeyObject {
  const key = createPublicKey(readFileSync(file));
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${file} is not an Ed25519 public key`);
  return key;
}
