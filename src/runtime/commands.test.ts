import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandCrds, commandGroup, commandOrder, isFinished, type Command } from './commands.ts';

test('commands live in command.<product>.granary.dev and product names must be DNS labels', () => {
  assert.equal(commandGroup('zookeeper'), 'command.zookeeper.granary.dev');
  assert.throws(() => commandGroup('Zoo.Keeper'), /must be a DNS label/);
});

test('commandCrds defines Restart, Start and Stop with spec, status and printer columns', () => {
  const crds = commandCrds('zookeeper');
  assert.deepEqual(crds.map((c) => c.metadata.name), ['restarts.command.zookeeper.granary.dev', 'starts.command.zookeeper.granary.dev', 'stops.command.zookeeper.granary.dev']);
  type Version = { name: string; storage: boolean; subresources: object; schema: { openAPIV3Schema: Record<string, any> }; additionalPrinterColumns: { name: string; jsonPath: string }[] };
  const [restart, start] = crds.map((c) => (c.spec as { versions: Version[]; scope: string; names: { kind: string } }));
  assert.equal(restart.names.kind, 'Restart');
  assert.equal(restart.scope, 'Namespaced');
  const version = restart.versions[0];
  assert.equal(version.name, 'v1alpha1');
  assert.ok(version.storage);
  assert.deepEqual(version.subresources, { status: {} });
  const schema = version.schema.openAPIV3Schema;
  assert.deepEqual(schema.properties.spec.required, ['name']);
  assert.equal(schema.properties.spec.properties.rolling.default, true);
  assert.deepEqual(schema.properties.status.properties.phase.enum, ['Pending', 'Running', 'Succeeded', 'Failed']);
  assert.equal(schema.properties.status.properties.startedAt.format, 'date-time');
  assert.deepEqual(version.additionalPrinterColumns.map((c) => c.name), ['Target', 'Rolling', 'Phase', 'Age']);
  assert.equal(start.versions[0].schema.openAPIV3Schema.properties.spec.properties.rolling, undefined);
  assert.deepEqual(start.versions[0].additionalPrinterColumns.map((c) => c.name), ['Target', 'Phase', 'Age']);
});

const command = (kind: string, name: string, created: string, phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed'): Command => ({
  apiVersion: 'command.demo.granary.dev/v1alpha1', kind, metadata: { name, namespace: 'ns', creationTimestamp: created },
  spec: { name: 'target' }, ...(phase ? { status: { phase } } : {}),
});

test('commands run in creation order, and by name within the same second', () => {
  const ordered = [
    command('Start', 'b-start', '2024-05-01T10:00:02Z'),
    command('Stop', 'a-stop', '2024-05-01T10:00:01Z'),
    command('Restart', 'c-restart', '2024-05-01T10:00:01Z'),
    command('Restart', 'z-first', '2024-05-01T09:59:59Z'),
  ].sort(commandOrder);
  assert.deepEqual(ordered.map((c) => c.metadata.name), ['z-first', 'a-stop', 'c-restart', 'b-start']);
});

test('only Succeeded and Failed commands are finished', () => {
  assert.deepEqual(
    [undefined, 'Pending', 'Running', 'Succeeded', 'Failed'].map((p) => isFinished(command('Stop', 's', '2024-05-01T10:00:00Z', p as 'Pending'))),
    [false, false, false, true, true],
  );
});
