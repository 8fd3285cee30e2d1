// The key the server signs service account tokens with: ECDSA P-256, made on first start and kept
// as DATA_DIR/pki/sa.key (PKCS#8, mode 0600) so tokens stay valid across restarts.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Names the key in token headers: base64url SHA-256 of the public key, as Kubernetes does. */
  keyId: string;
}

const SIGNING_KEY_FILE = 'sa.key';

export async function ensureSigningKey(pkiDir: string): Promise<SigningKey> {
  const path = join(pkiDir, SIGNING_KEY_FILE);
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    await mkdir(pkiDir, { recursive: true, mode: 0o700 });
    const tmp = `${path}.tmp-${process.pid}`;
    await writeFile(tmp, pem, { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, path);
  }
  return signingKeyFromPem(pem);
}

export function signingKeyFromPem(pem: string): SigningKey {
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('the service account signing key must be an ECDSA P-256 key');
  }
  const publicKey = createPublicKey(privateKey);
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return { privateKey, publicKey, keyId: createHash('sha256').update(der).digest('base64url') };
}
