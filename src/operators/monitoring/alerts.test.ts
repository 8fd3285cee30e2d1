import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { alertLines, firingAlerts } from './alerts.ts';

/** A stand-in Prometheus answering /api/v1/alerts with `answer` (status, body), on a free loopback port. */
async function prometheus(answer: (res: import('node:http').ServerResponse) => void): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => (req.url === '/api/v1/alerts' ? answer(res) : res.writeHead(404).end()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

test('firing alerts: only those firing, label text without control characters, cut to a line', async () => {
  const { url, server } = await prometheus((res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
    status: 'success',
    data: {
      alerts: [
        { state: 'firing', activeAt: '2026-12-06T10:12:31Z', labels: { alertname: 'ZooKeeperServerDown', severity: 'critical' }, annotations: { summary: 'server 3\u001b[2J of default/demo\nis down' } },
        { state: 'pending', labels: { alertname: 'GranaryNodeNotReady' } },
        { state: 'firing', labels: { alertname: 'x'.repeat(500) } },
        { state: 'firing', labels: {} },
      ],
    },
  })));
  try {
    const alerts = await firingAlerts(url);
    assert.deepEqual(alerts.map((a) => a.name.length > 200 ? 'long' : a.name), ['ZooKeeperServerDown', 'long', '(unnamed)']);
    assert.deepEqual(alerts[0], { name: 'ZooKeeperServerDown', severity: 'critical', since: '2026-12-06T10:12:31Z', summary: 'server 3 [2J of default/demo is down' });
    assert.equal(alerts[1].name, `${'x'.repeat(200)}…`);
    assert.deepEqual(alertLines(alerts.slice(0, 1)), ['  1 alert firing:', '    ZooKeeperServerDown (critical) since 2026-12-06T10:12:31Z: server 3 [2J of default/demo is down']);
  } finally {
    server.close();
  }
});

test('firing alerts: a wrong status, a wrong shape and an endless answer are errors, not hangs or crashes', async () => {
  const cases: [string, (res: import('node:http').ServerResponse) => void, RegExp][] = [
    ['503', (res) => res.writeHead(503).end('no'), /answered 503/],
    ['no list', (res) => res.writeHead(200).end('{"data":{"alerts":"many"}}'), /no list of alerts/],
    ['null', (res) => res.writeHead(200).end('null'), /no list of alerts/],
    ['too large', (res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const write = () => { while (res.write(chunk)); };
      res.on('drain', write);
      res.on('error', () => undefined);
      write();
    }, /larger than 1048576 bytes/],
    ['silent', () => undefined, /timeout|aborted/i],
  ];
  for (const [what, answer, error] of cases) {
    const { url, server } = await prometheus(answer);
    try {
      await assert.rejects(firingAlerts(url), error, what);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  }
});

test('alert lines: none firing, and at most ten shown', () => {
  assert.deepEqual(alertLines([]), ['  no alerts firing']);
  const many = Array.from({ length: 12 }, (_, i) => ({ name: `A${i}` }));
  const lines = alertLines(many);
  assert.equal(lines[0], '  12 alerts firing:');
  assert.equal(lines.length, 1 + 10 + 1);
  assert.equal(lines.at(-1), '    ... and 2 more (see Prometheus\' Alerts page)');
});
