import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuQuota, readUnitIdentity, renderEnvironmentFile, renderUnit } from './unit-file.ts';
import { podSliceName, serviceName, type ServiceSpec } from './runtime.ts';

const spec: ServiceSpec = {
  name: serviceName('ns', 'web', 'main'), slice: podSliceName('ns', 'web'),
  labels: { namespace: 'ns', pod: 'web', podUid: '1234-abcd', container: 'main' },
  argv: ['/usr/bin/java', '-Dx=$HOME', 'two words', 'quote"and\\back', '100%', 'line\nbreak'],
  env: { JAVA_OPTS: '-Xmx1g "quoted" %h $NOT_EXPANDED' },
  workingDir: '/var/lib/granary/pods/1234', user: 'zookeeper', restart: 'always', stopTimeoutSec: 45,
  cpuMillis: 1500, memoryBytes: 2 * 1024 ** 3,
};

test('renders every setting, quoted so systemd passes values verbatim', () => {
  const text = renderUnit(spec, 'abc123', '/var/lib/granary/runtime/systemd-environment/x.service');
  const lines = text.split('\n');
  assert.ok(lines.includes('ExecStart="/usr/bin/java" "-Dx=$$HOME" "two words" "quote\\"and\\\\back" "100%%" "line\\nbreak"'), text);
  assert.ok(lines.includes('EnvironmentFile=/var/lib/granary/runtime/systemd-environment/x.service'), text);
  assert.ok(!text.includes('JAVA_OPTS'), 'the environment (Secrets, maybe) is not in the world-readable unit');
  for (const line of [
    'Type=exec', 'Slice=granary-ns_web.slice', 'WorkingDirectory=/var/lib/granary/pods/1234', 'User=zookeeper',
    'Restart=no', 'RemainAfterExit=yes', 'TimeoutStopSec=45s', 'CPUQuota=150%', `MemoryMax=${2 * 1024 ** 3}`,
    'X-Granary-Pod-UID=1234-abcd', 'X-Granary-Spec-Digest=abc123',
  ]) assert.ok(lines.includes(line), `${line} in\n${text}`);
});

test('a zero grace period is not systemd\'s "no timeout"', () => {
  assert.match(renderUnit({ ...spec, stopTimeoutSec: 0 }, 'd', undefined), /^TimeoutStopSec=1ms$/m);
});

test('optional settings are left out', () => {
  const text = renderUnit({ ...spec, workingDir: undefined, user: undefined, cpuMillis: undefined, memoryBytes: undefined }, 'd', undefined);
  assert.doesNotMatch(text, /WorkingDirectory|User=|CPUQuota|MemoryMax|Environment/);
});

test('cpuQuota keeps fractions of a percent', () => {
  assert.equal(cpuQuota(250), '25%');
  assert.equal(cpuQuota(1234), '123.4%');
  assert.equal(cpuQuota(5), '0.5%');
  assert.equal(cpuQuota(1), '0.1%');
});

test('reads the identity back from a unit file', () => {
  assert.deepEqual(readUnitIdentity(renderUnit(spec, 'abc123', undefined)), { labels: spec.labels, digest: 'abc123' });
  assert.deepEqual(readUnitIdentity('[Unit]\nX-Granary-Pod=p\n[Service]\nExecStart=/bin/true\n'), { labels: undefined, digest: undefined });
});

test('the environment file escapes only what systemd unescapes in double quotes', () => {
  assert.equal(renderEnvironmentFile({ A: 'say "hi" $HOME `x` back\\slash %i', B: 'two\nlines' }),
    'A="say \\"hi\\" \\$HOME \\`x\\` back\\\\slash %i"\nB="two\nlines"\n');
});

test('a working directory ending in a backslash cannot continue into the next setting', () => {
  assert.throws(() => renderUnit({ ...spec, workingDir: '/srv/app\\' }, 'd', undefined), /ends in a backslash/);
  assert.throws(() => renderUnit({ ...spec, workingDir: '/srv/app\nUser=root' }, 'd', undefined), /control character/);
});
