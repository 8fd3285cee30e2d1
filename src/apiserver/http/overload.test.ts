import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../errors.ts';
import { OverloadGuard } from './overload.ts';

const request = (method: string) => ({ method }) as IncomingMessage;
const response = () => new EventEmitter() as unknown as ServerResponse;

test('in-flight caps: mutating and read-only requests are counted apart until their responses close', () => {
  const guard = new OverloadGuard({ maxMutatingInFlight: 2, maxReadOnlyInFlight: 1 });
  const first = response();
  guard.admitInFlight(request('POST'), first);
  guard.admitInFlight(request('PATCH'), response());
  assert.throws(() => guard.admitInFlight(request('DELETE'), response()), (err: ApiError) => err.code === 429 && err.details?.retryAfterSeconds === 1);
  guard.admitInFlight(request('GET'), response());
  assert.throws(() => guard.admitInFlight(request('GET'), response()), (err: ApiError) => err.code === 429);
  first.emit('close');
  assert.doesNotThrow(() => guard.admitInFlight(request('PUT'), response()), 'a closed response frees its slot');
});

test('per-user limits: system:masters is exempt, others have a rate and a number of watches', () => {
  const guard = new OverloadGuard({ maxWatchesPerUser: 1, requestsPerSecondPerUser: 1, burstPerUser: 2 });
  const alice = { username: 'alice', groups: ['system:authenticated'] };
  const admin = { username: 'admin', groups: ['system:masters'] };
  const watch = response();
  guard.admitUser(watch, alice, true);
  assert.throws(() => guard.admitUser(response(), alice, true), /too many open watches/);
  assert.throws(() => guard.admitUser(response(), alice, false), /more than 1 requests per second/);
  for (let i = 0; i < 10; i++) guard.admitUser(response(), admin, i % 2 === 0);
});
