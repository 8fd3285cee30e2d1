import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { RoleSchema, desiredReplicas, mergedConfig, validateRole, type Role } from './roles.ts';

const ServerConfig = Type.Object({
  tickTime: Type.Optional(Type.Integer()),
  resources: Type.Optional(Type.Object({ memory: Type.Optional(Type.String()), cpu: Type.Optional(Type.String()) })),
  jvmFlags: Type.Optional(Type.Array(Type.String())),
});
type ServerConfig = Static<typeof ServerConfig>;
const ServersSchema = RoleSchema(ServerConfig);

test('the role schema accepts a full role and its static type is a Role', () => {
  const servers: Static<typeof ServersSchema> = {
    config: { tickTime: 2000 },
    configOverrides: { 'zoo.cfg': { maxClientCnxns: '100' } },
    envOverrides: { ZK_SERVER_HEAP: '1024' },
    roleGroups: {
      default: { replicas: 3, selector: { matchLabels: { disk: 'ssd' } }, config: { resources: { memory: '2Gi' } }, cliOverrides: { '-Dx': 'y' } },
    },
  };
  const asRole: Role<ServerConfig> = servers;
  assert.ok(Value.Check(ServersSchema, asRole));
  assert.ok(!Value.Check(ServersSchema, { roleGroups: { default: { replicas: -1 } } }));
  assert.ok(!Value.Check(ServersSchema, { roleGroups: { default: { config: { tickTime: 'fast' } } } }));
  assert.ok(!Value.Check(ServersSchema, { roleGroups: { default: { selector: { matchExpressions: [{ key: 'a', operator: 'Near' }] } } } }));
  assert.ok(!Value.Check(ServersSchema, {}), 'roleGroups is required');
});

test('validateRole reports what the schema cannot, with field paths', () => {
  const role: Role<ServerConfig> = {
    roleGroups: {
      Default: {},
      ok: { replicas: 1.5, selector: { matchExpressions: [{ key: 'disk', operator: 'In' }] } },
    },
  };
  assert.deepEqual(validateRole(role, 'spec.servers'), [
    'spec.servers.roleGroups: "Default" is not a valid role group name: use at most 63 lowercase letters, digits and \'-\', starting and ending with a letter or digit',
    'spec.servers.roleGroups.ok.replicas: must be a whole number of at least 0, got 1.5',
    'spec.servers.roleGroups.ok.selector.matchExpressions[0]: values: Invalid value: null: for \'in\', \'notin\' operators, values set can\'t be empty',
  ]);
  assert.deepEqual(validateRole({ roleGroups: {} }, 'spec.servers'), ['spec.servers.roleGroups: must name at least one role group']);
  assert.deepEqual(validateRole({ roleGroups: { default: { replicas: 0 } } }, 'spec.servers'), []);
});

test('desiredReplicas defaults to one pod per group', () => {
  assert.deepEqual(desiredReplicas({ roleGroups: { a: {}, b: { replicas: 3 }, c: { replicas: 0 } } }), { a: 1, b: 3, c: 0 });
});

test('a group\'s config merges over the role\'s, deeply for objects', () => {
  const role: Role<ServerConfig> = {
    config: { tickTime: 2000, resources: { memory: '1Gi', cpu: '1' }, jvmFlags: ['-Xss1m', '-Da=b'] },
    roleGroups: {
      big: { config: { resources: { memory: '8Gi' }, jvmFlags: ['-Xss2m'] } },
      plain: {},
      undef: { config: { tickTime: undefined } },
    },
  };
  assert.deepEqual(mergedConfig(role, 'big'), { tickTime: 2000, resources: { memory: '8Gi', cpu: '1' }, jvmFlags: ['-Xss2m'] });
  assert.deepEqual(mergedConfig(role, 'plain'), role.config);
  assert.equal(mergedConfig(role, 'undef')!.tickTime, 2000);
  assert.deepEqual(mergedConfig({ roleGroups: { g: { config: { tickTime: 1 } } } }, 'g'), { tickTime: 1 });
  assert.equal(role.config!.resources!.memory, '1Gi', 'the role is not modified');
  assert.throws(() => mergedConfig(role, 'missing'), /no role group "missing"/);
});
