/** The render thread's entry (render-pool.ts): one RenderInput in, one RenderOutput (or an error) out. */
import { parentPort } from 'node:worker_threads';
import { type PackedRemediations, type RenderInput, renderDelivery, unpackRemediations } from './render.ts';

parentPort?.on('message', (msg: { id: number; input: RenderInput; remediations?: PackedRemediations }) => {
  try {
    const input = msg.remediations ? { ...msg.input, remediations: unpackRemediations(msg.remediations) } : msg.input;
    parentPort?.postMessage({ id: msg.id, output: renderDelivery(input) });
  } catch (err) {
    parentPort?.postMessage({ id: msg.id, error: err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err) });
  }
});
