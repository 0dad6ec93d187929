/**
 * Render threads for the Slack worker: decoding a large channel's findings and building its
 * messages runs here, off the hub's main thread, so Slack acks, BullMQ lock renewals and
 * Redis replies are never held up behind it. `threads: 0` renders in-process (small fleets,
 * unit tests). A thread that dies fails its tasks (the job retries) and is replaced on the next.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type RenderInput, type RenderOutput, packRemediations, renderDelivery } from './render.ts';

export interface RenderPool {
  render(input: RenderInput): Promise<RenderOutput>;
  /** Start the threads now (loading their modules takes a moment), so the first post does not wait for it. */
  warm(): void;
  close(): Promise<void>;
}

interface Pending {
  resolve: (o: RenderOutput) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
}

// The thread module next to this one, compiled (.js) or run from source (.ts, type stripping).
const THREAD_URL = new URL(`./render-thread${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

export function createRenderPool(options: { threads?: number } = {}): RenderPool {
  const size = Math.max(0, options.threads ?? 1);
  if (size === 0) {
    return { render: async (input) => renderDelivery(input), warm: () => undefined, close: async () => undefined };
  }
  const slots: (Slot | null)[] = Array.from({ length: size }, () => null);
  let next = 0;
  let seq = 0;
  let closed = false;

  const spawnSlot = (i: number): Slot => {
    const worker = new Worker(THREAD_URL);
    worker.unref();
    const slot: Slot = { worker, pending: new Map() };
    const failAll = (err: Error) => {
      for (const p of slot.pending.values()) p.reject(err);
      slot.pending.clear();
      if (slots[i] === slot) slots[i] = null;
    };
    worker.on('message', (msg: { id: number; output?: RenderOutput; error?: string }) => {
      const p = slot.pending.get(msg.id);
      if (p === undefined) return;
      slot.pending.delete(msg.id);
      if (msg.error !== undefined) p.reject(new Error(`render failed: ${msg.error}`));
      else p.resolve(msg.output as RenderOutput);
    });
    worker.on('error', (err) => failAll(err));
    worker.on('exit', (code) => failAll(new Error(`render thread exited (${code})`)));
    return slot;
  };

  return {
    render(input) {
      if (closed) return Promise.reject(new Error('render pool closed'));
      const i = next++ % size;
      const slot = (slots[i] ??= spawnSlot(i));
      const id = ++seq;
      return new Promise<RenderOutput>((resolve, reject) => {
        slot.pending.set(id, { resolve, reject });
        const { remediations, ...rest } = input;
        slot.worker.postMessage({ id, input: rest, ...(remediations ? { remediations: packRemediations(remediations) } : {}) });
      });
    },
    warm() {
      for (let i = 0; i < size; i++) if (!closed) slots[i] ??= spawnSlot(i);
    },
    async close() {
      closed = true;
      await Promise.all(slots.map((s) => s?.worker.terminate()));
    },
  };
}
