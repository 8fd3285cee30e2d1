// Compact JSON Web Tokens signed with ES256 (ECDSA P-256 over SHA-256), the form Kubernetes uses for
// service account tokens. Only what the server needs: signing, and verifying with its own key.
import { sign, verify, type KeyObject } from 'node:crypto';
import { decodeJson } from '../decode/json.ts';

export type JwtClaims = Record<string, unknown>;

export type JwtVerification = { claims: JwtClaims } | { error: string };

const ALGORITHM = 'ES256';

export function signJwt(claims: JwtClaims, privateKey: KeyObject, keyId: string): string {
  const signingInput = `${encode({ alg: ALGORITHM, kid: keyId })}.${encode(claims)}`;
  const signature = sign('sha256', Buffer.from(signingInput), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${signingInput}.${signature.toString('base64url')}`;
}

/** True for a string with the three dot-separated parts of a compact JWT. */
function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}

/** Reads the claims without checking the signature, to decide which key or issuer applies. */
export function unverifiedClaims(token: string): JwtClaims | undefined {
  if (!looksLikeJwt(token)) return undefined;
  return decodeObject(token.split('.')[1]);
}

/** Checks the header and signature; claims (expiry, audience, ...) are the caller's to judge. */
export function verifyJwt(token: string, publicKey: KeyObject): JwtVerification {
  if (!looksLikeJwt(token)) return { error: 'the token is not a JWT' };
  const [headerPart, claimsPart, signaturePart] = token.split('.');
  const header = decodeObject(headerPart);
  if (!header) return { error: 'the token header is not a JSON object' };
  // Only the algorithm the server signs with: never "none", never one chosen by the token.
  if (header.alg !== ALGORITHM) return { error: `the token is signed with ${JSON.stringify(header.alg)}; expected ${ALGORITHM}` };
  const signature = Buffer.from(signaturePart, 'base64url');
  const valid = verify('sha256', Buffer.from(`${headerPart}.${claimsPart}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
  if (!valid) return { error: 'the token signature is invalid' };
  const claims = decodeObject(claimsPart);
  if (!claims) return { error: 'the token claims are not a JSON object' };
  return { claims };
}

function encode(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decodeObject(part: string): Record<string, unknown> | undefined {
  try {
    const { value } = decodeJson(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}
