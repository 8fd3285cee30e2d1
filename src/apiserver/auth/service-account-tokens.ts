// ServiceAccount tokens: JWTs the server issues through TokenRequest and accepts as bearer tokens.
// The claims are Kubernetes' (iss, sub, aud, exp, iat, nbf, jti, and kubernetes.io naming the
// namespace, the ServiceAccount and any object the token is bound to). A token is accepted while
// it is unexpired, meant for this server (one of its audiences), and every object it names still
// exists with the uid it had at issue: deleting the ServiceAccount, or the bound Pod or Secret,
// revokes its tokens at once.
import { randomUUID } from 'node:crypto';
import type { KubeObject } from '../../api/meta.ts';
import type { CredentialResult } from './authenticator.ts';
import { signJwt, unverifiedClaims, verifyJwt, type JwtClaims } from './jwt.ts';
import type { SigningKey } from './signing-key.ts';
import { serviceAccountGroups, serviceAccountUsername, type UserInfo } from './user.ts';

/** Kinds a token may be bound to, beyond its ServiceAccount. */
export const BINDABLE_KINDS = ['Pod', 'Secret', 'Node'] as const;
export type BindableKind = typeof BINDABLE_KINDS[number];

export interface BoundObject {
  kind: BindableKind;
  name: string;
  uid: string;
}

export interface TokenGrant {
  /** The ServiceAccount the token speaks for. */
  namespace: string;
  name: string;
  uid: string;
  audiences: string[];
  expirationSeconds: number;
  boundObject?: BoundObject;
}

export interface IssuedToken {
  token: string;
  expiresAt: Date;
}

/** Finds an object the server holds (from the watch cache), by kind, namespace and name. */
export type ObjectLookup = (kind: 'ServiceAccount' | BindableKind, namespace: string | undefined, name: string) => KubeObject | undefined;

export interface ServiceAccountTokenOptions {
  /** The `iss` claim of tokens this server issues, and the only issuer it accepts. */
  issuer: string;
  /** Audiences that make a token valid for this server; the default audience of new tokens. */
  apiAudiences: string[];
}

const CREDENTIAL_ID_EXTRA = 'authentication.kubernetes.io/credential-id';
const POD_NAME_EXTRA = 'authentication.kubernetes.io/pod-name';
const POD_UID_EXTRA = 'authentication.kubernetes.io/pod-uid';
const NODE_NAME_EXTRA = 'authentication.kubernetes.io/node-name';
const NODE_UID_EXTRA = 'authentication.kubernetes.io/node-uid';

interface ObjectRef { name: string; uid: string }
interface KubernetesClaim {
  namespace: string;
  serviceaccount: ObjectRef;
  pod?: ObjectRef;
  secret?: ObjectRef;
  node?: ObjectRef;
}

export class ServiceAccountTokens {
  readonly issuer: string;
  readonly apiAudiences: string[];
  private readonly key: SigningKey;
  private readonly lookup: ObjectLookup;
  private readonly now: () => number;

  constructor(key: SigningKey, lookup: ObjectLookup, opts: ServiceAccountTokenOptions, now: () => number = Date.now) {
    if (opts.apiAudiences.length === 0) throw new Error('service account tokens need at least one API audience');
    this.key = key;
    this.lookup = lookup;
    this.issuer = opts.issuer;
    this.apiAudiences = opts.apiAudiences;
    this.now = now;
  }

  issue(grant: TokenGrant): IssuedToken {
    const issuedAt = Math.floor(this.now() / 1000);
    const expiresAt = issuedAt + grant.expirationSeconds;
    const kubernetes: KubernetesClaim = { namespace: grant.namespace, serviceaccount: { name: grant.name, uid: grant.uid } };
    if (grant.boundObject) kubernetes[claimKey(grant.boundObject.kind)] = { name: grant.boundObject.name, uid: grant.boundObject.uid };
    const claims: JwtClaims = {
      aud: grant.audiences,
      exp: expiresAt,
      iat: issuedAt,
      iss: this.issuer,
      jti: randomUUID(),
      'kubernetes.io': kubernetes,
      nbf: issuedAt,
      sub: serviceAccountUsername(grant.namespace, grant.name),
    };
    return { token: signJwt(claims, this.key.privateKey, this.key.keyId), expiresAt: new Date(expiresAt * 1000) };
  }

  /** Undefined for a token that is not one of this server's (another issuer, not a JWT). */
  authenticateToken(token: string): CredentialResult {
    const unverified = unverifiedClaims(token);
    if (!unverified || unverified.iss !== this.issuer) return undefined;
    const verified = verifyJwt(token, this.key.publicKey);
    if ('error' in verified) return verified;
    const claims = verified.claims;
    const now = this.now() / 1000;
    if (typeof claims.exp !== 'number' || now >= claims.exp) return { error: 'the service account token has expired' };
    if (typeof claims.nbf === 'number' && now < claims.nbf) return { error: 'the service account token is not valid yet' };
    const audiences = typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud.filter((a) => typeof a === 'string') : [];
    if (!audiences.some((a) => this.apiAudiences.includes(a))) {
      return { error: `the token's audiences ${JSON.stringify(audiences)} do not include this server's (${JSON.stringify(this.apiAudiences)})` };
    }
    const k = parseKubernetesClaim(claims['kubernetes.io']);
    if (!k || claims.sub !== serviceAccountUsername(k.namespace, k.serviceaccount.name)) {
      return { error: 'the service account token does not name its ServiceAccount consistently' };
    }
    const revoked = this.revocation(k);
    if (revoked) return { error: revoked };
    const extra: Record<string, string[]> = {};
    if (typeof claims.jti === 'string') extra[CREDENTIAL_ID_EXTRA] = [`JTI=${claims.jti}`];
    if (k.pod) Object.assign(extra, { [POD_NAME_EXTRA]: [k.pod.name], [POD_UID_EXTRA]: [k.pod.uid] });
    if (k.node) Object.assign(extra, { [NODE_NAME_EXTRA]: [k.node.name], [NODE_UID_EXTRA]: [k.node.uid] });
    const user: UserInfo = {
      username: serviceAccountUsername(k.namespace, k.serviceaccount.name),
      uid: k.serviceaccount.uid,
      groups: serviceAccountGroups(k.namespace),
      extra,
    };
    return { user };
  }

  /** Why the token no longer holds (an object it names is gone or replaced), if it does not. */
  private revocation(k: KubernetesClaim): string | undefined {
    const checks: [kind: 'ServiceAccount' | BindableKind, namespace: string | undefined, ref: ObjectRef | undefined][] = [
      ['ServiceAccount', k.namespace, k.serviceaccount],
      ['Pod', k.namespace, k.pod],
      ['Secret', k.namespace, k.secret],
      ['Node', undefined, k.node],
    ];
    for (const [kind, namespace, ref] of checks) {
      if (!ref) continue;
      const where = namespace ? `${namespace}/${ref.name}` : ref.name;
      const live = this.lookup(kind, namespace, ref.name);
      if (!live || live.metadata.deletionTimestamp) return `${kind} ${where} the token was issued for has been deleted`;
      if (live.metadata.uid !== ref.uid) return `${kind} ${where} was replaced since the token was issued (uid ${live.metadata.uid}, token names ${ref.uid})`;
    }
    return undefined;
  }
}

function claimKey(kind: BindableKind): 'pod' | 'secret' | 'node' {
  return kind === 'Pod' ? 'pod' : kind === 'Secret' ? 'secret' : 'node';
}

function parseKubernetesClaim(value: unknown): KubernetesClaim | undefined {
  if (!isRecord(value) || typeof value.namespace !== 'string' || !value.namespace) return undefined;
  const serviceaccount = parseRef(value.serviceaccount);
  if (!serviceaccount) return undefined;
  const claim: KubernetesClaim = { namespace: value.namespace, serviceaccount };
  for (const key of ['pod', 'secret', 'node'] as const) {
    if (value[key] === undefined) continue;
    const ref = parseRef(value[key]);
    if (!ref) return undefined;
    claim[key] = ref;
  }
  return claim;
}

function parseRef(value: unknown): ObjectRef | undefined {
  if (!isRecord(value) || typeof value.name !== 'string' || typeof value.uid !== 'string' || !value.name) return undefined;
  return { name: value.name, uid: value.uid };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
