// Every query parameter and request header the server reads, read as Kubernetes reads it (the
// table in docs/apiserver.md names the test for each): booleans, integers and durations by
// apimachinery's conversions, invalid option combinations as 422 naming the option kind, Status
// details naming the resource, Accept with q-values and transformations, Content-Type with
// parameters, gzip for large responses, pretty output.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { parse as parseYaml } from 'yaml';
import type { Dispatcher } from 'undici';
import { startApiServer, type RunningApiServer } from '../support/apiserver.ts';
import { apiCaller } from '../support/http-api.ts';
import { rawConnection } from '../support/raw-https.ts';
import { readKubeconfig, tlsAgent } from '../../bench/support.ts';

const NS = '/api/v1/namespaces/default';
const cm = (name: string, data: Record<string, string> = { k: 'v' }) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { set: 'params' } }, data });

describe('query parameters and headers, as Kubernetes reads them', () => {
  let server: RunningApiServer;
  let agent: Dispatcher;
  let call: ReturnType<typeof apiCaller>['call'];
  let watchEvents: ReturnType<typeof apiCaller>['watchEvents'];

  before(async () => {
    server = await startApiServer({ listen: '127.0.20.1:0' });
    const creds = readKubeconfig(server.kubeconfig);
    agent = tlsAgent(creds, 8);
    ({ call, watchEvents } = apiCaller(creds.server, agent));
    for (const name of ['a', 'b', 'c']) assert.equal((await call('POST', `${NS}/configmaps`, cm(name))).status, 201);
  });
  after(async () => {
    await agent.close();
    assert.equal(await server.stop(), 0);
  });

  test('booleans: only "false" (any case) and "0" are false; True, TRUE, 1, t and even empty are true', async () => {
    for (const value of ['True', 'TRUE', '1', 't', '']) {
      const { status, events } = await watchEvents(`${NS}/configmaps?labelSelector=set%3Dparams&watch=${value}`, (e) => e.length >= 3);
      assert.equal(status, 200, value);
      assert.deepEqual(events.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED a', 'ADDED b', 'ADDED c'], `watch=${value} is a watch`);
    }
    for (const value of ['false', 'FALSE', 'False', '0']) {
      const list = await call('GET', `${NS}/configmaps?labelSelector=set%3Dparams&watch=${value}`);
      assert.equal(list.body.kind, 'ConfigMapList', `watch=${value} is a list`);
    }
    // A bookmark comes only when allowWatchBookmarks is true, however it is spelled.
    const initial = await watchEvents(`${NS}/configmaps?watch=1&labelSelector=set%3Dparams&sendInitialEvents=True&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=True`,
      (e) => e.some((x) => x.type === 'BOOKMARK'));
    assert.equal(initial.events.at(-1).object.metadata.annotations['k8s.io/initial-events-end'], 'true');
  });

  test('integers: Go\'s ParseInt, a negative limit is no limit, a negative grace period is 1s', async () => {
    const bad = await call('GET', `${NS}/configmaps?limit=ten`);
    assert.deepEqual([bad.status, bad.body.reason, bad.body.message], [400, 'BadRequest', 'strconv.ParseInt: parsing "ten": invalid syntax']);
    const huge = await call('GET', `${NS}/configmaps?limit=99999999999999999999`);
    assert.equal(huge.body.message, 'strconv.ParseInt: parsing "99999999999999999999": value out of range');
    assert.equal((await call('GET', `${NS}/configmaps?watch=true&timeoutSeconds=soon`)).status, 400);
    assert.equal((await call('GET', `${NS}/configmaps?labelSelector=set%3Dparams&limit=-1`)).body.items.length, 3);
    const page = await call('GET', `${NS}/configmaps?labelSelector=set%3Dparams&limit=%2B2`);
    assert.deepEqual([page.body.items.length, typeof page.body.metadata.continue], [2, 'string']);
    // A pod bound to a node waits for the node; a negative grace period means one second.
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'graceful' }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x' }] } };
    assert.equal((await call('POST', `${NS}/pods`, pod)).status, 201);
    const deleted = await call('DELETE', `${NS}/pods/graceful?gracePeriodSeconds=-5`);
    assert.equal(deleted.body.metadata.deletionGracePeriodSeconds, 1);
  });

  test('unknown parameters are ignored; the timeout parameter is a Go duration', async () => {
    const odd = await call('GET', `${NS}/configmaps/a?bogus=1&watch2=true&export=true`);
    assert.deepEqual([odd.status, odd.body.metadata.name], [200, 'a']);
    assert.equal((await call('GET', `${NS}/configmaps/a?timeout=1m30s`)).status, 200);
    const bad = await call('GET', `${NS}/configmaps/a?timeout=90`);
    assert.deepEqual([bad.status, bad.body.message], [400, 'invalid timeout specified in the request URL: time: invalid duration "90"']);
  });

  test('the timeout parameter is the request\'s deadline: a write whose body has not come by then is 504 Timeout', async () => {
    const body = JSON.stringify(cm('late'));
    const c = await rawConnection(readKubeconfig(server.kubeconfig));
    // Half the body, then nothing: the server waits for the rest until the client's deadline.
    c.socket.write(`POST ${NS}/configmaps?timeout=1s HTTP/1.1\r\nHost: granary\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
    const open = await c.closed;
    const text = c.received();
    assert.match(text, /^HTTP\/1\.1 504 /);
    const status = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
    assert.deepEqual([status.reason, status.code, status.message], ['Timeout', 504, 'Timeout: request did not complete within requested timeout - context deadline exceeded']);
    assert.ok(open >= 1000 && open < 5000, `answered after ${open} ms, not at the 1 s deadline`);
    assert.equal((await call('GET', `${NS}/configmaps/late`)).status, 404);
    // A deadline longer than the server's own request timeout (60 s), zero or negative changes nothing.
    for (const timeout of ['2m', '0s', '-1s']) assert.equal((await call('GET', `${NS}/configmaps?timeout=${timeout}`)).status, 200, timeout);
  });

  test('option combinations Kubernetes refuses are 422 Invalid, naming the option kind', async () => {
    const expectInvalid = async (reply: Promise<{ status: number; body: any }>, kind: string, message: RegExp) => {
      const { status, body } = await reply;
      assert.equal(status, 422, JSON.stringify(body));
      assert.deepEqual([body.reason, body.details.kind, body.details.group], ['Invalid', kind, 'meta.k8s.io']);
      assert.match(body.message, message);
    };
    await expectInvalid(call('GET', `${NS}/configmaps?resourceVersionMatch=Exact`), 'ListOptions',
      /^ListOptions\.meta\.k8s\.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided$/);
    await expectInvalid(call('GET', `${NS}/configmaps?sendInitialEvents=true`), 'ListOptions', /sendInitialEvents is forbidden for list/);
    await expectInvalid(call('GET', `${NS}/configmaps?watch=1&sendInitialEvents=true`), 'ListOptions', /sendInitialEvents requires setting resourceVersionMatch to NotOlderThan/);
    const merge = { 'content-type': 'application/merge-patch+json' };
    await expectInvalid(call('PATCH', `${NS}/configmaps/a?force=false`, { data: { x: '1' } }, merge), 'PatchOptions', /force: Forbidden: may not be specified for non-apply patch/);
    await expectInvalid(call('PATCH', `${NS}/configmaps/a`, 'data: {x: "1"}', { 'content-type': 'application/apply-patch+yaml' }), 'PatchOptions',
      /fieldManager: Required value: is required for apply patch/);
    await expectInvalid(call('PATCH', `${NS}/configmaps/a?fieldValidation=Loose`, { data: {} }, merge), 'PatchOptions',
      /fieldValidation: Unsupported value: "Loose": supported values: "", "Ignore", "Strict", "Warn"/);
    await expectInvalid(call('POST', `${NS}/configmaps?dryRun=Some`, cm('dry')), 'CreateOptions', /dryRun: Unsupported value: \["Some"\]: supported values: "All"/);
    await expectInvalid(call('PUT', `${NS}/configmaps/a?fieldManager=${'m'.repeat(129)}`, cm('a')), 'UpdateOptions', /fieldManager: Too long: may not be more than 128 bytes/);
    await expectInvalid(call('POST', `${NS}/configmaps?fieldManager=bad%01name`, cm('ctl')), 'CreateOptions', /fieldManager: Invalid value: .*invalid character U\+0001 \(at position 3\)/);
    await expectInvalid(call('DELETE', `${NS}/configmaps/a?orphanDependents=true&propagationPolicy=Background`), 'DeleteOptions',
      /propagationPolicy: Invalid value: "Background": orphanDependents and deletionPropagation cannot be both set/);
    await expectInvalid(call('DELETE', `${NS}/configmaps/a?propagationPolicy=Later`), 'DeleteOptions', /propagationPolicy: Unsupported value: "Later"/);
    // A DeleteOptions body replaces the query: dryRun=All in the query does not apply.
    const dry = await call('DELETE', `${NS}/configmaps/c?dryRun=All`, { kind: 'DeleteOptions', apiVersion: 'v1' });
    assert.equal(dry.status, 200);
    assert.equal((await call('GET', `${NS}/configmaps/c`)).status, 404);
    assert.equal((await call('POST', `${NS}/configmaps`, cm('c'))).status, 201);
    const table = await call('GET', `${NS}/configmaps?includeObject=Everything`, undefined, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    assert.deepEqual([table.status, table.body.message],
      [400, 'Unable to convert to Table as requested: includeObject: Invalid value: "Everything": must be \'Metadata\', \'Object\', \'None\', or empty']);
  });

  test('Status details name the resource, group and name as Kubernetes builds them', async () => {
    const missing = await call('GET', `${NS}/configmaps/nope`);
    assert.deepEqual([missing.status, missing.body.message, missing.body.details], [404, 'configmaps "nope" not found', { name: 'nope', kind: 'configmaps' }]);
    const lease = await call('GET', '/apis/coordination.k8s.io/v1/namespaces/default/leases/nope');
    assert.deepEqual(lease.body.details, { name: 'nope', group: 'coordination.k8s.io', kind: 'leases' });
    const exists = await call('POST', `${NS}/configmaps`, cm('a'));
    assert.deepEqual([exists.status, exists.body.reason, exists.body.details], [409, 'AlreadyExists', { name: 'a', kind: 'configmaps' }]);
    const invalid = await call('POST', `${NS}/configmaps`, cm('Bad_Name'));
    assert.deepEqual([invalid.body.details.kind, invalid.body.details.name, invalid.body.details.causes[0].field], ['ConfigMap', 'Bad_Name', 'metadata.name']);
    const protectedNs = await call('DELETE', '/api/v1/namespaces/default');
    assert.deepEqual([protectedNs.status, protectedNs.body.message, protectedNs.body.details],
      [403, 'namespaces "default" is forbidden: this namespace may not be deleted', { name: 'default', kind: 'namespaces' }]);
    const unknownPath = await call('GET', '/apis/example.com/v1/widgets');
    assert.deepEqual([unknownPath.status, unknownPath.body.reason], [404, 'NotFound']);
  });

  test('Accept: q-values and specificity choose JSON or YAML; as= asks for a Table or PartialObjectMetadata; else 406', async () => {
    const yaml = await call('GET', `${NS}/configmaps/a`, undefined, { accept: 'application/json;q=0.5, application/yaml' });
    assert.equal(yaml.headers['content-type'], 'application/yaml');
    assert.equal(parseYaml(yaml.text).metadata.name, 'a');
    const json = await call('GET', `${NS}/configmaps/a`, undefined, { accept: 'application/yaml;q=0.1, */*;q=0.2, application/json' });
    assert.deepEqual([json.headers['content-type'], json.body.kind], ['application/json', 'ConfigMap']);
    const wildcard = await call('GET', `${NS}/configmaps/a`, undefined, { accept: '*/*' });
    assert.equal(wildcard.body.kind, 'ConfigMap');
    for (const accept of ['application/vnd.kubernetes.protobuf', 'text/html', 'application/json;q=0']) {
      const refused = await call('GET', `${NS}/configmaps/a`, undefined, { accept });
      assert.deepEqual([refused.status, refused.body.reason], [406, 'NotAcceptable'], accept);
    }
    // The Table clause is skipped when it names an unknown group; the next clause wins.
    const table = await call('GET', `${NS}/configmaps`, undefined, {
      accept: 'application/json;as=Table;g=example.com;v=v1, application/json;as=Table;g=meta.k8s.io;v=v1;q=0.9, application/json;q=0.8',
    });
    assert.deepEqual([table.body.kind, table.body.apiVersion], ['Table', 'meta.k8s.io/v1']);
    const partial = await call('GET', `${NS}/configmaps/a`, undefined, { accept: 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1' });
    assert.deepEqual([partial.body.kind, partial.body.apiVersion, partial.body.metadata.name, partial.body.data], ['PartialObjectMetadata', 'meta.k8s.io/v1', 'a', undefined]);
    const partialList = await call('GET', `${NS}/configmaps?labelSelector=set%3Dparams`, undefined, { accept: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1' });
    assert.deepEqual([partialList.body.kind, partialList.body.items.map((i: any) => `${i.kind}/${i.metadata.name}`)],
      ['PartialObjectMetadataList', ['PartialObjectMetadata/a', 'PartialObjectMetadata/b', 'PartialObjectMetadata/c']]);
    const listAsObject = await call('GET', `${NS}/configmaps`, undefined, { accept: 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1' });
    assert.equal(listAsObject.status, 406);
    const watched = await watchEvents(`${NS}/configmaps?watch=1&labelSelector=set%3Dparams`, (e) => e.length >= 3,
      { accept: 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1' });
    assert.deepEqual(watched.events.map((e) => `${e.object.kind}/${e.object.metadata.name}`), ['PartialObjectMetadata/a', 'PartialObjectMetadata/b', 'PartialObjectMetadata/c']);
    const discovery = await call('GET', '/apis', undefined, { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList;q=0.5,application/yaml' });
    assert.equal(discovery.headers['content-type'], 'application/yaml');
    assert.equal(parseYaml(discovery.text).kind, 'APIGroupList');
  });

  test('Content-Type: parameters such as charset and letter case do not matter', async () => {
    const created = await call('POST', `${NS}/configmaps`, cm('charset'), { 'content-type': 'Application/JSON; charset=utf-8' });
    assert.equal(created.status, 201);
    const patched = await call('PATCH', `${NS}/configmaps/charset`, { data: { k: 'patched' } }, { 'content-type': 'application/merge-patch+json; charset=UTF-8' });
    assert.deepEqual([patched.status, patched.body.data.k], [200, 'patched']);
    const yaml = await call('POST', `${NS}/configmaps`, 'metadata: {name: yaml-body}\ndata: {k: v}\n', { 'content-type': 'application/yaml; charset=utf-8' });
    assert.equal(yaml.status, 201);
    const unknown = await call('POST', `${NS}/configmaps`, cm('x'), { 'content-type': 'text/plain' });
    assert.equal(unknown.status, 415);
  });

  test('Accept-Encoding gzip: responses over 128 KiB are compressed, smaller ones are not', async () => {
    const big = { 'x': 'y'.repeat(100_000) };
    for (const name of ['big-1', 'big-2']) assert.equal((await call('POST', `${NS}/configmaps`, { ...cm(name, big), metadata: { name, labels: { set: 'big' } } })).status, 201);
    const zipped = await call('GET', `${NS}/configmaps?labelSelector=set%3Dbig`, undefined, { 'accept-encoding': 'gzip' });
    assert.deepEqual([zipped.headers['content-encoding'], zipped.headers.vary], ['gzip', 'Accept-Encoding']);
    const list = JSON.parse(gunzipSync(zipped.raw).toString('utf8'));
    assert.deepEqual(list.items.map((i: any) => i.metadata.name), ['big-1', 'big-2']);
    assert.equal(Number(zipped.headers['content-length']), zipped.raw.length);
    assert.ok(zipped.raw.length < 20_000, `compressed to ${zipped.raw.length} bytes`);
    const plain = await call('GET', `${NS}/configmaps?labelSelector=set%3Dbig`, undefined, { 'accept-encoding': 'deflate, br' });
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.body.items.length, 2);
    const small = await call('GET', `${NS}/configmaps/a`, undefined, { 'accept-encoding': 'gzip' });
    assert.equal(small.headers['content-encoding'], undefined);
    // A list of more than 500 objects is streamed in chunks, and compressed as it streams.
    await Promise.all(Array.from({ length: 520 }, (_, i) => call('POST', `${NS}/configmaps`, { ...cm(`many-${i}`), metadata: { name: `many-${i}`, labels: { set: 'many' } } })));
    const streamed = await call('GET', `${NS}/configmaps?labelSelector=set%3Dmany`, undefined, { 'accept-encoding': 'gzip' });
    assert.equal(streamed.headers['content-encoding'], 'gzip');
    assert.equal(JSON.parse(gunzipSync(streamed.raw).toString('utf8')).items.length, 520);
  });

  test('User-Agent names the default field manager; If-None-Match on /openapi/v2 answers 304', async () => {
    const created = await call('POST', `${NS}/configmaps`, cm('agent'), { 'user-agent': 'granary-tool/1.2 (linux/amd64)' });
    assert.equal(created.body.metadata.managedFields[0].manager, 'granary-tool');
    const named = await call('POST', `${NS}/configmaps?fieldManager=explicit`, cm('named'), { 'user-agent': 'granary-tool/1.2' });
    assert.equal(named.body.metadata.managedFields[0].manager, 'explicit');
    const doc = await call('GET', '/openapi/v2');
    const etag = doc.headers.etag as string;
    assert.match(etag, /^".+"$/);
    const again = await call('GET', '/openapi/v2', undefined, { 'if-none-match': etag });
    assert.deepEqual([again.status, again.raw.length], [304, 0]);
  });

  test('pretty: by the pretty parameter (Go\'s ParseBool), else for curl', async () => {
    const pretty = await call('GET', `${NS}/configmaps/a?pretty=true`);
    assert.match(pretty.text, /^\{\n {2}"apiVersion": "v1",\n {2}"kind": "ConfigMap",\n {2}"metadata": \{\n {4}"name": "a",/);
    const curl = await call('GET', `${NS}/configmaps/a`, undefined, { 'user-agent': 'curl/7.88.1' });
    assert.match(curl.text, /^\{\n {2}"apiVersion"/);
    const notForCurl = await call('GET', `${NS}/configmaps/a?pretty=0`, undefined, { 'user-agent': 'curl/7.88.1' });
    assert.match(notForCurl.text, /^\{"apiVersion":"v1","kind"/);
    const compact = await call('GET', `${NS}/configmaps/a`, undefined, { 'user-agent': 'python-requests/2.28' });
    assert.match(compact.text, /^\{"apiVersion":"v1","kind"/);
  });
});
