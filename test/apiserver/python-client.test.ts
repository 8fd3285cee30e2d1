// The API server driven by the official Kubernetes Python client (Debian's python3-kubernetes, as
// scripts, Ansible and Airflow use it): typed API, watch with resume, pagination, errors,
// server-side apply with force, DynamicClient on a CRD, CustomObjectsApi. The checks, in
// clients/python_checks.py, assert the values that come back; each is one test here.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { startApiServer, type RunningApiServer } from '../support/apiserver.ts';

/** Debian's Python, which has python3-kubernetes (another python3 on PATH may not). */
const PYTHON = '/usr/bin/python3';
const CHECKS = ['typed_api', 'watch_events_and_resume', 'pagination', 'errors', 'server_side_apply_with_force', 'dynamic_client_on_a_crd', 'custom_objects_api'];

describe('the official Kubernetes Python client', () => {
  let server: RunningApiServer;
  const results = new Map<string, { ok: boolean; error?: string }>();

  before(async () => {
    server = await startApiServer({ listen: '127.0.20.1:0' });
    const output = await new Promise<string>((resolve, reject) => {
      execFile(PYTHON, [join(import.meta.dirname, 'clients/python_checks.py'), server.kubeconfig, 'python-client'], { timeout: 120_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`python checks failed to run (${err.message}):\n${stderr}\n${stdout}`));
        else resolve(stdout);
      });
    });
    for (const line of output.trim().split('\n')) {
      const { check, ...result } = JSON.parse(line) as { check: string; ok: boolean; error?: string };
      results.set(check, result);
    }
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
  });

  for (const check of CHECKS) {
    test(check.replaceAll('_', ' '), () => {
      const result = results.get(check);
      assert.ok(result, `the check ${check} did not run`);
      assert.ok(result.ok, result.error);
    });
  }

  test('every check the script has is one of these tests', () => {
    assert.deepEqual([...results.keys()].sort(), [...CHECKS].sort());
  });
});
