// The MonitoringStack's discovery at scale, with Debian's real Prometheus: 1,000 simulated nodes
// (`granary agent --simulate`) each give an agent target and, through the node exporter pod the
// operator makes for every node, a pod target; 100 more nodes appear as targets, and disappear
// again when they are deleted (their exporter pods with them); Prometheus logs no error all along.
// How fast is measured by `npm run bench:monitoring` (docs/benchmarks.md); here the waits are
// generous and the durations are only printed. Addresses: 127.0.13.20 (operators), .21 (node).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from '../support/eventually.ts';
import { startDiscoveryStack, type DiscoveryStack, type Target } from '../support/discovery-stack.ts';

const MANY = 1_000;
const MORE = 100;

/** Agent targets (node role) and node exporter targets (pod role) of the simulated nodes whose names start with `prefix`-. */
function countOf(targets: Target[], prefix: string): { agents: number; exporters: number } {
  const simulated = (node: string | undefined) => node?.startsWith(`${prefix}-`) ?? false;
  return {
    agents: targets.filter((t) => t.labels.job === 'granary-agents' && simulated(t.labels.node)).length,
    exporters: targets.filter((t) => t.labels.job === 'pods' && t.labels.component === 'node-exporter' && simulated(t.labels.node)).length,
  };
}

describe('discovery keeps up with many nodes', () => {
  let stack: DiscoveryStack;

  before(async () => {
    stack = await startDiscoveryStack({ subnet: '127.0.13' });
  });
  after(async () => {
    await stack?.stop();
  });

  test(`${MANY} simulated nodes become targets; ${MORE} more appear and, deleted, disappear; Prometheus logs no error`, async (t) => {
    const waitFor = async (what: string, prefix: string, agents: number, exporters: number) => {
      const started = Date.now();
      let last = { agents: -1, exporters: -1 };
      await eventually(what, async () => {
        last = countOf(await stack.targets(), prefix);
        return last.agents === agents && last.exporters === exporters ? true : undefined;
      }, 180_000, 1000).catch((err: Error) => Promise.reject(new Error(`${err.message}: last seen ${JSON.stringify(last)}\n${stack.operator.output().slice(-3000)}`)));
      t.diagnostic(`${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    };
    // Scrapes of simulated targets fail (nothing listens there): scraping seldom keeps Prometheus' work small.
    await Promise.all([stack.startMonitoring({ scrapeInterval: '5m', evaluationInterval: '5m', discoveryRefreshInterval: '5s' }), stack.simulate('sim', MANY)]);
    await waitFor(`${MANY} nodes' targets`, 'sim', MANY, MANY);

    const more = await stack.simulate('more', MORE);
    await waitFor(`${MORE} more nodes' targets`, 'more', MORE, MORE);

    await more.stop();
    await stack.kubectl.ok(['delete', 'nodes', '-l', 'granary.dev/sim-group=more', '--wait=true'], { timeoutMs: 120_000 });
    await waitFor(`the ${MORE} deleted nodes' targets gone`, 'more', 0, 0);
    assert.deepEqual(countOf(await stack.targets(), 'sim'), { agents: MANY, exporters: MANY }, 'the others stay');

    const log = await stack.prometheusLog();
    const problems = log.split('\n').filter((l) => /level=(error|warn)/.test(l));
    assert.deepEqual(problems, [], 'Prometheus logs no error or warning');
    assert.match(log, /msg="Server is ready to receive web requests."/);
  });
});
