// The worker thread YAML bodies are decoded in (see yaml-pool.ts): one message in, one out.
import { parentPort } from 'node:worker_threads';
import { ApiError } from '../errors.ts';
import { decodeYamlText } from './yaml.ts';
import type { DecodeLimits } from './limits.ts';

parentPort!.on('message', ({ id, text, limits }: { id: number; text: string; limits: DecodeLimits }) => {
  try {
    parentPort!.postMessage({ id, decoded: decodeYamlText(text, limits) });
  } catch (err) {
    const failure = err instanceof ApiError
      ? { code: err.code, reason: err.reason, message: err.message }
      : { code: 400, reason: 'BadRequest', message: `error decoding YAML: ${(err as Error).message}` };
    parentPort!.postMessage({ id, failure });
  }
});
