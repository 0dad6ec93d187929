/** The render thread's entry (render-pool.ts): one RenderInput in, one RenderOutput (or an error) out. */
import { parentPort } from 'node:worker_threads';
import { type RenderInput, renderDelivery } from './render.ts';

parentPort?.on('message', (msg: { id: number; input: RenderInput }) => {
  try {
    parentPort?.postMessage({ id: msg.id, output: renderDelivery(msg.input) });
  } catch (err) {
    parentPort?.postMessage({ id: msg.id, error: err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err) });
  }
});
