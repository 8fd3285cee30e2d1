import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logTarget } from './node-endpoint.ts';

const path = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/;

test('a log path names its container, decoded; one that does not decode is refused, not a failure', () => {
  assert.deepEqual(logTarget(path.exec('/containerLogs/ns/web-0/main%2Dc')!), { namespace: 'ns', pod: 'web-0', container: 'main-c' });
  assert.match(logTarget(path.exec('/containerLogs/%zz/x/y')!) as string, /not valid percent-encoding/);
});
