// Authentication: who sent a request. A chain, as in Kubernetes: the TLS client certificate first,
// then the bearer token, offered to each token authenticator in turn; the first to recognise a
// credential decides. Every authenticated user is in system:authenticated. There is no anonymous
// user: a request nothing recognises is refused (the caller answers 401).
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { authenticateClientCertificate } from './x509.ts';
import { asAuthenticated, type UserInfo } from './user.ts';

/** One authenticator's answer: a user, a reason to refuse, or undefined (not a credential it knows). */
export type CredentialResult = { user: UserInfo } | { error: string } | undefined;

export interface TokenAuthenticator {
  authenticateToken(token: string): CredentialResult;
}

/** The user, or why nobody could be authenticated (for the server's log, not the client). */
export type Authentication = { user: UserInfo } | { reasons: string[] };

export class Authenticator {
  private readonly tokenAuthenticators: TokenAuthenticator[];

  constructor(tokenAuthenticators: TokenAuthenticator[]) {
    this.tokenAuthenticators = tokenAuthenticators;
  }

  authenticate(req: IncomingMessage): Authentication {
    const reasons: string[] = [];
    const fromCertificate = authenticateClientCertificate(req.socket as TLSSocket);
    if (fromCertificate && 'user' in fromCertificate) return { user: asAuthenticated(fromCertificate.user) };
    if (fromCertificate) reasons.push(fromCertificate.error);
    const token = bearerToken(req.headers.authorization);
    if (token !== undefined) {
      const fromToken = this.authenticateToken(token);
      if ('user' in fromToken) return fromToken;
      reasons.push(...fromToken.reasons);
    }
    if (reasons.length === 0) reasons.push('the request carries no client certificate and no bearer token');
    return { reasons };
  }

  /** The user a bearer token authenticates (also what a TokenReview asks). */
  authenticateToken(token: string): Authentication {
    for (const authenticator of this.tokenAuthenticators) {
      const result = authenticator.authenticateToken(token);
      if (result && 'user' in result) return { user: asAuthenticated(result.user) };
      if (result) return { reasons: [result.error] };
    }
    return { reasons: ['the bearer token is not one this server issued or knows'] };
  }
}

/** The token of an `Authorization: Bearer TOKEN` header (scheme case-insensitive), if any. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, token] = header.trim().split(/ +/);
  if (scheme.toLowerCase() !== 'bearer' || !token) return undefined;
  return token;
}
