import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PACKAGE_REPOSITORY_CRD, repositoryConfigs, type PackageRepository } from './repository-resource.ts';

const repo = (name: string | undefined, spec: PackageRepository['spec']): PackageRepository => ({ apiVersion: 'packages.granary.dev/v1alpha1', kind: 'PackageRepository', metadata: { name }, spec });

test('turns resources into repository configs, refusing ambiguous ones with a reason', () => {
  const { configs, problems } = repositoryConfigs([
    repo('releases', { priority: 10, http: { url: 'https://packages.example.com/granary' } }),
    repo('debian', { os: { packageManager: 'apt' } }),
    repo('both', { http: { url: 'http://x' }, os: {} }),
    repo('neither', {}),
  ]);
  assert.deepEqual(configs.map((c) => c.name), ['releases', 'debian']);
  assert.equal(configs[0].priority, 10);
  assert.deepEqual(problems, [
    'PackageRepository both is ignored: set exactly one of spec.http and spec.os',
    'PackageRepository neither is ignored: set exactly one of spec.http and spec.os',
  ]);
});

test('the CRD is cluster-scoped in packages.granary.dev', () => {
  const spec = PACKAGE_REPOSITORY_CRD.spec as { group: string; scope: string; names: { plural: string } };
  assert.equal(PACKAGE_REPOSITORY_CRD.metadata.name, 'packagerepositories.packages.granary.dev');
  assert.equal(spec.scope, 'Cluster');
});
