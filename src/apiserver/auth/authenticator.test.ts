import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { Authenticator, bearerToken, type TokenAuthenticator } from './authenticator.ts';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

function request(opts: { peer?: object; authorized?: boolean; authorization?: string } = {}): IncomingMessage {
  const socket = { getPeerCertificate: () => opts.peer ?? {}, authorized: opts.authorized ?? false, authorizationError: opts.authorized ? null : 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' };
  return { socket, headers: opts.authorization ? { authorization: opts.authorization } : {} } as unknown as IncomingMessage;
}

const tokens: TokenAuthenticator = {
  authenticateToken: (token) => (token === 'good' ? { user: { username: 'tokenuser', groups: ['g'] } } : token === 'expired' ? { error: 'expired' } : undefined),
};

test('a verified client certificate names the user (CN) and groups (O), plus system:authenticated', () => {
  const auth = new Authenticator([tokens]);
  const result = auth.authenticate(request({ authorized: true, peer: { subject: { CN: 'alice', O: ['devs', 'qa'] }, ext_key_usage: [CLIENT_AUTH] } }));
  assert.deepEqual(result, { user: { username: 'alice', groups: ['devs', 'qa', 'system:authenticated'] } });
  const single = auth.authenticate(request({ authorized: true, peer: { subject: { CN: 'bob', O: 'system:masters' } } }));
  assert.deepEqual(single, { user: { username: 'bob', groups: ['system:masters', 'system:authenticated'] } });
});

test('a certificate the CA did not sign, one without a CN or one not for client use authenticates nobody', () => {
  const auth = new Authenticator([tokens]);
  assert.deepEqual(auth.authenticate(request({ authorized: false, peer: { subject: { CN: 'mallory' } } })),
    { reasons: ['client certificate not accepted: UNABLE_TO_VERIFY_LEAF_SIGNATURE'] });
  assert.deepEqual(auth.authenticate(request({ authorized: true, peer: { subject: { O: 'devs' } } })),
    { reasons: ['client certificate has no subject common name to use as the user name'] });
  assert.deepEqual(auth.authenticate(request({ authorized: true, peer: { subject: { CN: 'web' }, ext_key_usage: ['1.3.6.1.5.5.7.3.1'] } })),
    { reasons: ['client certificate is not valid for client authentication (extended key usage)'] });
});

test('a bearer token goes to the token authenticators; a refused certificate does not stop a good token', () => {
  const auth = new Authenticator([tokens]);
  assert.deepEqual(auth.authenticate(request({ authorization: 'Bearer good' })), { user: { username: 'tokenuser', groups: ['g', 'system:authenticated'] } });
  assert.ok('user' in auth.authenticate(request({ authorized: false, peer: { subject: { CN: 'x' } }, authorization: 'bearer good' })));
  assert.deepEqual(auth.authenticate(request({ authorization: 'Bearer expired' })), { reasons: ['expired'] });
  assert.deepEqual(auth.authenticate(request({ authorization: 'Bearer unknown' })), { reasons: ['the bearer token is not one this server issued or knows'] });
  assert.deepEqual(auth.authenticate(request()), { reasons: ['the request carries no client certificate and no bearer token'] });
});

test('bearerToken reads the Bearer scheme only', () => {
  assert.equal(bearerToken('Bearer abc'), 'abc');
  assert.equal(bearerToken('bearer  abc'), 'abc');
  assert.equal(bearerToken('Basic YWxhZGRpbjpvcGVuc2VzYW1l'), undefined);
  assert.equal(bearerToken('Bearer'), undefined);
  assert.equal(bearerToken(undefined), undefined);
});
