import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { loadSync, type ServiceDefinition } from '@grpc/proto-loader';
import { CriClient, CriError } from './client.ts';

test('close() cancels the calls still waiting, so that nothing outlives a stopping agent', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'granary-cri-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // A runtime whose ExecSync never answers (containerd waits so for processes an exec leaves holding its output).
  const definitions = loadSync(fileURLToPath(new URL('./api.proto', import.meta.url)), { keepCase: true });
  const server = new grpc.Server();
  const answered: string[] = [];
  server.addService(definitions['runtime.v1.RuntimeService'] as unknown as ServiceDefinition, {
    ExecSync: () => undefined,
    Version: (_call: unknown, callback: grpc.sendUnaryData<object>) => { answered.push('Version'); callback(null, { runtime_name: 'fake' }); },
  });
  const socket = join(dir, 'cri.sock');
  await new Promise<void>((resolve, reject) => server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
  t.after(() => server.forceShutdown());

  const cri = new CriClient({ socket });
  assert.equal((await cri.version()).runtime_name, 'fake');
  const exec = cri.execSync('some-container', ['sleep', '1000'], 60);
  await new Promise((r) => setTimeout(r, 100));
  cri.close();
  // Without the cancellation it would end only at its deadline (70 s), as DEADLINE_EXCEEDED.
  await assert.rejects(exec, (err: unknown) => err instanceof CriError && err.code === grpc.status.CANCELLED && err.method === 'ExecSync');
  assert.deepEqual(answered, ['Version']);
});
