/**
 * Group commit for the gateway's interactions. Under load the gateway answers hundreds of requests a
 * second; writing each as its own append (one write + fdatasync each) let the queue fall seconds behind,
 * and a kill lost everything queued. Here, while one batch is being written, the interactions that arrive
 * are gathered, and the next batch takes all of them in ONE append (one write + one fdatasync per ledger
 * segment). An answered interaction therefore waits for at most the batch in progress and its own batch:
 * the delay is bounded by two batch writes, whatever the load (see README, gateway section, for figures).
 */
import type { Interaction } from '../interaction';

export interface BatchRecorder {
  /** Resolves once `i` is durable (its batch was written), rejects with the batch's write error. */
  record(i: Interaction): Promise<void>;
  /** Resolves when everything recorded so far has been written (or failed). */
  flush(): Promise<void>;
}

/** `write` stores a whole batch durably (e.g. one ledger.append). At most `maxBatch` interactions per call. */
export function batchRecorder(write: (batch: Interaction[]) => Promise<unknown>, maxBatch = 2_000): BatchRecorder {
  let queue: Array<{ i: Interaction; ok: () => void; fail: (e: unknown) => void }> = [];
  let running: Promise<void> | null = null;

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      try {
        await write(batch.map((b) => b.i));
        for (const b of batch) b.ok();
      } catch (e) {
        for (const b of batch) b.fail(e);
      }
    }
    running = null;
  }

  return {
    record(i) {
      return new Promise<void>((ok, fail) => {
        queue.push({ i, ok, fail });
        running ??= drain();
      });
    },
    flush: () => running ?? Promise.resolve(),
  };
}
