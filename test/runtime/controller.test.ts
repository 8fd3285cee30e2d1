// The runtime against a real granary apiserver: the sample operator converges, survives an API
// server restart and a 410, detects a silent watch, and two replicas elect one leader.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createTcpServer, connect, type Socket } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { startApiServer, tempDir, type RunningApiServer } from '../support/apiserver.ts';
import { freePort } from '../support/net.ts';
import { KubeClient } from '../../src/client/client.ts';
import { isNotFound } from '../../src/client/errors.ts';
import { createLogger } from '../../src/common/log.ts';
import { LeaderElector } from '../../src/runtime/leader.ts';
import { greeterController, GREETING_CRD, type Greeting } from '../../examples/greeter/greeter.ts';
import { eventually } from '../support/eventually.ts';


const log = createLogger('test', process.env.TEST_LOG_LEVEL ?? 'warn');

describe('runtime against granary apiserver', () => {
  let server: RunningApiServer;
  let dataDir: string;
  let listen: string;
  let client: KubeClient;

  before(async () => {
    dataDir = tempDir('runtime');
    listen = `127.0.0.1:${await freePort()}`;
    server = await startApiServer({ dataDir, listen, env: { GRANARY_WATCH_HISTORY: '20' } });
    client = KubeClient.fromKubeconfig(server.kubeconfig);
    await client.resource('apiextensions.k8s.io/v1', 'CustomResourceDefinition').create(GREETING_CRD);
    await eventually('the Greeting CRD to be served', async () => (await client.resource('example.granary.dev/v1alpha1', 'Greeting').list('default')) ?? undefined);
  });
  after(async () => {
    await client.close();
    await server.stop();
  });

  const greetings = () => client.resource<Greeting>('example.granary.dev/v1alpha1', 'Greeting');
  const messageOf = async (name: string) => {
    try {
      return ((await client.resource('v1', 'ConfigMap').get(`greeting-${name}`, 'default')).data as Record<string, string>).message;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };

  test('the sample operator converges, repairs its children, and survives a restart and a 410', async () => {
    const restarts: string[] = [];
    const controller = greeterController(client, log.child({ controller: 'greeter' }));
    const stop = new AbortController();
    const running = controller.run(stop.signal);
    try {
      await greetings().create({ apiVersion: 'example.granary.dev/v1alpha1', kind: 'Greeting', metadata: { name: 'hello', namespace: 'default' }, spec: { message: 'hi' } });
      await eventually('the ConfigMap', async () => ((await messageOf('hello')) === 'hi' ? true : undefined));
      const status = await eventually('Available status', async () => {
        const g = await greetings().get('hello', 'default');
        return g.status?.conditions?.some((c) => (c as { type: string; status: string }).type === 'Available') ? g.status : undefined;
      });
      assert.equal(status.observedGeneration, 1);
      await greetings().patch('hello', 'default', { spec: { message: 'hello again' } });
      await eventually('the changed message', async () => ((await messageOf('hello')) === 'hello again' ? true : undefined));
      await client.resource('v1', 'ConfigMap').delete('greeting-hello', 'default');
      await eventually('the deleted child to come back', async () => ((await messageOf('hello')) === 'hello again' ? true : undefined));

      // Restart the API server on the same address; write a burst larger than the watch history
      // before the controller reconnects, so that its resume point is gone (410) and it must relist.
      await server.stop();
      server = await startApiServer({ dataDir, listen, env: { GRANARY_WATCH_HISTORY: '20' } });
      const burst = KubeClient.fromKubeconfig(server.kubeconfig);
      for (let i = 0; i < 40; i++) await burst.resource('v1', 'ConfigMap').create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `noise-${i}`, namespace: 'default' } });
      await burst.close();
      await greetings().patch('hello', 'default', { spec: { message: 'after restart' } });
      await eventually('convergence after the restart', async () => ((await messageOf('hello')) === 'after restart' ? true : undefined), 30_000);
    } finally {
      stop.abort();
      await running;
    }
    void restarts;
  });

  test('a silent watch is detected and restarted', async () => {
    // A TCP relay in front of the server that can stop passing bytes to the client: a half-open stream.
    let frozen = false;
    const sockets: Socket[] = [];
    const relay = createTcpServer((downstream) => {
      const upstream = connect(Number(listen.split(':')[1]), '127.0.0.1');
      sockets.push(downstream, upstream);
      downstream.pipe(upstream);
      upstream.on('data', (chunk) => {
        if (!frozen) downstream.write(chunk);
      });
      const close = () => (downstream.destroy(), upstream.destroy());
      downstream.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', () => r()));
    const relayPort = (relay.address() as { port: number }).port;
    const kubeconfig = `${tempDir('relay')}/kubeconfig`;
    writeFileSync(kubeconfig, readFileSync(server.kubeconfig, 'utf8').replace(/server: https:\/\/127\.0\.0\.1:\d+/, `server: https://127.0.0.1:${relayPort}`));
    const viaRelay = KubeClient.fromKubeconfig(kubeconfig);
    const reasons: string[] = [];
    const { Controller } = await import('../../src/runtime/controller.ts');
    const seen: string[] = [];
    const controller = new Controller({
      name: 'silence-test', client: viaRelay, apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default',
      watcher: { silenceTimeoutMs: 1500, onRestart: (reason) => reasons.push(reason) },
      reconcile: async (cm) => void seen.push(cm.metadata.name!),
    });
    const stop = new AbortController();
    const running = controller.run(stop.signal);
    try {
      await eventually('the initial list', async () => (seen.length > 0 ? true : undefined));
      frozen = true;
      await client.resource('v1', 'ConfigMap').create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'during-silence', namespace: 'default' } });
      await eventually('the watcher to notice the silence', async () => (reasons.includes('silent') ? true : undefined), 10_000);
      frozen = false;
      await eventually('the change made during the silence', async () => (seen.includes('during-silence') ? true : undefined), 15_000);
    } finally {
      stop.abort();
      await running;
      await viaRelay.close();
      for (const s of sockets) s.destroy();
      relay.close();
    }
  });

  test('two replicas elect exactly one leader, and the other takes over when it stops', async () => {
    const leading = new Set<string>();
    const everLed: string[] = [];
    const replica = (identity: string) => {
      const stop = new AbortController();
      const elector = new LeaderElector({ client, namespace: 'kube-system', name: 'greeter-leader', identity, leaseDurationSeconds: 3, renewDeadlineMs: 2000, retryPeriodMs: 300, log });
      const done = elector.run(async (signal) => {
        leading.add(identity);
        everLed.push(identity);
        await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
        leading.delete(identity);
      }, stop.signal);
      return { stop, done };
    };
    const a = replica('replica-a');
    const b = replica('replica-b');
    await eventually('a leader', async () => (leading.size === 1 ? true : undefined));
    for (let i = 0; i < 10; i++) {
      assert.equal(leading.size, 1, 'never two leaders at once');
      await new Promise((r) => setTimeout(r, 200));
    }
    const first = [...leading][0];
    const [winner, loser] = first === 'replica-a' ? [a, b] : [b, a];
    winner.stop.abort();
    await winner.done;
    await eventually('the other replica to lead', async () => (leading.size === 1 && !leading.has(first) ? true : undefined), 10_000);
    loser.stop.abort();
    await loser.done;
    assert.deepEqual(new Set(everLed), new Set(['replica-a', 'replica-b']));
  });
});
