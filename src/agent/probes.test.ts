import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ContainerProber, runProbe, type ProbeTarget } from './probes.ts';
import type { Probe } from './pod-types.ts';

const target: ProbeTarget = { host: '127.0.0.1', env: { GREETING: 'hi' }, ports: [{ name: 'admin', containerPort: 0 }] };

async function listen(t: { after(fn: () => Promise<void>): void }, server: ReturnType<typeof createHttpServer> | ReturnType<typeof createTcpServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as { port: number }).port;
}

const until = async (what: string, check: () => boolean) => {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

test('exec probes run in the service environment and fail on exit status or timeout', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'granary-probe-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'marker'), '');
  const inDir = { ...target, workingDir: dir };
  assert.deepEqual(await runProbe({ exec: { command: ['sh', '-c', 'test -f marker && echo "$GREETING"'] } }, inDir), { ok: true, message: 'hi' });
  const failed = await runProbe({ exec: { command: ['sh', '-c', 'echo broken >&2; exit 2'] } }, inDir);
  assert.equal(failed.ok, false);
  assert.match(failed.message, /exited with 2: broken/);
  const slow = await runProbe({ exec: { command: ['sleep', '5'] }, timeoutSeconds: 0.2 }, inDir);
  assert.deepEqual(slow, { ok: false, message: 'command timed out after 0.2s' });
  if (process.getuid?.() === 0) {
    assert.deepEqual(await runProbe({ exec: { command: ['id', '-u'] } }, { ...inDir, user: 'nobody' }), { ok: true, message: '65534' });
  }
  assert.equal((await runProbe({ exec: { command: ['/nonexistent'] } }, inDir)).ok, false);
});

test('tcpSocket probes succeed when something listens, by number or port name', async (t) => {
  const port = await listen(t, createTcpServer((socket) => socket.destroy()));
  assert.equal((await runProbe({ tcpSocket: { port } }, target)).ok, true);
  assert.equal((await runProbe({ tcpSocket: { port: 'admin' } }, { ...target, ports: [{ name: 'admin', containerPort: port }] })).ok, true);
  const closed = await listen(t, createTcpServer());
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
  const refused = await runProbe({ tcpSocket: { port: closed, host: '127.0.0.3' } }, target);
  assert.equal(refused.ok, false);
  assert.match(refused.message, /127\.0\.0\.3:\d+: ECONNREFUSED/);
  assert.match((await runProbe({ tcpSocket: { port: 'missing' } }, target)).message, /not a port number or a named container port/);
});

test('httpGet probes: 200-399 succeed, others fail; path and headers are sent', async (t) => {
  const seen: { url?: string; agent?: string; custom?: string }[] = [];
  const port = await listen(t, createHttpServer((req, res) => {
    seen.push({ url: req.url, agent: req.headers['user-agent'], custom: req.headers['x-check'] as string | undefined });
    const status = Number(new URL(req.url!, 'http://x').searchParams.get('status') ?? 200);
    if (req.url?.startsWith('/slow')) return;
    res.writeHead(status).end();
  }));
  assert.deepEqual(await runProbe({ httpGet: { port, path: '/health?status=204', httpHeaders: [{ name: 'X-Check', value: 'yes' }] } }, target), { ok: true, message: 'HTTP 204' });
  assert.deepEqual(seen[0], { url: '/health?status=204', agent: 'kube-probe/1.33', custom: 'yes' });
  assert.equal((await runProbe({ httpGet: { port, path: '/?status=302' } }, target)).ok, true);
  assert.deepEqual(await runProbe({ httpGet: { port, path: '/?status=503' } }, target), { ok: false, message: 'HTTP probe failed with statuscode: 503' });
  const slow = await runProbe({ httpGet: { port, path: '/slow' }, timeoutSeconds: 0.2 }, target);
  assert.match(slow.message, /timed out after 0\.2s/);
});

test('readiness needs successThreshold successes and is lost after failureThreshold failures', async (t) => {
  let healthy = false;
  const port = await listen(t, createHttpServer((_req, res) => res.writeHead(healthy ? 200 : 500).end()));
  const changes: boolean[] = [];
  const readinessProbe: Probe = { httpGet: { port }, periodSeconds: 0.02, successThreshold: 2, failureThreshold: 2 };
  const prober = new ContainerProber({ readinessProbe }, target, { onReadinessChange: (ready) => changes.push(ready) });
  t.after(() => prober.stop());
  assert.equal(prober.ready, false, 'not ready before the first success');
  assert.equal(prober.started, true);
  prober.start();
  await until('some failures', () => prober.status('readiness').consecutiveFailures >= 3);
  assert.equal(prober.ready, false);
  healthy = true;
  await until('readiness', () => prober.ready);
  assert.ok(prober.status('readiness').consecutiveSuccesses >= 2);
  healthy = false;
  await until('unreadiness', () => !prober.ready);
  assert.deepEqual(changes, [true, false]);
});

test('liveness failing failureThreshold times asks for a restart and stops probing', async (t) => {
  const port = await listen(t, createHttpServer((_req, res) => res.writeHead(500).end()));
  const unhealthy: string[] = [];
  const prober = new ContainerProber({ livenessProbe: { httpGet: { port }, periodSeconds: 0.02, failureThreshold: 3 } }, target, {
    onUnhealthy: (kind, outcome) => unhealthy.push(`${kind}: ${outcome.message}`),
  });
  t.after(() => prober.stop());
  assert.equal(prober.ready, true, 'no readiness probe: ready once started');
  prober.start();
  await until('the restart request', () => unhealthy.length > 0);
  assert.deepEqual(unhealthy, ['liveness: HTTP probe failed with statuscode: 500']);
  assert.equal(prober.status('liveness').consecutiveFailures, 3);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(prober.status('liveness').consecutiveFailures, 3, 'no probing after the verdict');
});

test('a startup probe holds back liveness and readiness until it succeeds', async (t) => {
  const port = await listen(t, createTcpServer((socket) => socket.destroy()));
  const waiting = new ContainerProber({
    startupProbe: { exec: { command: ['sh', '-c', 'test "$UP" = yes'] }, periodSeconds: 0.02, failureThreshold: 1000 },
    readinessProbe: { tcpSocket: { port }, periodSeconds: 0.02 },
    livenessProbe: { tcpSocket: { port }, periodSeconds: 0.02 },
  }, { ...target, env: { UP: 'no' } });
  t.after(() => waiting.stop());
  waiting.start();
  await until('startup failures', () => waiting.status('startup').consecutiveFailures >= 3);
  assert.equal(waiting.started, false);
  assert.equal(waiting.ready, false);
  assert.equal(waiting.status('readiness').last, undefined, 'readiness waits for startup');
  assert.equal(waiting.status('liveness').last, undefined, 'liveness waits for startup');

  const events: string[] = [];
  const starting = new ContainerProber({
    startupProbe: { exec: { command: ['sh', '-c', 'test "$UP" = yes'] }, periodSeconds: 0.02 },
    readinessProbe: { tcpSocket: { port }, periodSeconds: 0.02 },
  }, { ...target, env: { UP: 'yes' } }, { onStarted: () => events.push('started'), onReadinessChange: (ready) => events.push(`ready=${ready}`) });
  t.after(() => starting.stop());
  starting.start();
  await until('ready', () => starting.ready);
  assert.equal(starting.started, true);
  assert.deepEqual(events, ['started', 'ready=true']);
});

test('a startup probe that keeps failing asks for a restart', async (t) => {
  const unhealthy: string[] = [];
  const prober = new ContainerProber({ startupProbe: { exec: { command: ['false'] }, periodSeconds: 0.01, failureThreshold: 2 } }, target, {
    onUnhealthy: (kind) => unhealthy.push(kind),
  });
  t.after(() => prober.stop());
  prober.start();
  await until('the verdict', () => unhealthy.length > 0);
  assert.deepEqual(unhealthy, ['startup']);
  assert.equal(prober.started, false);
});

test('a run adopted after an agent restart keeps its reported readiness until its probes say otherwise; initial delays count from its start', async (t) => {
  let healthy = true;
  const port = await listen(t, createHttpServer((_req, res) => res.writeHead(healthy ? 200 : 500).end()));
  const readinessProbe: Probe = { httpGet: { port }, periodSeconds: 0.02, failureThreshold: 2 };
  const changes: boolean[] = [];
  const adopted = new ContainerProber({ readinessProbe, startupProbe: { exec: { command: ['false'] } } }, target,
    { onReadinessChange: (ready) => changes.push(ready) }, { ready: true, started: true, runningSeconds: 60 });
  t.after(() => adopted.stop());
  assert.equal(adopted.ready, true, 'ready before its first probe, as reported');
  assert.equal(adopted.started, true, 'its startup probe passed before: not run again');
  adopted.start();
  await until('probes', () => adopted.status('readiness').consecutiveSuccesses >= 2);
  assert.equal(adopted.status('startup').last, undefined);
  healthy = false;
  await until('unreadiness', () => !adopted.ready);
  assert.deepEqual(changes, [false]);

  // One reported unready stays unready until a probe succeeds; a delay that ran out before the restart is not waited again.
  healthy = true;
  const unready = new ContainerProber({ readinessProbe: { ...readinessProbe, initialDelaySeconds: 30 } }, target, {}, { ready: false, started: true, runningSeconds: 45 });
  t.after(() => unready.stop());
  assert.equal(unready.ready, false);
  unready.start();
  await until('readiness', () => unready.ready);
});
