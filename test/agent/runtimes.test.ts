// The three runtimes against the real thing: the systemd runtime drives a systemd started as PID
// 1 in its own namespaces, the process runtime supervises processes itself, the container runtime
// runs OCI containers through a real containerd's CRI API (busybox image from a real registry,
// the test's scripts bind-mounted at the same path). The same
// behaviour is checked on both: running with env, args, user and working directory, logs, restart
// policies and crash-loop back-off, stopping within a grace period, adoption by a new runtime
// object, and cleanup of services whose pod is gone.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { openProcessRuntime } from '../../src/agent/runtimes/process.ts';
import { openSystemdRuntime } from '../../src/agent/runtimes/systemd.ts';
import { podSliceName, serviceName, type ContainerRuntime, type ServiceSpec, type ServiceStatus } from '../../src/agent/runtimes/runtime.ts';
import type { CrashLoopBackOff } from '../../src/agent/runtimes/restart-backoff.ts';
import { startSystemd, systemdUnavailable, type TestSystemd } from '../support/systemd.ts';
import { openContainerRuntime } from '../../src/agent/runtimes/container.ts';
import { containersUnavailable, startContainerHost, type ContainerHost } from '../support/containers.ts';

const BACK_OFF: CrashLoopBackOff = { initialSeconds: 0.5, maxSeconds: 2, resetAfterSeconds: 600 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Files under `dir` whose content includes `text`. */
function filesHolding(dir: string, text: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && readFileSync(join(e.parentPath, e.name), 'utf8').includes(text))
    .map((e) => join(e.parentPath, e.name));
}

/** `file` is mode 0600, and so is every directory from `root` down to it 0700. */
function assertPrivate(root: string, file: string): void {
  assert.equal(statSync(file).mode & 0o777, 0o600, file);
  for (let dir = dirname(file); dir.startsWith(root); dir = dirname(dir)) assert.equal(statSync(dir).mode & 0o777, 0o700, dir);
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text;
}

interface Harness {
  open(): Promise<ContainerRuntime>;
  /** Where the runtime keeps its records. */
  stateDir: string;
  /** Directories every local user may read (systemd's unit directory). */
  publicDirs?: string[];
  /** Whether the service's process is still alive, asked of the substrate rather than the runtime. */
  alive(name: string, pid: number): Promise<boolean>;
  /** Something only this runtime can show about a service's configuration. */
  extraChecks?(runtime: ContainerRuntime, name: string): Promise<void>;
  /** What a spec needs besides the script on this runtime (an image and a mount of the scripts). */
  adapt?(spec: ServiceSpec, scripts: string): ServiceSpec;
}

function runtimeSuite(kind: 'systemd' | 'process' | 'container', setUp: () => Promise<Harness>, tearDown: () => Promise<void>) {
  describe(`${kind} runtime`, () => {
    let harness: Harness;
    let runtime: ContainerRuntime;
    let scripts: string;
    const started: string[] = [];

    before(async () => {
      harness = await setUp();
      runtime = await harness.open();
      scripts = mkdtempSync('/tmp/granary-runtime-scripts-');
      chmodSync(scripts, 0o755);
    });
    after(async () => {
      for (const name of started) await runtime.remove(name).catch(() => undefined);
      await runtime.close();
      rmSync(scripts, { recursive: true, force: true });
      await tearDown();
    });

    /** A spec for pod `pod` running a shell script. */
    function spec(pod: string, script: string, extra: Partial<ServiceSpec> = {}): ServiceSpec {
      const file = join(scripts, `${pod}.sh`);
      writeFileSync(file, `#!/bin/sh\n${script}\n`);
      chmodSync(file, 0o755);
      const name = serviceName('test', pod, 'main');
      started.push(name);
      const plain: ServiceSpec = {
        name, slice: podSliceName('test', pod), labels: { namespace: 'test', pod, podUid: `uid-${pod}`, container: 'main' },
        argv: [file], env: {}, restart: 'never', stopTimeoutSec: 5, ...extra,
      };
      return harness.adapt ? harness.adapt(plain, scripts) : plain;
    }

    const status = (name: string) => runtime.status(name);
    const until = (name: string, what: string, check: (s: ServiceStatus) => boolean) =>
      waitFor(what, async () => { const s = await status(name); return check(s) && s; });

    test('runs the program with its arguments, environment, working directory and user; logs its output', async () => {
      const s = spec('env', 'echo "args:$1|$2"; printf "greeting:%s\\n" "$GREETING"; echo "cwd:$(pwd)"; echo "uid:$(id -u)"; echo "to stderr" >&2; exec sleep 300', {
        argv: [join(scripts, 'env.sh'), 'two words', '$HOME %n'],
        env: { GREETING: 'hello "world" $x %i\\n', PATH: '/usr/bin:/bin', SECRET_TOKEN: 's3cr3t-only-for-root' },
        workingDir: scripts, user: 'nobody', cpuMillis: 250, memoryBytes: 64 * 1024 * 1024,
      });
      await runtime.start(s);
      const running = await until(s.name, 'the service to run', (x) => x.state === 'running');
      assert.ok(running.pid && running.pid > 0);
      assert.deepEqual(running.labels, s.labels);
      assert.equal(running.restartCount, 0);
      // stdout and stderr reach the log through separate pipes (a container's shim copies each on its
      // own), so wait for both streams' last lines rather than assume the order they arrive in.
      const text = await waitFor('the output', async () => {
        const out = await readAll(await runtime.logs(s.name));
        return out.includes('to stderr') && /^uid:/m.test(out) && out;
      });
      assert.match(text, /^args:two words\|\$HOME %n$/m);
      assert.match(text, /^greeting:hello "world" \$x %i\\n$/m);
      assert.match(text, new RegExp(`^cwd:${scripts}$`, 'm'));
      assert.match(text, /^uid:65534$/m);

      const stamped = await readAll(await runtime.logs(s.name, { timestamps: true, tailLines: 2 }));
      const lines = stamped.trim().split('\n');
      assert.equal(lines.length, 2);
      for (const line of lines) assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z /);
      assert.deepEqual(lines.map((line) => line.replace(/^\S+ /, '')).sort(), ['to stderr', 'uid:65534'], 'the last line of each stream');
      const future = await readAll(await runtime.logs(s.name, { sinceTime: new Date(Date.now() + 60_000) }));
      assert.equal(future, '');

      // Idempotent: the same spec again leaves the run alone.
      await runtime.start(s);
      assert.equal((await status(s.name)).pid, running.pid);
      await harness.extraChecks?.(runtime, s.name);
      // A Secret in the environment is written only where root alone reads it.
      const holders = filesHolding(harness.stateDir, 's3cr3t-only-for-root');
      assert.ok(holders.length > 0 || kind === 'container', 'the runtime keeps the spec');
      for (const file of holders) assertPrivate(harness.stateDir, file);
      for (const dir of harness.publicDirs ?? []) assert.deepEqual(filesHolding(dir, 's3cr3t-only-for-root'), [], `no copy in ${dir}`);
    });

    test('restart policy never and on-failure: a finished run stays finished', async () => {
      const completed = spec('done', 'echo finished; exit 0', { restart: 'on-failure' });
      const failed = spec('broken', 'exit 7', { restart: 'never' });
      await runtime.start(completed);
      await runtime.start(failed);
      const done = await until(completed.name, 'completion', (x) => x.state !== 'running');
      assert.equal(done.state, 'exited');
      assert.equal(done.termination?.exitCode, 0);
      assert.equal(done.termination?.reason, 'Completed');
      const broken = await until(failed.name, 'failure', (x) => x.state !== 'running');
      assert.equal(broken.state, 'failed');
      assert.equal(broken.termination?.exitCode, 7);
      assert.equal(broken.termination?.reason, 'Error');
      await sleep(1500);
      for (const name of [completed.name, failed.name]) {
        const later = await status(name);
        assert.equal(later.restartCount, 0);
        assert.equal(later.backOff, undefined);
      }
      // Calling start again with the same spec does not rerun a finished service.
      await runtime.start(completed);
      assert.equal((await status(completed.name)).restartCount, 0);
    });

    test('a program that cannot start is reported as StartError', async () => {
      const s = spec('missing', '', { argv: ['/nonexistent/program', 'x'] });
      await runtime.start(s);
      const failed = await until(s.name, 'the start error', (x) => x.state === 'failed');
      assert.equal(failed.termination?.reason, 'StartError');
      assert.ok(failed.termination?.message);
    });

    test('a crashing service is restarted with a doubling back-off and reports it', async () => {
      // Each run lives a moment after printing: journald attributes output of a process that is
      // already gone to no unit, so `journalctl -u` could miss it.
      const counter = join(scripts, 'crash.count');
      const s = spec('crash', `n=$(cat ${counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${counter}; echo "run $n"; sleep 0.2; exit 3`, { restart: 'always' });
      const events: string[] = [];
      const unsubscribe = runtime.onRunEvent((e) => { if (e.name === s.name && e.labels.podUid === s.labels.podUid) events.push(e.type); });
      await runtime.start(s);
      const inBackOff = await until(s.name, 'a back-off after two restarts', (x) => x.restartCount >= 2 && !!x.backOff);
      unsubscribe();
      // Every run that started and ended was announced, in order, as the supervisor saw it (no poll of status() needed).
      assert.deepEqual(events.slice(0, 6), ['ContainerStarted', 'ContainerDied', 'ContainerStarted', 'ContainerDied', 'ContainerStarted', 'ContainerDied']);
      assert.equal(inBackOff.state, 'failed');
      assert.equal(inBackOff.termination?.exitCode, 3);
      assert.equal(inBackOff.lastTermination?.exitCode, 3);
      assert.ok(inBackOff.backOff!.delaySeconds >= 1, `delay grows: ${inBackOff.backOff!.delaySeconds}`);
      assert.ok(inBackOff.backOff!.nextRestartAt.getTime() > inBackOff.termination!.finishedAt.getTime());
      // 0.5s, 1s, 2s, then capped at 2s.
      await until(s.name, 'the capped delay', (x) => x.restartCount >= 3 && x.backOff?.delaySeconds === BACK_OFF.maxSeconds);
      // The latest and the previous run have their own logs (journald may take a moment to store them).
      const runNumber = async (previous: boolean) => Number(await waitFor('the run\'s output', async () =>
        /run (\d+)/.exec(await readAll(await runtime.logs(s.name, { previous })))?.[1]));
      const stopped = await runtime.stop(s.name, 1);
      assert.equal(await runNumber(true), (await runNumber(false)) - 1);
      assert.equal(stopped.stopped, true);
      assert.equal(stopped.backOff, undefined);
      const count = (await status(s.name)).restartCount;
      await sleep(BACK_OFF.maxSeconds * 1000 + 500);
      assert.equal((await status(s.name)).restartCount, count, 'a stopped service is not restarted');
    });

    test('stop sends SIGTERM and waits out the grace period before SIGKILL', async () => {
      const polite = spec('polite', 'trap "echo got TERM; exit 0" TERM; echo ready; while :; do sleep 0.1; done');
      const stubborn = spec('stubborn', 'trap "echo ignoring TERM" TERM; echo ready; while :; do sleep 0.1; done');
      await runtime.start(polite);
      await runtime.start(stubborn);
      for (const s of [polite, stubborn]) {
        await waitFor('readiness', async () => (await readAll(await runtime.logs(s.name))).includes('ready'));
      }
      const politeStopped = await runtime.stop(polite.name, 30);
      assert.equal(politeStopped.state, 'exited');
      assert.equal(politeStopped.termination?.exitCode, 0);
      const began = Date.now();
      const stubbornStopped = await runtime.stop(stubborn.name, 1);
      assert.ok(Date.now() - began >= 1000, 'the grace period is honoured');
      assert.equal(stubbornStopped.state, 'failed');
      assert.equal(stubbornStopped.termination?.exitCode, 137);
      assert.equal(stubbornStopped.termination?.signal, 'SIGKILL');
      assert.match(await readAll(await runtime.logs(stubborn.name)), /ignoring TERM/);
      // start() after stop() runs it again.
      await runtime.start(polite);
      const again = await until(polite.name, 'the second run', (x) => x.state === 'running');
      assert.equal(again.stopped, false);
      assert.equal(again.restartCount, 1);
    });

    test('logs --follow passes on new lines and ends when the run ends', async () => {
      const s = spec('chatty', 'for i in 1 2 3 4 5; do echo "line $i"; sleep 0.2; done; exit 0');
      await runtime.start(s);
      await until(s.name, 'the run', (x) => x.state === 'running');
      const text = await readAll(await runtime.logs(s.name, { follow: true }));
      assert.match(text, /line 1\n[\s\S]*line 5\n$/);
      assert.equal((await status(s.name)).state, 'exited');
    });

    test('a changed spec replaces the running service', async () => {
      const first = spec('changing', 'echo "version $VERSION"; exec sleep 300', { env: { VERSION: '1' } });
      await runtime.start(first);
      const one = await until(first.name, 'version 1', (x) => x.state === 'running');
      await runtime.start({ ...first, env: { VERSION: '2' } });
      const two = await until(first.name, 'version 2', (x) => x.state === 'running' && x.pid !== one.pid);
      assert.equal(two.restartCount, 1);
      await waitFor('the new output', async () => (await readAll(await runtime.logs(first.name))).includes('version 2'));
    });

    test('a new runtime object adopts running services, learns exits it missed, and can clean up', async () => {
      const lasting = spec('lasting', 'exec sleep 300', { restart: 'always' });
      const leaving = spec('leaving', 'sleep 1; exit 4', { restart: 'never' });
      const orphan = spec('orphan', 'exec sleep 300', { restart: 'always' });
      for (const s of [lasting, leaving, orphan]) await runtime.start(s);
      const before = await until(lasting.name, 'the lasting run', (x) => x.state === 'running');
      await runtime.close();

      // While no agent watches, one service ends.
      await sleep(2000);
      runtime = await harness.open();
      const adopted = await status(lasting.name);
      assert.equal(adopted.state, 'running');
      assert.equal(adopted.pid, before.pid);
      assert.equal(adopted.restartCount, 0);
      const missed = await status(leaving.name);
      assert.equal(missed.state, 'failed');
      assert.equal(missed.termination?.exitCode, 4);

      const listed = await runtime.list();
      const orphanEntry = listed.find((s) => s.name === orphan.name);
      assert.deepEqual(orphanEntry?.labels, orphan.labels);
      await runtime.remove(orphan.name);
      assert.equal((await status(orphan.name)).state, 'absent');
      assert.ok(!(await runtime.list()).some((s) => s.name === orphan.name));
      await assert.rejects(runtime.logs(orphan.name), { reason: 'NotFound' });
    });

    test('a service whose record was lost is still listed, by its labels, and can be removed', async () => {
      const stray = spec('stray', 'exec sleep 300', { restart: 'always' });
      await runtime.start(stray);
      const running = await until(stray.name, 'the stray run', (x) => x.state === 'running');
      await runtime.close();
      rmSync(join(harness.stateDir, stray.name, 'service.json'));
      runtime = await harness.open();
      assert.equal((await status(stray.name)).state, 'absent', 'no record, so not managed');
      assert.deepEqual((await runtime.list()).find((s) => s.name === stray.name)?.labels, stray.labels);
      await runtime.remove(stray.name);
      assert.ok(!(await runtime.list()).some((s) => s.name === stray.name));
      await waitFor('the stray process to end', async () => !(await harness.alive(stray.name, running.pid!)));
    });

    test('refuses specs it cannot run faithfully', async () => {
      const s = spec('invalid', 'true');
      await assert.rejects(runtime.start({ ...s, argv: [] }), { reason: 'InvalidSpec' });
      await assert.rejects(runtime.start({ ...s, workingDir: 'relative' }), { reason: 'InvalidSpec' });
      await assert.rejects(runtime.start({ ...s, env: { '1BAD': 'x' } }), { reason: 'InvalidSpec' });
      assert.equal((await status(s.name)).state, 'absent');
    });
  });
}

const skipSystemd = systemdUnavailable();
let systemd: TestSystemd | undefined;
let systemdState: string;
if (skipSystemd) {
  test('systemd runtime', { skip: skipSystemd }, () => undefined);
} else {
  runtimeSuite('systemd', async () => {
    systemd = await startSystemd();
    systemdState = mkdtempSync('/tmp/granary-systemd-state-');
    const sd = systemd;
    return {
      stateDir: systemdState,
      publicDirs: [sd.unitDir],
      alive: async (name) => (await sd.run(['systemctl', 'is-active', name])).stdout.trim() === 'active',
      open: () => openSystemdRuntime({ unitDir: sd.unitDir, stateDir: systemdState, commandPrefix: sd.commandPrefix, backOff: BACK_OFF, pollIntervalMs: 100 }),
      async extraChecks(_runtime, name) {
        const shown = await sd.run(['systemctl', 'show', name, '-p', 'Slice,User,WorkingDirectory,CPUQuotaPerSecUSec,MemoryMax,TimeoutStopUSec,Restart']);
        assert.match(shown.stdout, /^Slice=granary-test_env\.slice$/m);
        assert.match(shown.stdout, /^User=nobody$/m);
        assert.match(shown.stdout, /^CPUQuotaPerSecUSec=250ms$/m);
        assert.match(shown.stdout, /^MemoryMax=67108864$/m);
        assert.match(shown.stdout, /^TimeoutStopUSec=5s$/m);
        assert.match(shown.stdout, /^Restart=no$/m);
        const environment = await sd.run(['systemctl', 'show', name, '-p', 'Environment']);
        assert.equal(environment.stdout.trim(), 'Environment=', 'systemctl show tells no one the environment');
        assert.ok(existsSync(join(sd.unitDir, name)));
      },
    };
  }, async () => {
    await systemd?.stop();
    rmSync(systemdState, { recursive: true, force: true });
  });
}

const skipContainers = containersUnavailable();
let containerHost: ContainerHost | undefined;
let containerState: string;
if (skipContainers) {
  test('container runtime', { skip: skipContainers }, () => undefined);
} else {
  runtimeSuite('container', async () => {
    containerHost = await startContainerHost('127.0.12.1');
    containerState = mkdtempSync('/tmp/granary-container-state-');
    const host = containerHost;
    return {
      stateDir: containerState,
      alive: async (_name, pid) => existsSync(`/proc/${pid}`) && readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z',
      open: () => openContainerRuntime({ cri: host.cri, node: 'runtime-test', stateDir: containerState, backOff: BACK_OFF, pollIntervalMs: 100 }),
      adapt: (spec, scripts) => ({ ...spec, container: { image: host.pauseImage, mounts: [{ hostPath: scripts, containerPath: scripts, readOnly: false }] } }),
      async extraChecks(runtime, name) {
        // Limits are the container's cgroup's; exec runs inside the container.
        const memory = await runtime.exec!(name, ['cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes'], 5);
        assert.equal(memory.output.trim(), String(64 * 1024 * 1024));
        const cpu = await runtime.exec!(name, ['cat', '/sys/fs/cgroup/cpu/cpu.cfs_quota_us'], 5);
        assert.equal(cpu.output.trim(), '25000');
        const user = await runtime.exec!(name, ['id', '-un'], 5);
        assert.equal(user.output.trim(), 'nobody');
        const failing = await runtime.exec!(name, ['sh', '-c', 'exit 3'], 5);
        assert.equal(failing.exitCode, 3);
      },
    };
  }, async () => {
    await containerHost?.stop();
    rmSync(containerState, { recursive: true, force: true });
  });
}

let processState: string;
runtimeSuite('process', async () => {
  processState = mkdtempSync('/tmp/granary-process-state-');
  return {
    stateDir: processState,
    alive: async (_name, pid) => existsSync(`/proc/${pid}`) && readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z',
    open: () => openProcessRuntime({ stateDir: processState, backOff: BACK_OFF, pollIntervalMs: 100 }),
  };
}, async () => {
  rmSync(processState, { recursive: true, force: true });
});
