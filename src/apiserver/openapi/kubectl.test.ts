// The documents as the real kubectl (oldest and newest installed) reads them: a loopback HTTP
// server serves discovery and OpenAPI for the test resources and answers the few object
// requests kubectl makes, recording them, so each test sees what kubectl concluded from the
// documents: validation left to the server or done locally, strategic merge patch or not,
// explain output.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kubectl, KUBECTL_VERSIONS } from '../../../test/support/kubectl.ts';
import { BUILTIN_RESOURCES } from '../../api/builtin.ts';
import type { ResourceDefinition } from '../../api/resources.ts';
import { apiGroup, apiGroupList, apiResourceList, apiVersions } from '../http/discovery.ts';
import { ResourceCatalog } from '../registry/catalog.ts';
import { OpenApiCache } from './cache.ts';
import { OPENAPI_V2_PROTOBUF_CONTENT_TYPE } from './protobuf.ts';
import { ALL_FIXTURES } from './test-fixtures.ts';

interface RecordedRequest { method: string; path: string; query: URLSearchParams; contentType: string; body: string }

/** An object as kubectl apply left it: its last applied configuration in an annotation. */
function applied(config: { apiVersion: string; kind: string; metadata: { name: string; namespace: string } } & Record<string, unknown>) {
  return {
    ...config,
    metadata: { ...config.metadata, uid: 'u1', resourceVersion: '5', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(config) } },
  };
}

const GADGET_PATH = '/apis/gadgets.granary.dev/v1/namespaces/default/gadgets/g1';
const liveGadget = applied({ apiVersion: 'gadgets.granary.dev/v1', kind: 'Gadget', metadata: { name: 'g1', namespace: 'default' }, spec: { ports: [{ name: 'a', port: 1 }, { name: 'b', port: 2 }] } });
const POD_PATH = '/api/v1/namespaces/default/pods/web';
const livePod = applied({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default' },
  spec: { containers: [{ name: 'a', image: 'busybox:1' }, { name: 'b', image: 'busybox:1', env: [{ name: 'X', value: '1' }] }] },
});

class FakeApiServer {
  readonly requests: RecordedRequest[] = [];
  /** Which OpenAPI endpoints answer; a test switches one off to see that kubectl manages with the other. */
  readonly serving = { v2: true, v3: true };
  private readonly catalog: ResourceCatalog;
  private readonly openapi: OpenApiCache;
  /** Path → the object a GET of it returns (and a PATCH echoes). */
  private readonly live: Record<string, object>;
  private readonly server: Server = createServer((req, res) => void this.handle(req, res));
  url = '';

  constructor(resources: ResourceDefinition[], live: Record<string, object>) {
    this.catalog = new ResourceCatalog(resources);
    this.openapi = new OpenApiCache(this.catalog, 'v1.33.0');
    this.live = live;
  }

  async start(): Promise<void> {
    await new Promise<void>((done) => this.server.listen(0, '127.0.0.1', done));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((done) => this.server.close(() => done()));
  }

  writes(): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== 'GET');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    let body = '';
    for await (const chunk of req) body += chunk;
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, contentType: req.headers['content-type'] ?? '', body });
    const json = (code: number, value: unknown) => {
      res.writeHead(code, { 'Content-Type': 'application/json' }).end(JSON.stringify(value));
    };
    const parts = url.pathname.split('/').filter(Boolean);
    if (url.pathname === '/api') return json(200, apiVersions(this.url));
    if (url.pathname === '/apis') return json(200, apiGroupList(this.catalog));
    if (parts[0] === 'api' && parts.length === 2) return json(200, apiResourceList(this.catalog, '', parts[1]));
    if (parts[0] === 'apis' && parts.length === 2) return json(200, apiGroup(this.catalog, parts[1]));
    if (parts[0] === 'apis' && parts.length === 3) return json(200, apiResourceList(this.catalog, parts[1], parts[2]));
    if (url.pathname === '/openapi/v2' && this.serving.v2) {
      const wantsProtobuf = (req.headers.accept ?? '').includes('application/com.github.proto-openapi.spec.v2');
      if (wantsProtobuf) return void res.writeHead(200, { 'Content-Type': OPENAPI_V2_PROTOBUF_CONTENT_TYPE }).end(this.openapi.v2Protobuf().body);
      return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(this.openapi.v2Json().body);
    }
    if (url.pathname === '/openapi/v3' && this.serving.v3) return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(this.openapi.v3Index());
    if (url.pathname.startsWith('/openapi/v3/') && this.serving.v3) {
      const doc = this.openapi.v3Document(url.pathname.slice('/openapi/v3/'.length));
      if (doc) return void res.writeHead(200, { 'Content-Type': 'application/json', ETag: `"${doc.etag}"` }).end(doc.body);
    }
    const object = this.live[url.pathname];
    if (object && (req.method === 'GET' || req.method === 'PATCH')) return json(200, object);
    if (req.method === 'POST') return json(201, JSON.parse(body));
    return json(404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' });
  }
}

function writeKubeconfig(serverUrl: string): { dir: string; kubeconfig: string } {
  const dir = mkdtempSync(join(tmpdir(), 'granary-openapi-kubectl-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'test',
    clusters: [{ name: 'test', cluster: { server: serverUrl } }],
    users: [{ name: 'test', user: {} }],
    contexts: [{ name: 'test', context: { cluster: 'test', user: 'test', namespace: 'default' } }],
  }));
  return { dir, kubeconfig };
}

function writeManifest(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

for (const version of KUBECTL_VERSIONS) {
  // Before 1.29 kubectl computes apply patches from v2 only, and builds its client-side
  // validator from v2 up front, even when the server will validate.
  const v2Always = Number(version.split('.')[1]) < 29;

  describe(`kubectl ${version} reading the OpenAPI documents`, () => {
    const server = new FakeApiServer(ALL_FIXTURES, { [GADGET_PATH]: liveGadget });
    let kubectl: Kubectl;
    let kubeconfig: string;
    let dir: string;

    before(async () => {
      await server.start();
      ({ dir, kubeconfig } = writeKubeconfig(server.url));
      kubectl = new Kubectl(version, kubeconfig);
    });
    after(async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    afterEach(() => {
      server.serving.v2 = true;
      server.serving.v3 = true;
    });

    const manifest = (name: string, text: string) => writeManifest(dir, name, text);

    // A field the schema lacks: kubectl rejects it itself unless the server is known to validate.
    const createsWithServerValidation = async (client: Kubectl) => {
      const files = [
        manifest('pod.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: {name: p1}\nspec: {containers: [{name: c, image: busybox}], bogus: 1}\n'),
        manifest('zk.yaml', 'apiVersion: zookeeper.granary.dev/v1alpha1\nkind: ZookeeperCluster\nmetadata: {name: zk1}\nspec: {replicas: 3, image: zk, bogus: 1}\n'),
      ];
      for (const file of files) {
        const before = server.writes().length;
        await client.ok(['create', '-f', file]);
        const post = server.writes().slice(before).find((r) => r.method === 'POST');
        assert.ok(post, `kubectl sent no POST for ${file}`);
        assert.equal(post.query.get('fieldValidation'), 'Strict', `POST ${post.path}?${post.query}`);
        assert.equal(JSON.parse(post.body).spec.bogus, 1);
      }
    };

    test('create leaves field validation to the server, for built-in and custom kinds (v3 document)', async () => {
      if (!v2Always) server.serving.v2 = false;
      await createsWithServerValidation(kubectl);
    });

    test('create leaves field validation to the server, for built-in and custom kinds (v2 document)', async () => {
      server.serving.v3 = false;
      // A client of its own, so no cached v3 index hides the switched-off endpoint.
      await createsWithServerValidation(new Kubectl(version, kubeconfig));
    });

    // kubectl before 1.29 computes patches from the v2 document only: it has no v3 case.
    const documents = [['v3', {}], ['v2', { KUBECTL_OPENAPIV3_PATCH: 'false' }]] as const;
    for (const [label, env] of documents.filter(([label]) => label === 'v2' || !v2Always)) {
      test(`apply sends a strategic merge patch computed from the ${label} document`, async () => {
        // kubectl falls back from v3 to v2 quietly: only one of them may answer.
        if (label === 'v3') server.serving.v2 = false;
        else server.serving.v3 = false;
        const file = manifest(`gadget-${label}.yaml`, 'apiVersion: gadgets.granary.dev/v1\nkind: Gadget\nmetadata: {name: g1, namespace: default}\nspec:\n  ports:\n  - {name: a, port: 1}\n  - {name: b, port: 3}\n');
        const before = server.writes().length;
        const r = await kubectl.run(['apply', '-f', file], { env });
        assert.equal(r.code, 0, r.stderr);
        assert.doesNotMatch(r.stderr, /warning/i);
        const patch = server.writes().slice(before).find((w) => w.method === 'PATCH');
        assert.ok(patch, 'kubectl sent no PATCH');
        assert.equal(patch.contentType, 'application/strategic-merge-patch+json');
        const body = JSON.parse(patch.body);
        // Only the changed port travels, merged by name, with the order kept by a directive.
        assert.deepEqual(body.spec.ports, [{ name: 'b', port: 3 }]);
        assert.deepEqual(body.spec['$setElementOrder/ports'], [{ name: 'a' }, { name: 'b' }]);
      });
    }

    test('explain (v3) shows the fields of a built-in kind and of shared metadata', async () => {
      const spec = await kubectl.ok(['explain', 'gadgets.spec']);
      assert.match(spec, /KIND:\s+Gadget/);
      assert.match(spec, /What the gadget should be\./);
      assert.match(spec, /ports\s+<\[\]Object>/);
      const metadata = await kubectl.ok(['explain', 'pods.metadata']);
      assert.match(metadata, /ownerReferences\s+<\[\]OwnerReference>/);
      assert.match(metadata, /creationTimestamp\s+<string>/);
    });

    test('explain (v3) walks into a custom resource', async () => {
      const out = await kubectl.ok(['explain', 'zookeeperclusters.spec.template']);
      assert.match(out, /GROUP:\s+zookeeper\.granary\.dev/);
      assert.match(out, /metadata\s+<ObjectMeta>/);
      assert.match(out, /spec\s+<Object>/);
    });

    test('explain with the v2 protobuf document finds kinds and fields', async () => {
      const out = await kubectl.ok(['explain', 'pods.spec.containers', '--output', 'plaintext-openapiv2']);
      assert.match(out, /RESOURCE:\s+containers <\[\]Object>/);
      assert.match(out, /The containers of the pod\./);
      assert.match(out, /image\s+<string>/);
      const zk = await kubectl.ok(['explain', 'zookeeperclusters.spec', '--output', 'plaintext-openapiv2']);
      assert.match(zk, /replicas\s+<integer> -required-/);
    });
  });
  describe(`kubectl ${version} reading the documents of the built-in kinds`, () => {
    const server = new FakeApiServer(BUILTIN_RESOURCES, { [POD_PATH]: livePod });
    let kubectl: Kubectl;
    let dir: string;

    before(async () => {
      await server.start();
      let kubeconfig: string;
      ({ dir, kubeconfig } = writeKubeconfig(server.url));
      kubectl = new Kubectl(version, kubeconfig);
    });
    after(async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    test('explain finds pod containers with both documents', async () => {
      for (const output of ['plaintext', 'plaintext-openapiv2']) {
        const out = await kubectl.ok(['explain', 'pods.spec.containers', '--output', output]);
        assert.match(out, /KIND:\s+Pod/, output);
        assert.match(out, /image\s+<string>/, output);
      }
    });

    for (const [label, env] of [['default', {}], ['v2', { KUBECTL_OPENAPIV3_PATCH: 'false' }]] as const) {
      test(`apply patches a pod's containers by name (${label} document)`, async () => {
        const file = writeManifest(dir, `pod-${label}.yaml`, [
          'apiVersion: v1', 'kind: Pod', 'metadata: {name: web, namespace: default}', 'spec:', '  containers:',
          '  - {name: a, image: "busybox:1"}', '  - {name: b, image: "busybox:2", env: [{name: X, value: "1"}]}', '',
        ].join('\n'));
        const before = server.writes().length;
        const r = await kubectl.run(['apply', '-f', file], { env });
        assert.equal(r.code, 0, r.stderr);
        assert.doesNotMatch(r.stderr, /warning/i);
        const patch = server.writes().slice(before).find((w) => w.method === 'PATCH');
        assert.ok(patch, 'kubectl sent no PATCH');
        assert.equal(patch.contentType, 'application/strategic-merge-patch+json');
        const body = JSON.parse(patch.body);
        assert.deepEqual(body.spec.containers, [{ name: 'b', image: 'busybox:2' }]);
        assert.deepEqual(body.spec['$setElementOrder/containers'], [{ name: 'a' }, { name: 'b' }]);
      });
    }
  });
}
