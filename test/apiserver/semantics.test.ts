// API semantics real clients rely on, driven over HTTPS: errors and bad input, lists and paging,
// selectors, watches (bookmarks, resume, 410, initial events, Table), generation and status,
// preconditions, dryRun, fieldValidation, graceful pod deletion and foreground deletion.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:tls';
import { request, type Dispatcher } from 'undici';
import { startApiServer, type RunningApiServer } from '../support/apiserver.ts';
import { apiCaller } from '../support/http-api.ts';
import { readKubeconfig, tlsAgent, type KubeconfigCredentials } from '../../bench/support.ts';

describe('API semantics', () => {
  let server: RunningApiServer;
  let creds: KubeconfigCredentials;
  let agent: Dispatcher;

  let call: ReturnType<typeof apiCaller>['call'];
  let watchEvents: ReturnType<typeof apiCaller>['watchEvents'];
  const cm = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...extra }, data: { k: 'v' } });

  before(async () => {
    server = await startApiServer({ env: { GRANARY_WATCH_HISTORY: '50' } });
    creds = readKubeconfig(server.kubeconfig);
    agent = tlsAgent(creds, 16);
    ({ call, watchEvents } = apiCaller(creds.server, agent));
  });
  after(async () => {
    await agent.close();
    assert.equal(await server.stop(), 0);
  });

  test('bad input gets a Status with the right code, never a 500', async () => {
    const malformed = await call('POST', '/api/v1/namespaces/default/configmaps', '{"metadata": {');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.kind, 'Status');
    assert.equal(malformed.body.reason, 'BadRequest');
    const yaml = await call('POST', '/api/v1/namespaces/default/configmaps', 'metadata: [unclosed', { 'content-type': 'application/yaml' });
    assert.equal(yaml.status, 400);
    const wrongKind = await call('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } });
    assert.equal(wrongKind.status, 400);
    assert.match(wrongKind.body.message, /kind/);
    const wrongVersion = await call('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v2', kind: 'ConfigMap', metadata: { name: 'x' } });
    assert.equal(wrongVersion.status, 400);
    const huge = await call('POST', '/api/v1/namespaces/default/configmaps', { ...cm('huge'), data: { k: 'x'.repeat(3 * 1024 * 1024 + 10) } });
    assert.equal(huge.status, 413);
    assert.equal(huge.body.reason, 'RequestEntityTooLarge');
    const unknown = await call('GET', '/api/v1/namespaces/default/widgets');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.reason, 'NotFound');
    const badName = await call('POST', '/api/v1/namespaces/default/configmaps', cm('Not_Valid'));
    assert.equal(badName.status, 422);
    assert.equal(badName.body.reason, 'Invalid');
    assert.equal(badName.body.details.causes[0].field, 'metadata.name');
    const noNamespace = await call('POST', '/api/v1/namespaces/nowhere/configmaps', cm('x'));
    assert.equal(noNamespace.status, 404);
    const array = await call('POST', '/api/v1/namespaces/default/configmaps', '[1,2]');
    assert.equal(array.status, 400);
    const badSelector = await call('GET', '/api/v1/pods?fieldSelector=spec.bogus%3Dx');
    assert.equal(badSelector.status, 400);
    assert.match(badSelector.body.message, /field label not supported: spec.bogus/);
    const badPatch = await call('PATCH', '/api/v1/namespaces/default/configmaps/none', '{}', { 'content-type': 'text/plain' });
    assert.equal(badPatch.status, 415);
    assert.equal((await call('GET', '/readyz')).status, 200);
  });

  test('a vanished or stalled client does not hurt the server', async () => {
    // Half a request, then the connection is dropped.
    await new Promise<void>((resolve) => {
      const url = new URL(creds.server);
      const socket = connect({ host: url.hostname, port: Number(url.port), ca: creds.ca, cert: creds.cert, key: creds.key }, () => {
        socket.write('POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"metadata":');
        setTimeout(() => (socket.destroy(), resolve()), 100);
      });
    });
    // A stalled body does not block anyone else.
    const url = new URL(creds.server);
    const stalled = connect({ host: url.hostname, port: Number(url.port), ca: creds.ca, cert: creds.cert, key: creds.key }, () => {
      stalled.write('POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
    });
    const ok = await call('POST', '/api/v1/namespaces/default/configmaps', cm('after-stall'));
    assert.equal(ok.status, 201);
    stalled.destroy();
    assert.equal((await call('GET', '/livez')).status, 200);
  });

  test('unauthenticated requests get 401, except health checks', async () => {
    const res = await request(`${creds.server}/api/v1/namespaces`, { dispatcher: tlsAgent({ ...creds, cert: undefined as unknown as string, key: undefined as unknown as string }, 1) });
    assert.equal(res.statusCode, 401);
    await res.body.text();
    const live = await request(`${creds.server}/livez`, { dispatcher: tlsAgent({ ...creds, cert: undefined as unknown as string, key: undefined as unknown as string }, 1) });
    assert.equal(live.statusCode, 200);
    await live.body.text();
  });

  test('uid, generateName, resourceVersion conflicts, generation and the status subresource', async () => {
    const created = await call('POST', '/api/v1/namespaces/default/configmaps', { ...cm(''), metadata: { generateName: 'gen-' } });
    assert.equal(created.status, 201);
    assert.match(created.body.metadata.name, /^gen-[a-z0-9]{5}$/);
    assert.ok(created.body.metadata.uid);
    const stale = await call('PUT', `/api/v1/namespaces/default/configmaps/${created.body.metadata.name}`, { ...created.body, data: { k: 'new' } });
    assert.equal(stale.status, 200);
    const conflict = await call('PUT', `/api/v1/namespaces/default/configmaps/${created.body.metadata.name}`, { ...created.body, data: { k: 'other' } });
    assert.equal(conflict.status, 409);
    assert.equal(conflict.body.reason, 'Conflict');
    const exists = await call('POST', '/api/v1/namespaces/default/configmaps', cm(created.body.metadata.name));
    assert.equal(exists.status, 409);
    assert.equal(exists.body.reason, 'AlreadyExists');

    const ns = await call('POST', '/api/v1/namespaces', { metadata: { name: 'gen-test' } });
    assert.equal(ns.status, 201);
    const pod = await call('POST', '/api/v1/namespaces/default/pods', {
      metadata: { name: 'p1', labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'zookeeper:3.8.0' }] }, status: { phase: 'Running' },
    });
    assert.equal(pod.status, 201);
    assert.equal(pod.body.status.phase, 'Pending', 'a create cannot set status');
    assert.equal(pod.body.metadata.generation, 1);
    const labelled = await call('PATCH', '/api/v1/namespaces/default/pods/p1', { metadata: { labels: { app: 'b' } } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(labelled.body.metadata.generation, 1, 'metadata changes do not bump generation');
    const statusWrite = await call('PATCH', '/api/v1/namespaces/default/pods/p1/status', { status: { phase: 'Running' }, metadata: { labels: { app: 'c' } } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(statusWrite.body.status.phase, 'Running');
    assert.equal(statusWrite.body.metadata.labels.app, 'b', 'a status write ignores the rest');
    const mainWrite = await call('PATCH', '/api/v1/namespaces/default/pods/p1', { status: { phase: 'Failed' }, spec: { activeDeadlineSeconds: 30 } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(mainWrite.body.status.phase, 'Running', 'a main write ignores status');
    assert.equal(mainWrite.body.metadata.generation, 2, 'spec changes bump generation');
  });

  test('dryRun=All and fieldValidation', async () => {
    const dry = await call('POST', '/api/v1/namespaces/default/configmaps?dryRun=All', cm('dry'));
    assert.equal(dry.status, 201);
    assert.equal((await call('GET', '/api/v1/namespaces/default/configmaps/dry')).status, 404);
    const body = { ...cm('fv'), spare: 'field' };
    const strict = await call('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Strict', body);
    assert.equal(strict.status, 400);
    assert.match(strict.body.message, /unknown field "spare"/);
    const warn = await call('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Warn', body);
    assert.equal(warn.status, 201);
    assert.match(String(warn.headers.warning), /^299 - "unknown field \\"spare\\""$/);
    assert.equal(warn.body.spare, undefined);
    const ignore = await call('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Ignore', { ...body, metadata: { name: 'fv2' } });
    assert.equal(ignore.status, 201);
    assert.equal(ignore.headers.warning, undefined);
  });

  test('lists page with limit and continue, at a consistent resourceVersion, with selectors', async () => {
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'paging' } });
    for (let i = 0; i < 25; i++) {
      await call('POST', '/api/v1/namespaces/paging/configmaps', { metadata: { name: `item-${String(i).padStart(2, '0')}`, labels: { parity: i % 2 ? 'odd' : 'even' } } });
    }
    const first = await call('GET', '/api/v1/namespaces/paging/configmaps?limit=10');
    assert.equal(first.body.items.length, 10);
    assert.ok(first.body.metadata.continue);
    assert.equal(first.body.metadata.remainingItemCount, 15);
    // A change after the first page does not show up in later pages of the same list.
    await call('POST', '/api/v1/namespaces/paging/configmaps', { metadata: { name: 'item-99' } });
    const names = first.body.items.map((i: any) => i.metadata.name);
    let cont = first.body.metadata.continue;
    while (cont) {
      const page = await call('GET', `/api/v1/namespaces/paging/configmaps?limit=10&continue=${encodeURIComponent(cont)}`);
      assert.equal(page.body.metadata.resourceVersion, first.body.metadata.resourceVersion);
      names.push(...page.body.items.map((i: any) => i.metadata.name));
      cont = page.body.metadata.continue;
    }
    assert.equal(names.length, 25);
    assert.ok(!names.includes('item-99'));
    const odd = await call('GET', '/api/v1/namespaces/paging/configmaps?labelSelector=parity%3Dodd');
    assert.equal(odd.body.items.length, 12);
    const byName = await call('GET', '/api/v1/configmaps?fieldSelector=metadata.name%3Ditem-03,metadata.namespace%3Dpaging');
    assert.deepEqual(byName.body.items.map((i: any) => i.metadata.name), ['item-03']);
    const exact = await call('GET', `/api/v1/namespaces/paging/configmaps?resourceVersion=${first.body.metadata.resourceVersion}&resourceVersionMatch=Exact`);
    assert.equal(exact.body.items.length, 25);
    const badContinue = await call('GET', '/api/v1/namespaces/paging/configmaps?limit=1&continue=garbage');
    assert.equal(badContinue.status, 400);
    const pods = await call('GET', '/api/v1/pods?fieldSelector=status.phase%3DRunning');
    assert.deepEqual(pods.body.items.map((i: any) => i.metadata.name), ['p1']);
    const table = await call('GET', '/api/v1/namespaces/paging/configmaps?limit=2', undefined, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    assert.equal(table.body.kind, 'Table');
    assert.deepEqual(table.body.columnDefinitions.slice(0, 2).map((c: any) => c.name), ['Name', 'Data']);
    assert.equal(table.body.rows.length, 2);
    assert.ok(table.body.metadata.continue);
  });

  test('watches: initial state, resume, bookmarks, 410 as an ERROR event, initial-events-end, Table', async () => {
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'watching' } });
    const a = await call('POST', '/api/v1/namespaces/watching/configmaps', cm('a'));
    const fromNow = watchEvents(`/api/v1/namespaces/watching/configmaps?watch=true&resourceVersion=${a.body.metadata.resourceVersion}&allowWatchBookmarks=true&timeoutSeconds=5`,
      (events) => events.some((e) => e.type === 'DELETED'));
    await new Promise((r) => setTimeout(r, 200));
    await call('PATCH', '/api/v1/namespaces/watching/configmaps/a', { data: { k: 'changed' } }, { 'content-type': 'application/merge-patch+json' });
    await call('DELETE', '/api/v1/namespaces/watching/configmaps/a');
    const resumed = await fromNow;
    assert.deepEqual(resumed.events.filter((e) => e.type !== 'BOOKMARK').map((e) => e.type), ['MODIFIED', 'DELETED']);

    const initial = await watchEvents('/api/v1/namespaces/default/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true',
      (events) => events.some((e) => e.type === 'BOOKMARK'));
    const end = initial.events.at(-1);
    assert.equal(end.type, 'BOOKMARK');
    assert.equal(end.object.metadata.annotations['k8s.io/initial-events-end'], 'true');
    assert.ok(initial.events.slice(0, -1).every((e) => e.type === 'ADDED') && initial.events.length > 1);

    const timedOut = await watchEvents('/api/v1/namespaces/watching/configmaps?watch=true&resourceVersion=0&timeoutSeconds=1', () => false);
    assert.equal(timedOut.status, 200, 'a watch ends cleanly at timeoutSeconds');

    for (let i = 0; i < 60; i++) await call('POST', '/api/v1/namespaces/watching/configmaps', cm(`churn-${i}`));
    const gone = await watchEvents('/api/v1/namespaces/watching/configmaps?watch=true&resourceVersion=1', (events) => events.length > 0);
    assert.equal(gone.events[0].type, 'ERROR');
    assert.equal(gone.events[0].object.code, 410);
    assert.equal(gone.events[0].object.reason, 'Expired');

    const tableWatch = watchEvents('/api/v1/namespaces/watching/configmaps?watch=true&fieldSelector=metadata.name%3Dtabled',
      (events) => events.length >= 2, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    await new Promise((r) => setTimeout(r, 200));
    await call('POST', '/api/v1/namespaces/watching/configmaps', cm('tabled'));
    await call('PATCH', '/api/v1/namespaces/watching/configmaps/tabled', { data: { x: 'y' } }, { 'content-type': 'application/merge-patch+json' });
    const rows = (await tableWatch).events;
    assert.equal(rows[0].object.kind, 'Table');
    assert.ok(rows[0].object.columnDefinitions.length > 0);
    assert.equal(rows[0].object.rows[0].cells[0], 'tabled');
  });

  test('a pod bound to a node is deleted gracefully; the node confirms with grace 0', async () => {
    await call('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'graceful' }, spec: { containers: [{ name: 'c', image: 'zookeeper:3.8.0' }] } });
    const bound = await call('POST', '/api/v1/namespaces/default/pods/graceful/binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'graceful' }, target: { kind: 'Node', name: 'node-1' } });
    assert.equal(bound.status, 201);
    const rebind = await call('POST', '/api/v1/namespaces/default/pods/graceful/binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'graceful' }, target: { kind: 'Node', name: 'node-2' } });
    assert.equal(rebind.status, 409);
    const pod = await call('GET', '/api/v1/namespaces/default/pods/graceful');
    assert.equal(pod.body.spec.nodeName, 'node-1');
    assert.ok(pod.body.status.conditions.some((c: any) => c.type === 'PodScheduled' && c.status === 'True'));
    const deleting = await call('DELETE', '/api/v1/namespaces/default/pods/graceful');
    assert.equal(deleting.status, 200);
    assert.ok(deleting.body.metadata.deletionTimestamp);
    assert.equal(deleting.body.metadata.deletionGracePeriodSeconds, 30);
    assert.equal((await call('GET', '/api/v1/namespaces/default/pods/graceful')).status, 200, 'still there until the node confirms');
    const confirmed = await call('DELETE', '/api/v1/namespaces/default/pods/graceful', { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0 });
    assert.equal(confirmed.status, 200);
    assert.equal((await call('GET', '/api/v1/namespaces/default/pods/graceful')).status, 404);
  });

  test('foreground deletion waits for dependents', async () => {
    const owner = await call('POST', '/api/v1/namespaces/default/configmaps', cm('fg-owner'));
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'fg-owner', uid: owner.body.metadata.uid, blockOwnerDeletion: true };
    await call('POST', '/api/v1/namespaces/default/configmaps', cm('fg-dep', { ownerReferences: [ref], finalizers: ['example.com/slow'] }));
    const del = await call('DELETE', '/api/v1/namespaces/default/configmaps/fg-owner', { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Foreground' });
    assert.equal(del.status, 200);
    await new Promise((r) => setTimeout(r, 500));
    const waiting = await call('GET', '/api/v1/namespaces/default/configmaps/fg-owner');
    assert.equal(waiting.status, 200, 'the owner waits while a blocking dependent exists');
    assert.deepEqual(waiting.body.metadata.finalizers, ['foregroundDeletion']);
    const dep = await call('GET', '/api/v1/namespaces/default/configmaps/fg-dep');
    assert.ok(dep.body.metadata.deletionTimestamp, 'the dependent is being deleted');
    await call('PATCH', '/api/v1/namespaces/default/configmaps/fg-dep', [{ op: 'remove', path: '/metadata/finalizers' }], { 'content-type': 'application/json-patch+json' });
    const deadline = Date.now() + 10_000;
    while ((await call('GET', '/api/v1/namespaces/default/configmaps/fg-owner')).status !== 404) {
      assert.ok(Date.now() < deadline, 'the owner goes once its dependents are gone');
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  test('events.k8s.io/v1 and core/v1 Events are two views of one set of Events', async () => {
    const created = await call('POST', '/apis/events.k8s.io/v1/namespaces/default/events', {
      apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'seen.1' }, eventTime: '2026-01-02T03:04:05.000000Z',
      reportingController: 'granary.dev/test', reportingInstance: 'test-1', action: 'Reconcile', reason: 'Started', type: 'Normal',
      note: 'hello', regarding: { apiVersion: 'v1', kind: 'Pod', name: 'p1', namespace: 'default' },
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.note, 'hello');
    const core = await call('GET', '/api/v1/namespaces/default/events/seen.1');
    assert.equal(core.body.apiVersion, 'v1');
    assert.equal(core.body.message, 'hello');
    assert.equal(core.body.involvedObject.name, 'p1');
    assert.equal(core.body.reportingComponent, 'granary.dev/test');
    const byObject = await call('GET', '/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dp1');
    assert.deepEqual(byObject.body.items.map((e: any) => e.metadata.name), ['seen.1']);
    const byRegarding = await call('GET', '/apis/events.k8s.io/v1/namespaces/default/events?fieldSelector=regarding.name%3Dp1');
    assert.deepEqual(byRegarding.body.items.map((e: any) => [e.apiVersion, e.note]), [['events.k8s.io/v1', 'hello']]);
    const series = await call('PATCH', '/apis/events.k8s.io/v1/namespaces/default/events/seen.1', { series: { count: 2, lastObservedTime: '2026-01-02T03:05:05.000000Z' } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(series.status, 200);
    assert.equal(series.body.series.count, 2);
    assert.equal((await call('GET', '/api/v1/namespaces/default/events/seen.1')).body.series.count, 2);
    assert.equal((await call('DELETE', '/apis/events.k8s.io/v1/namespaces/default/events/seen.1')).status, 200);
    assert.equal((await call('GET', '/api/v1/namespaces/default/events/seen.1')).status, 404);
  });

  test('discovery, aggregated discovery, version and OpenAPI', async () => {
    const version = await call('GET', '/version');
    assert.equal(version.body.major, '1');
    const apis = await call('GET', '/apis');
    assert.ok(apis.body.groups.some((g: any) => g.name === 'coordination.k8s.io'));
    const aggregated = await call('GET', '/apis', undefined, { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' });
    assert.match(String(aggregated.headers['content-type']), /as=APIGroupDiscoveryList/);
    assert.equal(aggregated.body.kind, 'APIGroupDiscoveryList');
    const core = await call('GET', '/api/v1');
    const pods = core.body.resources.find((r: any) => r.name === 'pods');
    assert.deepEqual(pods.shortNames, ['po']);
    assert.ok(core.body.resources.some((r: any) => r.name === 'pods/status'));
    const v3 = await call('GET', '/openapi/v3');
    const coreDoc = await call('GET', v3.body.paths['api/v1'].serverRelativeURL);
    assert.ok(coreDoc.body.components.schemas['io.k8s.api.core.v1.Pod']);
    const v2 = await request(`${creds.server}/openapi/v2`, { dispatcher: agent, headers: { accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' } });
    assert.match(String(v2.headers['content-type']), /protobuf/);
    assert.ok((await v2.body.arrayBuffer()).byteLength > 1000);
  });
});
