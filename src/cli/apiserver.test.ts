import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storageOptions } from './apiserver.ts';
import { UsageError } from './process.ts';

test('--storage: SQLite by default, etcd with its endpoints, prefix and TLS files', () => {
  assert.deepEqual(storageOptions({ storage: 'sqlite' }), { kind: 'sqlite' });
  assert.deepEqual(storageOptions({}), { kind: 'sqlite' });
  assert.deepEqual(storageOptions({ storage: 'etcd', 'etcd-endpoints': 'http://127.0.0.1:2379, http://127.0.0.2:2379,' }), {
    kind: 'etcd', endpoints: ['http://127.0.0.1:2379', 'http://127.0.0.2:2379'], prefix: undefined, tls: undefined,
  });
  const dir = mkdtempSync(join(tmpdir(), 'granary-cli-etcd-'));
  writeFileSync(join(dir, 'ca.crt'), 'CA PEM');
  const secure = storageOptions({ storage: 'etcd', 'etcd-endpoints': 'https://etcd-0:2379', 'etcd-prefix': '/granary', 'etcd-cafile': join(dir, 'ca.crt') });
  assert.equal(secure.kind === 'etcd' && secure.prefix, '/granary');
  assert.equal(secure.kind === 'etcd' && secure.tls?.ca?.toString(), 'CA PEM');
});

test('--storage: inconsistent or incomplete flags are usage errors that say what to pass', () => {
  const usage = (flags: Parameters<typeof storageOptions>[0], message: RegExp) =>
    assert.throws(() => storageOptions(flags), (e) => e instanceof UsageError && message.test(e.message));
  usage({ storage: 'postgres' }, /--storage must be sqlite or etcd/);
  usage({ storage: 'etcd' }, /needs --etcd-endpoints URL/);
  usage({ storage: 'etcd', 'etcd-endpoints': ' , ' }, /needs --etcd-endpoints URL/);
  usage({ storage: 'etcd', 'etcd-endpoints': '127.0.0.1:2379' }, /--etcd-endpoints: .*write it like http:\/\/127.0.0.1:2379/);
  usage({ storage: 'sqlite', 'etcd-endpoints': 'http://127.0.0.1:2379' }, /--etcd-endpoints applies only with --storage etcd/);
  usage({ storage: 'etcd', 'etcd-endpoints': 'https://a:2379', 'etcd-cafile': '/nonexistent/ca.crt' }, /--etcd-cafile \/nonexistent\/ca.crt: ENOENT/);
});
