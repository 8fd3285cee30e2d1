"""Checks of the API server with the official Kubernetes Python client (Debian's python3-kubernetes).

Run as: python3 python_checks.py KUBECONFIG NAMESPACE
Prints one JSON line per check: {"check": NAME, "ok": true} or {"check": NAME, "ok": false, "error": ...}.
Every check asserts the values that come back, not only that nothing raised.
"""
import json
import sys
import threading
import time
import traceback

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException
from kubernetes.dynamic import DynamicClient

KUBECONFIG, NAMESPACE = sys.argv[1], sys.argv[2]
GROUP = f'{NAMESPACE}.example.com'
CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


def expect(actual, expected, what):
    if actual != expected:
        raise AssertionError(f'{what}: expected {expected!r}, got {actual!r}')


def api_error(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except ApiException as err:
        return err, json.loads(err.body)
    raise AssertionError('the request succeeded')


def config_map(name, data, labels=None):
    return client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name, labels=labels or {}), data=data)


@check
def typed_api():
    v1 = client.CoreV1Api()
    created = v1.create_namespaced_config_map(NAMESPACE, config_map('typed', {'a': '1'}, {'check': 'typed'}))
    expect(created.data, {'a': '1'}, 'created data')
    expect(bool(created.metadata.uid), True, 'uid set')
    read = v1.read_namespaced_config_map('typed', NAMESPACE)
    expect((read.metadata.resource_version, read.data), (created.metadata.resource_version, {'a': '1'}), 'read back')
    listed = v1.list_namespaced_config_map(NAMESPACE, label_selector='check=typed')
    expect([i.metadata.name for i in listed.items], ['typed'], 'listed by label')
    read.data['b'] = '2'
    replaced = v1.replace_namespaced_config_map('typed', NAMESPACE, read)
    expect(replaced.data, {'a': '1', 'b': '2'}, 'replaced')
    if replaced.metadata.resource_version == read.metadata.resource_version:
        raise AssertionError('a replace changes the resourceVersion')
    patched = v1.patch_namespaced_config_map('typed', NAMESPACE, {'data': {'c': '3'}})
    expect(patched.data, {'a': '1', 'b': '2', 'c': '3'}, 'strategic merge patch')
    status = v1.delete_namespaced_config_map('typed', NAMESPACE)
    expect(status.status, 'Success', 'delete status')
    expect(status.details.name, 'typed', 'delete details')
    err, _ = api_error(v1.read_namespaced_config_map, 'typed', NAMESPACE)
    expect(err.status, 404, 'gone after delete')


@check
def watch_events_and_resume():
    v1 = client.CoreV1Api()
    events = []
    w = watch.Watch()

    def follow():
        for event in w.stream(v1.list_namespaced_config_map, NAMESPACE, label_selector='check=watch', timeout_seconds=20):
            events.append((event['type'], event['object'].metadata.name, event['object'].metadata.resource_version,
                           (event['object'].data or {}).get('v')))
            if event['type'] == 'DELETED':
                w.stop()

    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    time.sleep(0.5)
    v1.create_namespaced_config_map(NAMESPACE, config_map('watched', {'v': '1'}, {'check': 'watch'}))
    v1.patch_namespaced_config_map('watched', NAMESPACE, {'data': {'v': '2'}})
    v1.delete_namespaced_config_map('watched', NAMESPACE)
    reader.join(20)
    if reader.is_alive():
        w.stop()
        raise AssertionError(f'the watch did not see the deletion within 20 s; events: {events}')
    expect([(t, n, v) for t, n, _, v in events], [('ADDED', 'watched', '1'), ('MODIFIED', 'watched', '2'), ('DELETED', 'watched', '2')], 'events')
    # Resuming from the ADDED event's resourceVersion replays what came after it, and nothing before.
    added_version = events[0][2]
    resumed = []
    w2 = watch.Watch()
    for event in w2.stream(v1.list_namespaced_config_map, NAMESPACE, label_selector='check=watch', resource_version=added_version, timeout_seconds=10):
        resumed.append((event['type'], (event['object'].data or {}).get('v')))
        if event['type'] == 'DELETED':
            w2.stop()
    expect(resumed, [('MODIFIED', '2'), ('DELETED', '2')], 'resumed events')


@check
def pagination():
    v1 = client.CoreV1Api()
    for i in range(7):
        v1.create_namespaced_config_map(NAMESPACE, config_map(f'page-{i}', {'i': str(i)}, {'check': 'page'}))
    names, token, pages, remaining = [], None, 0, []
    while True:
        page = v1.list_namespaced_config_map(NAMESPACE, label_selector='check=page', limit=3, _continue=token)
        pages += 1
        names += [i.metadata.name for i in page.items]
        remaining.append(page.metadata.remaining_item_count)
        token = page.metadata._continue
        if not token:
            break
    expect((pages, names), (3, [f'page-{i}' for i in range(7)]), 'pages and names')
    everything = v1.list_namespaced_config_map(NAMESPACE, label_selector='check=page', limit=-1)
    expect(len(everything.items), 7, 'a negative limit is no limit')


@check
def errors():
    v1 = client.CoreV1Api()
    err, body = api_error(v1.read_namespaced_config_map, 'missing', NAMESPACE)
    expect((err.status, body['reason'], body['details']), (404, 'NotFound', {'name': 'missing', 'kind': 'configmaps'}), 'not found')
    v1.create_namespaced_config_map(NAMESPACE, config_map('twice', {}))
    err, body = api_error(v1.create_namespaced_config_map, NAMESPACE, config_map('twice', {}))
    expect((err.status, body['reason'], body['message']), (409, 'AlreadyExists', 'configmaps "twice" already exists'), 'already exists')
    err, body = api_error(v1.create_namespaced_config_map, NAMESPACE, config_map('Not_Valid', {}))
    expect((err.status, body['reason'], body['details']['kind'], body['details']['causes'][0]['field']), (422, 'Invalid', 'ConfigMap', 'metadata.name'), 'invalid')
    stale = v1.read_namespaced_config_map('twice', NAMESPACE)
    v1.patch_namespaced_config_map('twice', NAMESPACE, {'data': {'x': '1'}})
    err, body = api_error(v1.replace_namespaced_config_map, 'twice', NAMESPACE, stale)
    expect((err.status, body['reason']), (409, 'Conflict'), 'stale replace')
    err, body = api_error(client.AppsV1Api().list_namespaced_deployment, NAMESPACE)
    expect(err.status, 404, 'a resource the server does not serve')


@check
def server_side_apply_with_force():
    dyn = DynamicClient(client.ApiClient())
    cms = dyn.resources.get(api_version='v1', kind='ConfigMap')
    # This client sends an apply body only as text (JSON is YAML), with force=True when forcing.
    body = json.dumps({'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': 'applied'}, 'data': {'owner': 'first', 'first': 'yes'}})
    first = cms.server_side_apply(body=body, name='applied', namespace=NAMESPACE, field_manager='first')
    expect(first.data.owner, 'first', 'first apply')
    other = json.dumps({'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': 'applied'}, 'data': {'owner': 'second'}})
    err, status = api_error(cms.server_side_apply, body=other, name='applied', namespace=NAMESPACE, field_manager='second')
    expect((err.status, status['reason']), (409, 'Conflict'), 'a conflicting apply without force')
    if 'first' not in status['message']:
        raise AssertionError(f'the conflict names the owner: {status["message"]}')
    taken = cms.server_side_apply(body=other, name='applied', namespace=NAMESPACE, field_manager='second', force_conflicts=True)
    expect((taken.data.owner, taken.data.first), ('second', 'yes'), 'force=True takes the field over')
    owners = {m['manager']: json.dumps(m['fieldsV1']) for m in taken.to_dict()['metadata']['managedFields']}
    if 'f:owner' not in owners['second'] or 'f:owner' in owners['first']:
        raise AssertionError(f'the owner field moved to "second": {owners}')


@check
def dynamic_client_on_a_crd():
    ext = client.ApiextensionsV1Api()
    ext.create_custom_resource_definition({
        'apiVersion': 'apiextensions.k8s.io/v1', 'kind': 'CustomResourceDefinition',
        'metadata': {'name': f'gadgets.{GROUP}'},
        'spec': {
            'group': GROUP, 'scope': 'Namespaced',
            'names': {'plural': 'gadgets', 'singular': 'gadget', 'kind': 'Gadget'},
            'versions': [{
                'name': 'v1', 'served': True, 'storage': True, 'subresources': {'status': {}},
                'schema': {'openAPIV3Schema': {'type': 'object', 'properties': {
                    'spec': {'type': 'object', 'properties': {'size': {'type': 'integer'}, 'color': {'type': 'string', 'default': 'blue'}}},
                    'status': {'type': 'object', 'properties': {'ready': {'type': 'boolean'}}},
                }}},
            }],
        },
    })
    deadline = time.time() + 20
    while time.time() < deadline:
        crd = ext.read_custom_resource_definition(f'gadgets.{GROUP}')
        if any(c.type == 'Established' and c.status == 'True' for c in (crd.status.conditions or [])):
            break
        time.sleep(0.2)
    else:
        raise AssertionError('the CRD never became Established')
    dyn = DynamicClient(client.ApiClient())
    gadgets = dyn.resources.get(api_version=f'{GROUP}/v1', kind='Gadget')
    created = gadgets.create(namespace=NAMESPACE, body={'apiVersion': f'{GROUP}/v1', 'kind': 'Gadget', 'metadata': {'name': 'g1'}, 'spec': {'size': 3}})
    expect((created.spec.size, created.spec.color), (3, 'blue'), 'created with the schema default')
    patched = gadgets.patch(namespace=NAMESPACE, name='g1', body={'spec': {'size': 4}}, content_type='application/merge-patch+json')
    expect(patched.spec.size, 4, 'merge patch')
    listed = gadgets.get(namespace=NAMESPACE)
    expect([i.metadata.name for i in listed.items], ['g1'], 'list')
    gadgets.delete(namespace=NAMESPACE, name='g1')
    err, _ = api_error(gadgets.get, namespace=NAMESPACE, name='g1')
    expect(err.status, 404, 'deleted')


@check
def custom_objects_api():
    co = client.CustomObjectsApi()
    body = {'apiVersion': f'{GROUP}/v1', 'kind': 'Gadget', 'metadata': {'name': 'g2'}, 'spec': {'size': 1}}
    created = co.create_namespaced_custom_object(GROUP, 'v1', NAMESPACE, 'gadgets', body)
    expect(created['spec'], {'size': 1, 'color': 'blue'}, 'created')
    got = co.get_namespaced_custom_object(GROUP, 'v1', NAMESPACE, 'gadgets', 'g2')
    expect(got['metadata']['uid'], created['metadata']['uid'], 'get')
    patched = co.patch_namespaced_custom_object(GROUP, 'v1', NAMESPACE, 'gadgets', 'g2', {'spec': {'color': 'red'}})
    expect(patched['spec'], {'size': 1, 'color': 'red'}, 'patch')
    status = co.patch_namespaced_custom_object_status(GROUP, 'v1', NAMESPACE, 'gadgets', 'g2', {'status': {'ready': True}})
    expect((status['status'], status['spec']['color']), ({'ready': True}, 'red'), 'status subresource')
    got['spec']['size'] = 9
    got['metadata']['resourceVersion'] = status['metadata']['resourceVersion']
    replaced = co.replace_namespaced_custom_object(GROUP, 'v1', NAMESPACE, 'gadgets', 'g2', got)
    expect((replaced['spec']['size'], replaced.get('status')), (9, {'ready': True}), 'replace keeps status')
    listed = co.list_namespaced_custom_object(GROUP, 'v1', NAMESPACE, 'gadgets')
    expect([i['metadata']['name'] for i in listed['items']], ['g2'], 'list')
    co.delete_namespaced_custom_object(GROUP, 'v1', NAMESPACE, 'gadgets', 'g2')
    err, body = api_error(co.get_namespaced_custom_object, GROUP, 'v1', NAMESPACE, 'gadgets', 'g2')
    expect((err.status, body['details']), (404, {'name': 'g2', 'group': GROUP, 'kind': 'gadgets'}), 'deleted')


def main():
    config.load_kube_config(config_file=KUBECONFIG)
    client.CoreV1Api().create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=NAMESPACE)))
    for fn in CHECKS:
        try:
            fn()
            print(json.dumps({'check': fn.__name__, 'ok': True}), flush=True)
        except Exception:  # report every failure and go on to the next check
            print(json.dumps({'check': fn.__name__, 'ok': False, 'error': traceback.format_exc()}), flush=True)


main()
