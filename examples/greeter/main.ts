// Runs the greeter operator against the cluster in KUBECONFIG (or --kubeconfig FILE):
//   scripts/node.sh examples/greeter/main.ts --kubeconfig .granary/admin.kubeconfig
import { parseArgs } from 'node:util';
import { hostname } from 'node:os';
import { KubeClient } from '../../src/client/client.ts';
import { isAlreadyExists } from '../../src/client/errors.ts';
import { createLogger } from '../../src/common/log.ts';
import { LeaderElector } from '../../src/runtime/leader.ts';
import { greeterController, GREETING_CRD } from './greeter.ts';

const { values } = parseArgs({ options: { kubeconfig: { type: 'string' } } });
const client = KubeClient.fromKubeconfig(values.kubeconfig);
const log = createLogger('greeter');
try {
  await client.resource('apiextensions.k8s.io/v1', 'CustomResourceDefinition').create(GREETING_CRD);
} catch (err) {
  if (!isAlreadyExists(err)) throw err;
}
const stop = new AbortController();
process.once('SIGINT', () => stop.abort());
process.once('SIGTERM', () => stop.abort());
// Only one replica reconciles at a time; the others wait for the lease.
await new LeaderElector({ client, namespace: 'kube-system', name: 'greeter', identity: `${hostname()}-${process.pid}`, log })
  .run((leading) => greeterController(client, log).run(leading), stop.signal);
await client.close();
