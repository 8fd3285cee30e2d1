import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/meta.ts';
import { BootstrapTokens } from './bootstrap-tokens.ts';

const NOW = Date.parse('2026-06-01T12:00:00Z');

function secret(data: Record<string, string>, more: Partial<KubeObject> & { type?: string } = {}): KubeObject {
  const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bootstrap-token-abcdef', namespace: 'kube-system' }, type: 'bootstrap.kubernetes.io/token', data: encoded, ...more } as KubeObject;
}

const VALID = { 'token-id': 'abcdef', 'token-secret': '0123456789abcdef', 'usage-bootstrap-authentication': 'true' };

function authenticate(obj: KubeObject | undefined, token = 'abcdef.0123456789abcdef') {
  return new BootstrapTokens((name) => (name === 'bootstrap-token-abcdef' ? obj : undefined), () => NOW).authenticateToken(token);
}

test('a valid token is system:bootstrap:<id> in system:bootstrappers and its extra groups', () => {
  assert.deepEqual(authenticate(secret(VALID)), { user: { username: 'system:bootstrap:abcdef', groups: ['system:bootstrappers'] } });
  assert.deepEqual(authenticate(secret({ ...VALID, 'auth-extra-groups': 'system:bootstrappers:rack-1, system:bootstrappers:kubeadm:default-node-token', expiration: '2026-06-01T13:00:00Z' })), {
    user: { username: 'system:bootstrap:abcdef', groups: ['system:bootstrappers', 'system:bootstrappers:rack-1', 'system:bootstrappers:kubeadm:default-node-token'] },
  });
});

test('tokens of another shape are not bootstrap tokens at all (the next authenticator may know them)', () => {
  for (const token of ['abcdef', 'ABCDEF.0123456789abcdef', 'abcdef.0123456789abcde', 'abcdefg.0123456789abcdef', 'eyJhbGciOi.x.y']) {
    assert.equal(authenticate(secret(VALID), token), undefined, token);
  }
});

test('refused: no Secret, wrong type, id or secret, expired, not for authentication, bad extra groups, being deleted', () => {
  const cases: [KubeObject | undefined, RegExp, string?][] = [
    [undefined, /no Secret kube-system\/bootstrap-token-abcdef/],
    [secret(VALID, { type: 'Opaque' }), /is not of type bootstrap.kubernetes.io\/token/],
    [secret({ ...VALID, 'token-id': 'zzzzzz' }), /another token-id/],
    [secret(VALID), /the secret does not match/, 'abcdef.0000000000000000'],
    [secret({ ...VALID, expiration: '2026-06-01T11:59:59Z' }), /expired at 2026-06-01T11:59:59Z/],
    [secret({ ...VALID, expiration: 'tomorrow' }), /is not an RFC 3339 time/],
    [secret({ ...VALID, 'usage-bootstrap-authentication': 'false' }), /usage-bootstrap-authentication=true/],
    [secret({ 'token-id': 'abcdef', 'token-secret': '0123456789abcdef' }), /usage-bootstrap-authentication=true/],
    [secret({ ...VALID, 'auth-extra-groups': 'system:masters' }), /auth-extra-groups: "system:masters"/],
    [secret(VALID, { metadata: { name: 'bootstrap-token-abcdef', namespace: 'kube-system', deletionTimestamp: '2026-06-01T11:00:00Z' } }), /being deleted/],
  ];
  for (const [obj, message, token] of cases) {
    const result = authenticate(obj, token);
    assert.ok(result && 'error' in result, JSON.stringify(result));
    assert.match(result.error, message);
  }
});
