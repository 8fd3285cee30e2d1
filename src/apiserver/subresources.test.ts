import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './errors.ts';
import { Query } from './http/query.ts';
import { podLogQuery } from './subresources.ts';

const logQuery = (text: string) => podLogQuery(new Query(new URLSearchParams(text)), 'web').toString();

test('pod log options are converted as Kubernetes converts PodLogOptions, canonical for the agent', () => {
  assert.equal(logQuery('follow=True&previous=0&timestamps=1&tailLines=%2B10'), 'follow=true&timestamps=true&tailLines=10');
  assert.equal(logQuery('sinceTime=2026-01-02T03:04:05Z&limitBytes=100'), 'limitBytes=100&sinceTime=2026-01-02T03%3A04%3A05Z');
  assert.throws(() => logQuery('tailLines=ten'), (e: ApiError) => e.code === 400 && /strconv\.ParseInt/.test(e.message));
  assert.throws(() => logQuery('sinceTime=yesterday'), (e: ApiError) => e.code === 400);
  assert.throws(() => logQuery('tailLines=-1&limitBytes=0'), (e: ApiError) => e.code === 422 && e.details?.kind === 'PodLogOptions' && e.details.causes?.length === 2);
  assert.throws(() => logQuery('sinceSeconds=5&sinceTime=2026-01-02T03:04:05Z'), /at most one of `sinceTime` or `sinceSeconds` may be specified/);
});
