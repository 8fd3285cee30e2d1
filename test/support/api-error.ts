// The Status error a request to the API server fails with, for tests that expect a refusal.
import assert from 'node:assert/strict';
import { KubeApiError } from '../../src/client/errors.ts';

/** Awaits `promise`, which must reject with a KubeApiError, and returns that error. */
export async function apiError(promise: Promise<unknown>): Promise<KubeApiError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof KubeApiError, String(err));
    return err;
  }
  assert.fail('the request succeeded');
}
