/** Gateway ids and keys as the registry accepts them: the config's id grammar, Ed25519 public keys only. */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { CentralError } from './errors.ts';
import { GATEWAY_ID_PATTERN } from './schemas.ts';

/** Gateway ids follow the config's grammar (gateway.id). */
export function checkGatewayId(id: string): void {
  if (!new RegExp(GATEWAY_ID_PATTERN).test(id))
    throw new CentralError(
      'BAD_REQUEST',
      `gateway id "${id}": ids are 1–64 characters: letters, digits, _ . - (not first)`,
    );
}

/** A PEM public key that must be Ed25519; anything else is refused with the reason. */
export function parseEd25519(pem: string): KeyObject {
  // createPublicKey would derive a public key from a private one; a private key never leaves the box.
  if (pem.includes('PRIVATE KEY'))
    throw new CentralError('BAD_KEY', 'this is a private key; register the public key (gateway.pub)');
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (error) {
    throw new CentralError('BAD_KEY', `not a PEM public key: ${(error as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new CentralError('BAD_KEY', `the key is ${key.asymmetricKeyType}, not Ed25519`);
  return key;
}
