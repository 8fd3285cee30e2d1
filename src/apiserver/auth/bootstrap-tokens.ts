// Bootstrap tokens, as Kubernetes' (kubeadm join): a Secret of type bootstrap.kubernetes.io/token
// in kube-system named bootstrap-token-<id> holds token-id, token-secret, an optional expiration
// and auth-extra-groups, and usage-bootstrap-authentication=true. The bearer token <id>.<secret>
// then authenticates as system:bootstrap:<id> in group system:bootstrappers (and the extra groups,
// each of which must be under system:bootstrappers:) until it expires or the Secret is deleted.
// What such a user may do is RBAC's to say; by default: ask for a node certificate.
import { timingSafeEqual } from 'node:crypto';
import type { KubeObject } from '../../api/meta.ts';
import type { CredentialResult } from './authenticator.ts';
import type { Secret } from '../../api/kinds/core.ts';

export const BOOTSTRAP_TOKEN_SECRET_TYPE = 'bootstrap.kubernetes.io/token';
export const BOOTSTRAP_TOKEN_NAMESPACE = 'kube-system';
export const BOOTSTRAP_TOKEN_SECRET_PREFIX = 'bootstrap-token-';
export const BOOTSTRAPPERS_GROUP = 'system:bootstrappers';
const BOOTSTRAP_USER_PREFIX = 'system:bootstrap:';
/** <6 lower-case letters or digits>.<16 lower-case letters or digits> */
export const BOOTSTRAP_TOKEN_PATTERN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
const EXTRA_GROUP_PATTERN = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;


/** Finds kube-system Secret `name` (from the watch cache). */
export type SecretLookup = (name: string) => KubeObject | undefined;

/** The user name of bootstrap token `id`. */
export function bootstrapUsername(id: string): string {
  return `${BOOTSTRAP_USER_PREFIX}${id}`;
}

/** Why the groups of an auth-extra-groups value are not acceptable, or undefined. */
export function extraGroupsError(groups: string[]): string | undefined {
  const bad = groups.find((g) => !EXTRA_GROUP_PATTERN.test(g));
  return bad === undefined ? undefined : `auth-extra-groups: ${JSON.stringify(bad)} does not match ${EXTRA_GROUP_PATTERN.source}`;
}

export class BootstrapTokens {
  private readonly lookup: SecretLookup;
  private readonly now: () => number;

  constructor(lookup: SecretLookup, now: () => number = Date.now) {
    this.lookup = lookup;
    this.now = now;
  }

  authenticateToken(token: string): CredentialResult {
    const match = BOOTSTRAP_TOKEN_PATTERN.exec(token);
    if (!match) return undefined;
    const [, id, secret] = match;
    const name = `${BOOTSTRAP_TOKEN_SECRET_PREFIX}${id}`;
    const object = this.lookup(name) as Secret | undefined;
    const refuse = (why: string): CredentialResult => ({ error: `bootstrap token ${id}: ${why}` });
    if (!object) return refuse(`no Secret ${BOOTSTRAP_TOKEN_NAMESPACE}/${name}`);
    if (object.metadata.deletionTimestamp) return refuse('its Secret is being deleted');
    if (object.type !== BOOTSTRAP_TOKEN_SECRET_TYPE) return refuse(`Secret ${name} is not of type ${BOOTSTRAP_TOKEN_SECRET_TYPE}`);
    const data = (key: string) => (object.data?.[key] === undefined ? undefined : Buffer.from(object.data[key], 'base64').toString('utf8'));
    if (data('token-id') !== id) return refuse(`Secret ${name} has another token-id`);
    const stored = Buffer.from(data('token-secret') ?? '');
    const given = Buffer.from(secret);
    if (stored.length !== given.length || !timingSafeEqual(stored, given)) return refuse('the secret does not match');
    const expiration = data('expiration');
    if (expiration !== undefined) {
      const at = Date.parse(expiration);
      if (Number.isNaN(at)) return refuse(`its expiration ${JSON.stringify(expiration)} is not an RFC 3339 time`);
      if (at <= this.now()) return refuse(`expired at ${expiration}`);
    }
    if (data('usage-bootstrap-authentication') !== 'true') return refuse('not marked usage-bootstrap-authentication=true');
    const extra = (data('auth-extra-groups') ?? '').split(',').map((g) => g.trim()).filter((g) => g !== '');
    const invalid = extraGroupsError(extra);
    if (invalid) return refuse(invalid);
    return { user: { username: bootstrapUsername(id), groups: [...new Set([BOOTSTRAPPERS_GROUP, ...extra])] } };
  }
}
