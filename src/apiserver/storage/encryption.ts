// Encryption at rest, configured like kube-apiserver's --encryption-provider-config: an
// EncryptionConfiguration (apiserver.config.k8s.io/v1) naming, per resource, providers in order —
// `aesgcm` with one or more keys, and `identity` (plain). The first provider writes; all read.
// Rotation: put a new key first, restart, rewrite the objects (any update does), drop the old key.
// Stored form: "k8s:enc:aesgcm:v1:<key name>:" + 12-byte nonce + ciphertext + 16-byte tag.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

/** Turns stored values to and from what is kept on disk, per storage key. */
export interface ValueTransformer {
  toStorage(key: string, json: string): string;
  fromStorage(key: string, stored: string): string;
}

export const IDENTITY: ValueTransformer = { toStorage: (_k, json) => json, fromStorage: (_k, stored) => stored };

const PREFIX = 'k8s:enc:aesgcm:v1:';

interface AesKey { name: string; secret: Buffer }
interface ResourceRule { prefixes: string[]; keys: AesKey[]; encrypt: boolean }

export class EncryptionConfigError extends Error {}

/** "secrets" → "/core/secrets/", "widgets.example.com" → "/example.com/widgets/". */
function prefixOf(resource: string): string {
  const dot = resource.indexOf('.');
  return dot < 0 ? `/core/${resource}/` : `/${resource.slice(dot + 1)}/${resource.slice(0, dot)}/`;
}

export function loadEncryptionConfig(path: string): ValueTransformer {
  let doc: { kind?: string; resources?: { resources?: string[]; providers?: Record<string, { keys?: { name?: string; secret?: string }[] }>[] }[] };
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new EncryptionConfigError(`cannot read encryption config ${path}: ${(err as Error).message}`);
  }
  if (doc?.kind !== 'EncryptionConfiguration' || !Array.isArray(doc.resources)) {
    throw new EncryptionConfigError(`${path} is not an EncryptionConfiguration (apiserver.config.k8s.io/v1) with a resources list`);
  }
  const rules: ResourceRule[] = doc.resources.map((r, i) => {
    if (!r.resources?.length || !r.providers?.length) throw new EncryptionConfigError(`${path}: resources[${i}] needs resources and providers`);
    const keys: AesKey[] = [];
    let encrypt: boolean | undefined;
    for (const provider of r.providers) {
      const [kind] = Object.keys(provider);
      if (kind === 'identity') encrypt ??= false;
      else if (kind === 'aesgcm') {
        encrypt ??= true;
        for (const k of provider.aesgcm.keys ?? []) {
          const secret = Buffer.from(k.secret ?? '', 'base64');
          if (!k.name || ![16, 24, 32].includes(secret.length)) {
            throw new EncryptionConfigError(`${path}: aesgcm key ${JSON.stringify(k.name ?? '')} needs a name and a base64 secret of 16, 24 or 32 bytes`);
          }
          keys.push({ name: k.name, secret });
        }
      } else throw new EncryptionConfigError(`${path}: provider ${JSON.stringify(kind)} is not supported (aesgcm and identity are)`);
    }
    if (encrypt && keys.length === 0) throw new EncryptionConfigError(`${path}: resources[${i}] has an aesgcm provider without keys`);
    return { prefixes: r.resources.map(prefixOf), keys, encrypt: encrypt ?? false };
  });
  const ruleFor = (key: string) => rules.find((r) => r.prefixes.some((p) => key.startsWith(p)));
  return {
    toStorage(key, json) {
      const rule = ruleFor(key);
      if (!rule?.encrypt) return json;
      const { name, secret } = rule.keys[0];
      const nonce = randomBytes(12);
      const cipher = createCipheriv(`aes-${secret.length * 8}-gcm` as 'aes-256-gcm', secret, nonce);
      const sealed = Buffer.concat([nonce, cipher.update(json, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${PREFIX}${name}:${sealed.toString('base64')}`;
    },
    fromStorage(key, stored) {
      if (!stored.startsWith(PREFIX)) return stored;
      const rest = stored.slice(PREFIX.length);
      const colon = rest.indexOf(':');
      const name = rest.slice(0, colon);
      const secret = ruleFor(key)?.keys.find((k) => k.name === name)?.secret ?? rules.flatMap((r) => r.keys).find((k) => k.name === name)?.secret;
      if (!secret) throw new Error(`${key} is encrypted with key "${name}", which the encryption config no longer has`);
      const sealed = Buffer.from(rest.slice(colon + 1), 'base64');
      const decipher = createDecipheriv(`aes-${secret.length * 8}-gcm` as 'aes-256-gcm', secret, sealed.subarray(0, 12));
      decipher.setAuthTag(sealed.subarray(sealed.length - 16));
      return Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]).toString('utf8');
    },
  };
}
