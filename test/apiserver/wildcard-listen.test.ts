// An API server listening on every address (as the Debian package's `granary init` starts it by
// default) writes an admin kubeconfig that works: it names loopback, which the serving
// certificate covers, not 0.0.0.0, which no certificate names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeClient } from '../../src/client/client.ts';
import { loadConnection } from '../../src/client/kubeconfig.ts';
import { startApiServer } from '../support/apiserver.ts';

test('listening on 0.0.0.0, the admin kubeconfig names 127.0.0.1 and verifies the server', async () => {
  const server = await startApiServer({ listen: '0.0.0.0:0' });
  const client = KubeClient.fromKubeconfig(server.kubeconfig);
  try {
    const { port } = new URL(server.url);
    assert.equal(loadConnection({ kubeconfig: server.kubeconfig }).server, `https://127.0.0.1:${port}`);
    const namespaces = await client.resource('v1', 'Namespace').list();
    assert.ok(namespaces.items.some((n) => n.metadata.name === 'default'));
  } finally {
    await client.close();
    await server.stop();
  }
});
