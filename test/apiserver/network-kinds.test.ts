// v1 Service, discovery.k8s.io/v1 EndpointSlice and node.k8s.io/v1 RuntimeClass through the real
// kubectl, oldest and newest installed: typed create (protobuf), apply and re-apply, server-side
// apply, get with Kubernetes' columns, explain, and Kubernetes' defaults, allocation and validation.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { startApiServer, type RunningApiServer } from '../support/apiserver.ts';
import { Kubectl, KUBECTL_VERSIONS } from '../support/kubectl.ts';
import { apiCaller } from '../support/http-api.ts';
import { readKubeconfig, tlsAgent } from '../../bench/support.ts';

const SERVICE_RANGE = /^10\.(9[6-9]|1[01][0-9])\.\d+\.\d+$/; // 10.96.0.0/12

for (const version of KUBECTL_VERSIONS) {
  describe(`Service, EndpointSlice and RuntimeClass with kubectl ${version}`, () => {
    let server: RunningApiServer;
    let k: Kubectl;
    const yamlOf = async (...args: string[]) => parseYaml(await k.ok(['get', ...args, '-o', 'yaml']));

    before(async () => {
      server = await startApiServer({ listen: '127.0.20.1:0' });
      k = new Kubectl(version, server.kubeconfig);
    });
    after(async () => {
      assert.equal(await server.stop(), 0);
    });

    test('discovery lists the kinds with Kubernetes\' groups, scopes and short names', async () => {
      const out = await k.ok(['api-resources']);
      assert.match(out, /^services\s+svc\s+v1\s+true\s+Service$/m);
      assert.match(out, /^endpointslices\s+discovery\.k8s\.io\/v1\s+true\s+EndpointSlice$/m);
      assert.match(out, /^runtimeclasses\s+node\.k8s\.io\/v1\s+false\s+RuntimeClass$/m);
      assert.match(await k.ok(['api-resources', '--categories=all']), /^services\s/m);
    });

    test('typed create: a ClusterIP service gets defaults and a cluster IP from the service range', async () => {
      await k.ok(['create', 'service', 'clusterip', 'web', '--tcp=80:8080']);
      const svc = await yamlOf('svc', 'web');
      assert.match(svc.spec.clusterIP, SERVICE_RANGE);
      assert.deepEqual(svc.spec.clusterIPs, [svc.spec.clusterIP]);
      assert.deepEqual([svc.spec.type, svc.spec.sessionAffinity, svc.spec.internalTrafficPolicy, svc.spec.ipFamilyPolicy], ['ClusterIP', 'None', 'Cluster', 'SingleStack']);
      assert.deepEqual(svc.spec.ipFamilies, ['IPv4']);
      assert.deepEqual(svc.spec.ports, [{ name: '80-8080', port: 80, protocol: 'TCP', targetPort: 8080 }]);
      assert.deepEqual(svc.status, { loadBalancer: {} });
      await k.ok(['create', 'service', 'clusterip', 'none', '--clusterip=None']);
      await k.ok(['create', 'service', 'externalname', 'ext', '--external-name=db.example.com']);
      const table = await k.ok(['get', 'svc', 'web', 'none', 'ext', '-o', 'wide']);
      assert.match(table, /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\s+SELECTOR$/m);
      assert.match(table, new RegExp(`^web\\s+ClusterIP\\s+${svc.spec.clusterIP.replaceAll('.', '\\.')}\\s+<none>\\s+80/TCP\\s+\\S+\\s+app=web$`, 'm'));
      assert.match(table, /^none\s+ClusterIP\s+None\s+<none>\s+<none>\s+\S+\s+app=none$/m);
      assert.match(table, /^ext\s+ExternalName\s+<none>\s+db\.example\.com\s+<none>\s+\S+\s+app=ext$/m);
    });

    test('apply, re-apply and server-side apply keep the allocated cluster IP and node ports', async () => {
      const manifest = (label: string) => `apiVersion: v1
kind: Service
metadata: {name: zk, labels: {rev: "${label}"}}
spec:
  type: NodePort
  selector: {app: zk}
  ports:
  - {name: client, port: 2181}
  - {name: metrics, port: 7000, targetPort: metrics, nodePort: 30700}
`;
      assert.match(await k.ok(['apply', '-f', '-'], { input: manifest('1') }), /service\/zk created/);
      const first = await yamlOf('svc', 'zk');
      const clientNodePort = first.spec.ports[0].nodePort;
      assert.ok(clientNodePort >= 30000 && clientNodePort <= 32767, `node port ${clientNodePort}`);
      assert.equal(first.spec.ports[1].nodePort, 30700);
      assert.equal(first.spec.ports[1].targetPort, 'metrics');
      assert.equal(first.spec.externalTrafficPolicy, 'Cluster');
      assert.match(await k.ok(['apply', '-f', '-'], { input: manifest('2') }), /service\/zk configured/);
      const second = await yamlOf('svc', 'zk');
      assert.equal(second.metadata.labels.rev, '2');
      assert.equal(second.spec.clusterIP, first.spec.clusterIP);
      assert.deepEqual(second.spec.ports.map((p: { nodePort: number }) => p.nodePort), [clientNodePort, 30700]);
      assert.match(await k.ok(['get', 'svc', 'zk']), new RegExp(`2181:${clientNodePort}/TCP,7000:30700/TCP`));

      const ssa = (label: string) => `apiVersion: v1\nkind: Service\nmetadata: {name: ssa, labels: {rev: "${label}"}}\nspec:\n  ports: [{port: 80}]\n`;
      await k.ok(['apply', '--server-side', '-f', '-'], { input: ssa('1') });
      const ip = (await yamlOf('svc', 'ssa')).spec.clusterIP;
      await k.ok(['apply', '--server-side', '-f', '-'], { input: ssa('2') });
      const again = await yamlOf('svc', 'ssa');
      assert.deepEqual([again.spec.clusterIP, again.metadata.labels.rev], [ip, '2']);

      // Leaving NodePort drops the node ports the client did not change; the cluster IP stays.
      await k.ok(['patch', 'svc', 'zk', '--type=merge', '-p', '{"spec":{"type":"ClusterIP"}}']);
      const plain = await yamlOf('svc', 'zk');
      assert.deepEqual([plain.spec.clusterIP, plain.spec.ports.map((p: { nodePort?: number }) => p.nodePort), plain.spec.externalTrafficPolicy],
        [first.spec.clusterIP, [undefined, undefined], undefined]);
    });

    test('allocation and validation refuse what Kubernetes refuses, with its messages', async () => {
      const taken = (await yamlOf('svc', 'web')).spec.clusterIP;
      const create = (body: string) => k.run(['create', '-f', '-'], { input: body });
      const inUse = await create(`apiVersion: v1\nkind: Service\nmetadata: {name: dup}\nspec:\n  clusterIP: ${taken}\n  ports: [{port: 80}]\n`);
      assert.match(inUse.stderr, new RegExp(`spec\\.clusterIPs: Invalid value: .*failed to allocate IP ${taken.replaceAll('.', '\\.')}: provided IP is already allocated`));
      const outside = await create('apiVersion: v1\nkind: Service\nmetadata: {name: outside}\nspec:\n  clusterIP: 192.168.0.1\n  ports: [{port: 80}]\n');
      assert.match(outside.stderr, /provided IP is not in the valid range\. The range of valid IPs is 10\.96\.0\.0\/12/);
      const portTaken = await create('apiVersion: v1\nkind: Service\nmetadata: {name: np}\nspec:\n  type: NodePort\n  ports: [{port: 80, nodePort: 30700}]\n');
      assert.match(portTaken.stderr, /spec\.ports\[0\]\.nodePort: Invalid value: 30700: provided port is already allocated/);
      const bad = await create('apiVersion: v1\nkind: Service\nmetadata: {name: bad}\nspec:\n  ports: [{port: 80, nodePort: 30001}, {port: 70000}]\n');
      assert.notEqual(bad.code, 0);
      for (const message of [
        /spec\.ports\[0\]\.nodePort: Forbidden: may not be used when `type` is 'ClusterIP'/,
        /spec\.ports\[1\]\.port: Invalid value: 70000: must be between 1 and 65535, inclusive/,
        /spec\.ports\[0\]\.name: Required value/,
      ]) assert.match(bad.stderr, message);
      const badName = await create('apiVersion: v1\nkind: Service\nmetadata: {name: 1abc}\nspec:\n  ports: [{port: 80}]\n');
      assert.match(badName.stderr, /metadata\.name: Invalid value: "1abc": a DNS-1035 label/);
      const changed = await k.run(['patch', 'svc', 'web', '--type=merge', '-p', '{"spec":{"clusterIP":"10.96.0.10"}}']);
      assert.match(changed.stderr, /spec\.clusterIPs\[0\]: Invalid value: .*may not change once set/);
      // A field selector on the type, as Kubernetes offers.
      const names = await k.ok(['get', 'svc', '--field-selector=spec.type=ExternalName', '-o', 'name']);
      assert.equal(names.trim(), 'service/ext');
    });

    test('EndpointSlices: defaults, columns, validation and an immutable addressType', async () => {
      const slice = `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: zk-abc
  labels: {kubernetes.io/service-name: zk, endpointslice.kubernetes.io/managed-by: zookeeper.granary.dev}
addressType: IPv4
endpoints:
- {addresses: [127.0.0.2], conditions: {ready: true}, nodeName: granary-node-1}
- {addresses: [127.0.0.3], conditions: {ready: true}, nodeName: granary-node-2}
- {addresses: [127.0.0.4], conditions: {ready: false}, nodeName: granary-node-3}
- {addresses: [10.0.0.5], conditions: {ready: true}}
ports:
- {name: client, port: 2181}
- {name: metrics, port: 7000, appProtocol: http}
`;
      assert.match(await k.ok(['apply', '-f', '-'], { input: slice }), /endpointslice\.discovery\.k8s\.io\/zk-abc created/);
      const stored = await yamlOf('endpointslices', 'zk-abc');
      assert.deepEqual(stored.ports, [{ name: 'client', port: 2181, protocol: 'TCP' }, { name: 'metrics', port: 7000, protocol: 'TCP', appProtocol: 'http' }]);
      assert.equal(stored.endpoints[0].nodeName, 'granary-node-1');
      const table = await k.ok(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=zk']);
      assert.match(table, /^NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE$/m);
      assert.match(table, /^zk-abc\s+IPv4\s+2181,7000\s+127\.0\.0\.2,127\.0\.0\.3,127\.0\.0\.4 \+ 1 more\.\.\.\s+\S+$/m);
      const bad = await k.run(['create', '-f', '-'], {
        input: 'apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: bad}\naddressType: IPv4\nendpoints: [{addresses: ["::1", "0.0.0.0"]}, {addresses: []}]\nports: [{name: Bad_Name, protocol: HTTP}]\n',
      });
      for (const message of [
        /endpoints\[0\]\.addresses\[0\]: Invalid value: "::1": must be a valid IPv4 address/,
        /endpoints\[0\]\.addresses\[1\]: Invalid value: "0\.0\.0\.0": may not be unspecified/,
        /endpoints\[1\]\.addresses: Required value: must contain at least 1 address/,
        /ports\[0\]\.name: Invalid value: "Bad_Name"/,
        /ports\[0\]\.protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"/,
      ]) assert.match(bad.stderr, message);
      const retyped = await k.run(['patch', 'endpointslice', 'zk-abc', '--type=merge', '-p', '{"addressType":"FQDN","endpoints":[]}']);
      assert.match(retyped.stderr, /addressType: Invalid value: "FQDN": field is immutable/);
    });

    test('RuntimeClasses: columns, validation and an immutable handler', async () => {
      const rc = 'apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata: {name: containers}\nhandler: runc\noverhead: {podFixed: {memory: 64Mi, cpu: 100m}}\nscheduling:\n  nodeSelector: {granary.dev/runtime: runc}\n  tolerations: [{key: granary.dev/containers, operator: Exists, effect: NoSchedule}]\n';
      assert.match(await k.ok(['apply', '-f', '-'], { input: rc }), /runtimeclass\.node\.k8s\.io\/containers created/);
      const table = await k.ok(['get', 'runtimeclass']);
      assert.match(table, /^NAME\s+HANDLER\s+AGE$/m);
      assert.match(table, /^containers\s+runc\s+\S+$/m);
      assert.deepEqual((await yamlOf('runtimeclass', 'containers')).overhead, { podFixed: { memory: '64Mi', cpu: '100m' } });
      const changed = await k.run(['patch', 'runtimeclass', 'containers', '--type=merge', '-p', '{"handler":"crun"}']);
      assert.match(changed.stderr, /handler: Invalid value: "crun": field is immutable/);
      const bad = await k.run(['create', '-f', '-'], {
        input: 'apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata: {name: bad}\nhandler: Not_A_Label\noverhead: {podFixed: {cpu: "-1", widgets: 2}}\nscheduling: {tolerations: [{operator: Exists, value: x}]}\n',
      });
      for (const message of [
        /handler: Invalid value: "Not_A_Label": a lowercase RFC 1123 label/,
        /overhead\.podFixed\[cpu\]: Invalid value: "-1": must be greater than or equal to 0/,
        /overhead\.podFixed\[widgets\]: Invalid value: "widgets": must be a standard resource for containers/,
        /scheduling\.tolerations\[0\]\.operator: Invalid value: "x": value must be empty when `operator` is 'Exists'/,
      ]) assert.match(bad.stderr, message);
    });

    test('explain reads the published schemas of all three kinds', async () => {
      assert.match(await k.ok(['explain', 'service.spec.clusterIP']), /FIELD:\s+clusterIP\s+<string>/);
      assert.match(await k.ok(['explain', 'svc.spec.ports']), /targetPort\s+<\w+>\n\s+Number or name of the port on the endpoints/);
      assert.match(await k.ok(['explain', 'endpointslice.endpoints.conditions']), /ready\s+<boolean>/);
      assert.match(await k.ok(['explain', 'runtimeclass.overhead']), /podFixed\s+<map\[string\]\w+>/);
    });
  });
}

describe('bodies of the wrong JSON types', () => {
  test('are 400 before validation, as Go decoding refuses them; a null list item is its zero value', async () => {
    const server = await startApiServer({ listen: '127.0.20.1:0' });
    const creds = readKubeconfig(server.kubeconfig);
    const agent = tlsAgent(creds, 2);
    try {
      const { call } = apiCaller(creds.server, agent);
      const cases: [string, unknown, RegExp][] = [
        ['/api/v1/namespaces/default/services', { metadata: { name: 's' }, spec: { ports: 'x' } },
          /^Service in version "v1" cannot be handled as a Service: json: cannot unmarshal string into Go struct field Service\.spec\.ports of type array$/],
        ['/api/v1/namespaces/default/services', { metadata: { name: 's' }, spec: { ports: [{ port: 1.5 }] } }, /Service\.spec\.ports\[0\]\.port of type int32/],
        ['/api/v1/namespaces/default/services', { metadata: { name: 's' }, spec: { ports: [{ port: 80, targetPort: true }] } }, /spec\.ports\[0\]\.targetPort of type intstr\.IntOrString/],
        ['/api/v1/namespaces/default/services', { metadata: { name: 's' }, spec: { ports: [{ port: 80 }], selector: { app: 7 } } }, /spec\.selector\[app\] of type string/],
        ['/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', { metadata: { name: 'e' }, addressType: 'IPv4', endpoints: [{ addresses: 'x' }] },
          /EndpointSlice\.endpoints\[0\]\.addresses of type array/],
        ['/apis/node.k8s.io/v1/runtimeclasses', { metadata: { name: 'r' }, handler: 5 }, /RuntimeClass\.handler of type string/],
        ['/api/v1/namespaces/default/pods', { metadata: { name: 'p' }, spec: { containers: 'x' } }, /Pod\.spec\.containers of type array/],
      ];
      for (const [path, body, message] of cases) {
        const reply = await call('POST', path, body);
        assert.deepEqual([reply.status, reply.body.reason], [400, 'BadRequest'], JSON.stringify(body));
        assert.match(reply.body.message, message);
      }
      const zero = await call('POST', '/api/v1/namespaces/default/services', { metadata: { name: 'z' }, spec: { ports: [{ port: 80, name: 'a' }, null] } });
      assert.equal(zero.status, 422);
      assert.match(zero.body.message, /spec\.ports\[1\]\.port: Invalid value: 0: must be between 1 and 65535, inclusive/);
    } finally {
      await agent.close();
      assert.equal(await server.stop(), 0);
    }
  });
});
