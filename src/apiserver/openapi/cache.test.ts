import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ResourceCatalog } from '../registry/catalog.ts';
import { OpenApiCache } from './cache.ts';
import { contentHash } from './hash.ts';
import { OpenApiV2DocumentType } from './protobuf.ts';
import { leases, pods, zookeeperClusters } from './test-fixtures.ts';

function setup() {
  const catalog = new ResourceCatalog([pods, leases]);
  return { catalog, cache: new OpenApiCache(catalog, 'v1.33.0') };
}

function indexPaths(cache: OpenApiCache): Record<string, { serverRelativeURL: string }> {
  return (JSON.parse(cache.v3Index()) as { paths: Record<string, { serverRelativeURL: string }> }).paths;
}

describe('OpenApiCache', () => {
  test('serves v2 as JSON and protobuf, each with the hash of its bytes as ETag, built once', () => {
    const { cache } = setup();
    const json = cache.v2Json();
    assert.equal(json.etag, contentHash(json.body));
    assert.equal(JSON.parse(json.body).info.version, 'v1.33.0');
    assert.equal(cache.v2Json(), json);
    const protobuf = cache.v2Protobuf();
    assert.equal(protobuf.etag, contentHash(protobuf.body));
    assert.notEqual(protobuf.etag, json.etag);
    const decoded = OpenApiV2DocumentType.toObject(OpenApiV2DocumentType.decode(protobuf.body)) as { definitions: { additional_properties: { name: string }[] } };
    assert.deepEqual(decoded.definitions.additional_properties.map((d) => d.name), Object.keys(JSON.parse(json.body).definitions));
    assert.equal(cache.v2Protobuf(), protobuf);
  });

  test('serves each v3 document under the hash the index gives for it', () => {
    const { cache } = setup();
    const paths = indexPaths(cache);
    assert.deepEqual(Object.keys(paths), ['api/v1', 'apis/coordination.k8s.io/v1']);
    for (const [key, { serverRelativeURL }] of Object.entries(paths)) {
      const doc = cache.v3Document(key)!;
      assert.equal(serverRelativeURL, `/openapi/v3/${key}?hash=${doc.etag}`);
      assert.equal(doc.etag, contentHash(doc.body));
    }
    assert.equal(cache.v3Document('apis/coordination.k8s.io/v2'), undefined);
    assert.equal(cache.v3Document('apis/nothing'), undefined);
  });

  test('follows the catalogue: a new group appears everywhere, untouched documents are not rebuilt', () => {
    const { catalog, cache } = setup();
    const v2Before = cache.v2Json();
    const protobufBefore = cache.v2Protobuf();
    const coreBefore = cache.v3Document('api/v1')!;
    catalog.replaceResource('zookeeper.granary.dev', 'zookeeperclusters', [zookeeperClusters]);

    const v2After = cache.v2Json();
    assert.notEqual(v2After.etag, v2Before.etag);
    assert.ok(JSON.parse(v2After.body).definitions['dev.granary.zookeeper.v1alpha1.ZookeeperCluster']);
    assert.notEqual(cache.v2Protobuf().etag, protobufBefore.etag);
    assert.ok(indexPaths(cache)['apis/zookeeper.granary.dev/v1alpha1']);
    assert.ok(cache.v3Document('apis/zookeeper.granary.dev/v1alpha1'));
    const coreAfter = cache.v3Document('api/v1')!;
    assert.equal(coreAfter.etag, coreBefore.etag);
    assert.equal(coreAfter.body, coreBefore.body);

    catalog.replaceResource('zookeeper.granary.dev', 'zookeeperclusters', []);
    assert.equal(cache.v3Document('apis/zookeeper.granary.dev/v1alpha1'), undefined);
    assert.equal(indexPaths(cache)['apis/zookeeper.granary.dev/v1alpha1'], undefined);
    assert.equal(JSON.parse(cache.v2Json().body).definitions['dev.granary.zookeeper.v1alpha1.ZookeeperCluster'], undefined);
  });

  test('a changed resource changes the hash of its group-version only', () => {
    const { catalog, cache } = setup();
    const before = indexPaths(cache);
    const renamed = { ...leases, schema: { type: 'object' as const, description: 'Leases, described differently.' } };
    catalog.replaceResource('coordination.k8s.io', 'leases', [renamed]);
    const after = indexPaths(cache);
    assert.notEqual(after['apis/coordination.k8s.io/v1'].serverRelativeURL, before['apis/coordination.k8s.io/v1'].serverRelativeURL);
    assert.equal(after['api/v1'].serverRelativeURL, before['api/v1'].serverRelativeURL);
    assert.match(cache.v3Document('apis/coordination.k8s.io/v1')!.body, /Leases, described differently\./);
  });
});
