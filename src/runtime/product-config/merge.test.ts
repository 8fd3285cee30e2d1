import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CatalogueError, defineCatalogue, type PropertySpec } from './catalogue.ts';
import { mergeRoleConfig, mergeRoleGroupConfig, type PropertyLayer, type PropertyResult } from './merge.ts';
import type { Role } from '../roles.ts';

const zooCfg = { file: 'zoo.cfg' };
const catalogue = defineCatalogue([
  { name: 'tickTime', kind: zooCfg, datatype: { type: 'integer', min: 1, unit: 'ms' }, default: [{ value: '3000' }], recommended: [{ value: '2000' }], description: 'Basic time unit.', roles: ['server'] },
  { name: 'maxClientCnxns', kind: zooCfg, datatype: { type: 'integer', min: 0 }, default: [{ value: '60' }], description: 'Connections per client host.', roles: ['server'] },
  { name: 'dataDir', kind: zooCfg, datatype: { type: 'path' }, required: ['server'], description: 'Where snapshots go.', roles: ['server'] },
  {
    name: 'admin.enableServer', kind: zooCfg, datatype: { type: 'bool' }, description: 'The AdminServer.', roles: ['server'],
    default: [{ toVersion: '3.5.0', value: 'false' }, { fromVersion: '3.5.0', value: 'true' }],
  },
  { name: 'oldSetting', kind: zooCfg, datatype: { type: 'string' }, deprecatedSince: '3.6.0', description: 'Gone soon.', roles: ['server'] },
  { name: 'observerOnly', kind: zooCfg, datatype: { type: 'string' }, description: 'Only observers read it.', roles: ['observer'] },
  { name: 'ZK_SERVER_HEAP', kind: { env: true }, datatype: { type: 'memory', unit: 'Mi', min: 64 }, recommended: [{ value: '512' }], description: 'Heap in MiB.', roles: ['server'] },
  { name: '-Dzookeeper.snapCount', kind: { cli: true }, datatype: { type: 'integer', min: 2 }, description: 'Transactions between snapshots.', roles: ['server'] },
] satisfies PropertySpec[]);

interface ServerConfig { tickTime?: number; heap?: string; dataDir?: string }
const toProperties = (c: ServerConfig): PropertyLayer => ({
  files: { 'zoo.cfg': { tickTime: c.tickTime?.toString(), dataDir: c.dataDir } },
  env: { ZK_SERVER_HEAP: c.heap },
});

function merge(roleSpec: Role<ServerConfig>, version = '3.9.2', roleGroup = 'default') {
  return mergeRoleGroupConfig({ catalogue, version, role: 'server', roleSpec, roleGroup, toProperties });
}
const status = (results: PropertyResult[], name: string) => results.find((r) => r.name === name)?.validation.status;

test('recommended values win over defaults, versioned defaults follow the product version', () => {
  const result = merge({ config: { dataDir: '/data' }, roleGroups: { default: {} } });
  assert.ok(result.ok);
  assert.deepEqual(result.properties, {
    files: { 'zoo.cfg': { 'admin.enableServer': 'true', dataDir: '/data', maxClientCnxns: '60', tickTime: '2000' } },
    env: { ZK_SERVER_HEAP: '512' },
    cli: {},
  });
  assert.equal(status(result.results, 'tickTime'), 'RecommendedDefault');
  assert.equal(status(result.results, 'maxClientCnxns'), 'Default');
  assert.equal(status(result.results, 'dataDir'), 'Valid');
  assert.deepEqual(result.warnings, []);
  const old = merge({ config: { dataDir: '/data' }, roleGroups: { default: {} } }, '3.4.14');
  assert.ok(old.ok);
  assert.equal(old.properties.files['zoo.cfg']['admin.enableServer'], 'false');
});

test('group overrides > group config > role overrides > role config > recommended', () => {
  const layers = {
    roleConfig: { config: { tickTime: 2100, dataDir: '/d' } },
    roleOverride: { configOverrides: { 'zoo.cfg': { tickTime: '2200' } } },
    groupConfig: { config: { tickTime: 2300 } },
    groupOverride: { configOverrides: { 'zoo.cfg': { tickTime: '2400' } } },
  };
  const tick = (role: Role<ServerConfig>) => {
    const r = merge(role);
    assert.ok(r.ok, r.ok ? '' : r.problems.join('\n'));
    return [r.properties.files['zoo.cfg'].tickTime, r.results.find((x) => x.name === 'tickTime')!.source];
  };
  const { roleConfig, roleOverride, groupConfig, groupOverride } = layers;
  assert.deepEqual(tick({ ...roleConfig, ...roleOverride, roleGroups: { default: { ...groupConfig, ...groupOverride } } }), ['2400', 'groupOverride']);
  assert.deepEqual(tick({ ...roleConfig, ...roleOverride, roleGroups: { default: { ...groupConfig } } }), ['2300', 'groupConfig']);
  assert.deepEqual(tick({ ...roleConfig, ...roleOverride, roleGroups: { default: {} } }), ['2200', 'roleOverride']);
  assert.deepEqual(tick({ ...roleConfig, roleGroups: { default: {} } }), ['2100', 'roleConfig']);
  // A group config that leaves a field unset does not hide the role's value.
  assert.deepEqual(tick({ ...roleConfig, roleGroups: { default: { config: { heap: '1Gi' } } } }), ['2100', 'roleConfig']);
});

test('env and cli overrides merge the same way and values are normalised', () => {
  const result = merge({
    config: { dataDir: '/d', heap: '1Gi' },
    envOverrides: { EXTRA: 'role' },
    cliOverrides: { '-Dzookeeper.snapCount': '1000' },
    roleGroups: { default: { envOverrides: { EXTRA: 'group', OTHER: 'x' }, cliOverrides: { '-Dzookeeper.snapCount': '5000' } } },
  });
  assert.ok(result.ok);
  assert.deepEqual(result.properties.env, { EXTRA: 'group', OTHER: 'x', ZK_SERVER_HEAP: '1024' });
  assert.deepEqual(result.properties.cli, { '-Dzookeeper.snapCount': '5000' });
});

test('unknown, foreign and deprecated properties are written with a warning', () => {
  const roleSpec: Role<ServerConfig> = {
    config: { dataDir: '/d' },
    configOverrides: { 'zoo.cfg': { 'snapshot.trust.empty': 'true', observerOnly: 'x', oldSetting: 'y' }, 'log4j.properties': { 'log4j.rootLogger': 'INFO' } },
    roleGroups: { default: {} },
  };
  const result = merge(roleSpec);
  assert.ok(result.ok);
  assert.equal(result.properties.files['zoo.cfg']['snapshot.trust.empty'], 'true');
  assert.equal(result.properties.files['log4j.properties']['log4j.rootLogger'], 'INFO');
  assert.deepEqual(result.warnings.map((w) => [w.kind, w.name, w.validation.status === 'Warn' && w.validation.message]), [
    [{ file: 'log4j.properties' }, 'log4j.rootLogger', 'is not a known property; it is written as given'],
    [zooCfg, 'observerOnly', 'is not used by role server; it is written as given'],
    [zooCfg, 'oldSetting', 'is deprecated since version 3.6.0'],
    [zooCfg, 'snapshot.trust.empty', 'is not a known property; it is written as given'],
  ]);
  const before = merge(roleSpec, '3.5.10');
  assert.ok(before.ok);
  assert.equal(status(before.results, 'oldSetting'), 'Valid', 'not deprecated yet in 3.5');
});

test('any error fails the merge and every problem is listed', () => {
  const result = merge({
    config: { tickTime: 0 },
    envOverrides: { 'BAD-NAME': 'x', ZK_SERVER_HEAP: '16Mi' },
    roleGroups: { default: { configOverrides: { 'zoo.cfg': { maxClientCnxns: 'many', note: 'bell\u0007' } } } },
  });
  assert.ok(!result.ok);
  assert.deepEqual(result.problems, [
    'server/default: zoo.cfg "dataDir": is required for role server: set it in the role\'s or role group\'s config',
    'server/default: zoo.cfg "maxClientCnxns" (role group overrides): "many" is not a whole number',
    'server/default: zoo.cfg "note" (role group overrides): contains the control character U+0007, which configuration files cannot hold',
    'server/default: zoo.cfg "tickTime" (role config): 0 is below the minimum of 1',
    'server/default: env "BAD-NAME" (role overrides): is not a valid environment variable name: use letters, digits and \'_\', not starting with a digit',
    'server/default: env "ZK_SERVER_HEAP" (role overrides): 16Mi is below the minimum of 64 Mi',
  ]);
  assert.equal(result.errors.length, 6);
});

test('a product version that is not a version, or a missing group, is reported', () => {
  const bad = merge({ roleGroups: { default: {} } }, 'latest');
  assert.ok(!bad.ok);
  assert.deepEqual(bad.problems, ['product version "latest" is not a dotted version like 3.9.2']);
  const missing = merge({ roleGroups: { default: {} } }, '3.9.2', 'ssd');
  assert.ok(!missing.ok);
  assert.match(missing.problems[0], /no role group "ssd"/);
});

test('mergeRoleConfig merges every group and fails listing every group\'s problems', () => {
  const good = mergeRoleConfig({
    catalogue, version: '3.9.2', role: 'server', toProperties,
    roleSpec: { config: { dataDir: '/d' }, roleGroups: { b: { config: { tickTime: 4000 } }, a: {} } },
  });
  assert.ok(good.ok);
  assert.deepEqual(Object.keys(good.groups), ['a', 'b']);
  assert.equal(good.groups.a.files['zoo.cfg'].tickTime, '2000');
  assert.equal(good.groups.b.files['zoo.cfg'].tickTime, '4000');

  const bad = mergeRoleConfig({
    catalogue, version: '3.9.2', role: 'server', toProperties,
    roleSpec: { config: { dataDir: 'relative' }, roleGroups: { a: {}, b: { config: { dataDir: '/ok' } }, c: { config: { tickTime: -1 } } } },
  });
  assert.ok(!bad.ok);
  assert.deepEqual(bad.problems, [
    'server/a: zoo.cfg "dataDir" (role config): "relative" is not an absolute path',
    'server/c: zoo.cfg "dataDir" (role config): "relative" is not an absolute path',
    'server/c: zoo.cfg "tickTime" (role group config): -1 is below the minimum of 1',
  ]);
});

test('a faulty catalogue is rejected when defined, listing every mistake', () => {
  assert.throws(() => defineCatalogue([
    { name: 'a', kind: zooCfg, datatype: { type: 'integer', min: 5 }, recommended: [{ value: '1' }], description: '', roles: ['server'] },
    { name: 'a', kind: zooCfg, datatype: { type: 'string' }, description: '', roles: ['server'] },
    { name: 'a', kind: { env: true }, datatype: { type: 'enum' }, description: '', roles: [] },
    { name: 'b', kind: { cli: true }, datatype: { type: 'string' }, required: ['observer'], deprecatedSince: 'soon', default: [{ fromVersion: 'x', value: '' }], description: '', roles: ['server'] },
  ]), (err: unknown) => {
    assert.ok(err instanceof CatalogueError);
    assert.deepEqual(err.problems, [
      'zoo.cfg property "a": recommended 1 is below the minimum of 5',
      'zoo.cfg property "a" is defined twice',
      'env property "a" names no roles',
      'env property "a": enum needs a non-empty "allowed" list',
      'cli property "b" is required for role "observer", which does not use it',
      'cli property "b": deprecatedSince "soon" is not a dotted version',
      'cli property "b": default version "x" is not a dotted version',
    ]);
    return true;
  });
  assert.equal(catalogue.find(zooCfg, 'tickTime')?.name, 'tickTime');
  assert.equal(catalogue.find({ file: 'other.cfg' }, 'tickTime'), undefined);
  assert.equal(catalogue.find({ env: true }, 'ZK_SERVER_HEAP')?.datatype.unit, 'Mi');
});
