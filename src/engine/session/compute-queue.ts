/**
 * One model, one compute stream: requests take turns on the engine, and interactive ones go first.
 *
 * The native engine's thread pool serves one evaluation at a time, so the backend runs one request's
 * work at a time. Inline completions are latency-critical and short, so a waiting completion is served
 * before waiting chats; a newer completion replaces an older one still waiting (its caller has moved on).
 * Interleaving a running chat with a completion at token granularity is the scheduler's next step; until
 * then a completion waits at most for the current request.
 */
import { CancelledError } from '../errors.js';

export type Priority = 'interactive' | 'background';

interface Waiter {
  priority: Priority;
  /** Completions share a replace key: a newer waiter with the same key cancels the older one. */
  replaceKey?: string;
  start: () => void;
  cancel: (e: Error) => void;
}

export class ComputeQueue {
  private running = false;
  private waiting: Waiter[] = [];

  /** Runs `work` when the engine is free; rejects with CancelledError if `signal` aborts first. */
  run<T>(
    work: () => Promise<T>,
    options: { priority: Priority; replaceKey?: string; signal?: AbortSignal },
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (options.signal?.aborted) return reject(new CancelledError());
      const waiter: Waiter = {
        priority: options.priority,
        ...(options.replaceKey ? { replaceKey: options.replaceKey } : {}),
        start: () => {
          options.signal?.removeEventListener('abort', onAbort);
          work()
            .then(resolve, reject)
            .finally(() => this.next());
        },
        cancel: (e) => {
          options.signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      const onAbort = () => {
        this.waiting = this.waiting.filter((w) => w !== waiter);
        waiter.cancel(new CancelledError());
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.replaceKey) {
        for (const old of this.waiting.filter((w) => w.replaceKey === options.replaceKey))
          old.cancel(new CancelledError('replaced by a newer request'));
        this.waiting = this.waiting.filter((w) => w.replaceKey !== options.replaceKey);
      }
      this.waiting.push(waiter);
      if (!this.running) this.next();
    });
  }

  get pending(): number {
    return this.waiting.length;
  }

  private next(): void {
    this.running = false;
    const i = this.waiting.findIndex((w) => w.priority === 'interactive');
    const [waiter] = this.waiting.splice(i >= 0 ? i : 0, 1);
    if (!waiter) return;
    this.running = true;
    waiter.start();
  }
}
