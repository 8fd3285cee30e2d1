import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../api/meta.ts';
import { signJwt, verifyJwt } from './jwt.ts';
import { ServiceAccountTokens, type ObjectLookup } from './service-account-tokens.ts';
import { ensureSigningKey, signingKeyFromPem } from './signing-key.ts';

const ISSUER = 'https://kubernetes.default.svc.cluster.local';
const key = signingKeyFromPem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);

function world() {
  const objects = new Map<string, KubeObject>();
  const add = (kind: string, namespace: string | undefined, name: string, uid: string) =>
    objects.set(`${kind}/${namespace ?? ''}/${name}`, { apiVersion: 'v1', kind, metadata: { name, namespace, uid } });
  const lookup: ObjectLookup = (kind, namespace, name) => objects.get(`${kind}/${namespace ?? ''}/${name}`);
  let now = Date.parse('2030-01-01T00:00:00Z');
  const tokens = new ServiceAccountTokens(key, lookup, { issuer: ISSUER, apiAudiences: [ISSUER] }, () => now);
  add('ServiceAccount', 'ci', 'builder', 'sa-uid-1');
  return { objects, add, tokens, advance: (ms: number) => (now += ms) };
}

const grant = { namespace: 'ci', name: 'builder', uid: 'sa-uid-1', audiences: [ISSUER], expirationSeconds: 600 };

test('an issued token carries Kubernetes\' claims and authenticates as the ServiceAccount', () => {
  const { tokens } = world();
  const issued = tokens.issue(grant);
  assert.equal(issued.expiresAt.toISOString(), '2030-01-01T00:10:00.000Z');
  const claims = JSON.parse(Buffer.from(issued.token.split('.')[1], 'base64url').toString());
  assert.deepEqual({ ...claims, jti: undefined }, {
    aud: [ISSUER], exp: 1893456600, iat: 1893456000, nbf: 1893456000, iss: ISSUER, jti: undefined,
    sub: 'system:serviceaccount:ci:builder',
    'kubernetes.io': { namespace: 'ci', serviceaccount: { name: 'builder', uid: 'sa-uid-1' } },
  });
  const header = JSON.parse(Buffer.from(issued.token.split('.')[0], 'base64url').toString());
  assert.deepEqual(header, { alg: 'ES256', kid: key.keyId });
  const result = tokens.authenticateToken(issued.token);
  assert.ok(result && 'user' in result);
  assert.deepEqual(result.user, {
    username: 'system:serviceaccount:ci:builder', uid: 'sa-uid-1',
    groups: ['system:serviceaccounts', 'system:serviceaccounts:ci'],
    extra: { 'authentication.kubernetes.io/credential-id': [`JTI=${claims.jti}`] },
  });
});

test('a token stops working when it expires', () => {
  const { tokens, advance } = world();
  const { token } = tokens.issue(grant);
  advance(599_000);
  assert.ok('user' in tokens.authenticateToken(token)!);
  advance(1_000);
  assert.deepEqual(tokens.authenticateToken(token), { error: 'the service account token has expired' });
});

test('a token for another audience is refused', () => {
  const { tokens } = world();
  const { token } = tokens.issue({ ...grant, audiences: ['vault'] });
  const result = tokens.authenticateToken(token);
  assert.ok(result && 'error' in result);
  assert.match(result.error, /audiences \["vault"\] do not include this server's/);
});

test('deleting or replacing the ServiceAccount, or the bound object, revokes the token', () => {
  const { tokens, objects, add } = world();
  const { token } = tokens.issue(grant);
  objects.delete('ServiceAccount/ci/builder');
  assert.deepEqual(tokens.authenticateToken(token), { error: 'ServiceAccount ci/builder the token was issued for has been deleted' });
  add('ServiceAccount', 'ci', 'builder', 'sa-uid-2');
  assert.match((tokens.authenticateToken(token) as { error: string }).error, /ServiceAccount ci\/builder was replaced since the token was issued/);

  add('Pod', 'ci', 'runner', 'pod-uid');
  const bound = tokens.issue({ ...grant, uid: 'sa-uid-2', boundObject: { kind: 'Pod', name: 'runner', uid: 'pod-uid' } });
  const user = tokens.authenticateToken(bound.token) as { user: { extra: Record<string, string[]> } };
  assert.deepEqual(user.user.extra['authentication.kubernetes.io/pod-name'], ['runner']);
  objects.get('Pod/ci/runner')!.metadata.deletionTimestamp = '2030-01-01T00:00:00Z';
  assert.deepEqual(tokens.authenticateToken(bound.token), { error: 'Pod ci/runner the token was issued for has been deleted' });
});

test('tampered, unsigned and foreign tokens are refused; tokens of other issuers are left to others', () => {
  const { tokens } = world();
  const { token } = tokens.issue(grant);
  const [header, claims, signature] = token.split('.');
  const forged = JSON.parse(Buffer.from(claims, 'base64url').toString());
  forged['kubernetes.io'].serviceaccount.name = 'admin';
  forged.sub = 'system:serviceaccount:ci:admin';
  const tampered = `${header}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${signature}`;
  assert.deepEqual(tokens.authenticateToken(tampered), { error: 'the token signature is invalid' });
  const none = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${claims}.`;
  assert.equal(tokens.authenticateToken(none), undefined, 'an empty signature is not a JWT at all');
  const noneSigned = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${claims}.${signature}`;
  assert.deepEqual(tokens.authenticateToken(noneSigned), { error: 'the token is signed with "none"; expected ES256' });
  const otherKey = signingKeyFromPem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  const foreign = signJwt(JSON.parse(Buffer.from(claims, 'base64url').toString()), otherKey.privateKey, otherKey.keyId);
  assert.deepEqual(tokens.authenticateToken(foreign), { error: 'the token signature is invalid' });
  assert.equal(tokens.authenticateToken(signJwt({ iss: 'https://accounts.example.com' }, key.privateKey, key.keyId)), undefined);
  assert.equal(tokens.authenticateToken('not-a-jwt'), undefined);
  assert.deepEqual(verifyJwt(token, otherKey.publicKey), { error: 'the token signature is invalid' });
});

test('the signing key is made once under the PKI directory, private, and reused', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'granary-sa-key-')), 'pki');
  const first = await ensureSigningKey(dir);
  assert.equal(statSync(join(dir, 'sa.key')).mode & 0o777, 0o600);
  const again = await ensureSigningKey(dir);
  assert.equal(again.keyId, first.keyId);
  assert.match(readFileSync(join(dir, 'sa.key'), 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
  assert.throws(() => signingKeyFromPem(generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string), /ECDSA P-256/);
});
