// Access control delegated to the API server, as a kubelet does for its own endpoint: the caller is
// whoever its client certificate (signed by the cluster CA) names, or whoever the API server says
// its bearer token belongs to (TokenReview); what it may do is what the API server answers to a
// SubjectAccessReview for that user. Answers are cached (2 minutes for a token, 5 minutes for an
// allowed request and 30 s for a refused one, as kubelet's defaults), in bounded maps, so a scrape
// every few seconds costs the API server next to nothing and random tokens cannot grow memory.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { TokenReview } from '../api/kinds/authentication.ts';
import type { SubjectAccessReview } from '../api/kinds/authorization.ts';
import type { KubeClient } from '../client/client.ts';

export interface Caller {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** What a request does, in the terms of a SubjectAccessReview's spec. */
export type AccessAttributes =
  | { resourceAttributes: { verb: string; group?: string; version?: string; resource: string; subresource?: string; name?: string; namespace?: string } }
  | { nonResourceAttributes: { verb: string; path: string } };

export type Authentication = { caller: Caller } | { refused: string };

const TOKEN_TTL_MS = 120_000;
const ALLOWED_TTL_MS = 300_000;
const DENIED_TTL_MS = 30_000;
const CACHE_ENTRIES = 4096;

/** A map whose entries expire and whose oldest entry goes when it is full. */
class ExpiringCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();

  get(key: string): V | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.until > Date.now()) return hit.value;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, value: V, ttlMs: number): void {
    this.entries.delete(key);
    if (this.entries.size >= CACHE_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, until: Date.now() + ttlMs });
  }
}

export class DelegatedAuth {
  private readonly tokenReviews;
  private readonly accessReviews;
  private readonly tokens = new ExpiringCache<Authentication>();
  private readonly decisions = new ExpiringCache<{ allowed: boolean; reason: string }>();

  constructor(client: KubeClient) {
    this.tokenReviews = client.resource<TokenReview>('authentication.k8s.io/v1', 'TokenReview');
    this.accessReviews = client.resource<SubjectAccessReview>('authorization.k8s.io/v1', 'SubjectAccessReview');
  }

  /**
   * The caller of a request on a TLS socket that asked for (and verified against the cluster CA)
   * an optional client certificate; a certificate the CA did not sign counts as none.
   */
  async authenticate(req: IncomingMessage): Promise<Authentication> {
    const socket = req.socket as TLSSocket;
    if (socket.authorized) {
      const subject = socket.getPeerCertificate()?.subject;
      const username = [subject?.CN ?? []].flat()[0];
      if (username) return { caller: { username, groups: [subject?.O ?? []].flat() } };
    }
    const [scheme, token] = (req.headers.authorization ?? '').trim().split(/ +/);
    if (scheme?.toLowerCase() !== 'bearer' || !token) return { refused: 'no client certificate signed by the cluster CA and no bearer token' };
    const key = createHash('sha256').update(token).digest('hex');
    const cached = this.tokens.get(key);
    if (cached) return cached;
    const review = await this.tokenReviews.create({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', metadata: {}, spec: { token } });
    const user = review.status?.user;
    const answer: Authentication = review.status?.authenticated && user?.username !== undefined
      ? { caller: { username: user.username, uid: user.uid, groups: user.groups ?? [], extra: user.extra } }
      : { refused: review.status?.error || 'the API server does not know the token' };
    this.tokens.set(key, answer, TOKEN_TTL_MS);
    return answer;
  }

  /** Whether the API server allows the caller to do what the request does. */
  async authorize(caller: Caller, attributes: AccessAttributes): Promise<{ allowed: boolean; reason: string }> {
    const spec = { user: caller.username, uid: caller.uid, groups: caller.groups, extra: caller.extra, ...attributes };
    const key = JSON.stringify(spec);
    const cached = this.decisions.get(key);
    if (cached) return cached;
    const review = await this.accessReviews.create({ apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', metadata: {}, spec });
    const decision = { allowed: review.status?.allowed === true, reason: review.status?.reason ?? '' };
    this.decisions.set(key, decision, decision.allowed ? ALLOWED_TTL_MS : DENIED_TTL_MS);
    return decision;
  }
}
