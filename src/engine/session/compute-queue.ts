/**
 * One model, one compute stream: requests take turns on the engine, and interactive ones cut in.
 *
 * The native engine's thread pool serves one evaluation at a time, so the backend runs one request's
 * engine call at a time. Long requests (chat answers, prefills) call `checkpoint()` between engine
 * calls, every few tokens: if an interactive request (an inline completion) is waiting, it runs there
 * and the long request resumes after it. So a completion waits for at most one slice of a chat, never
 * for the whole answer. A newer completion replaces an older one still waiting (its caller moved on).
 */
import { CancelledError } from '../errors.js';

export type Priority = 'interactive' | 'background';

interface Waiter {
  priority: Priority;
  /** Completions share a replace key: a newer waiter with the same key cancels the older one. */
  replaceKey?: string;
  /** Runs the work; `done` is called when it settles. */
  start: (done: () => void) => void;
  cancel: (e: Error) => void;
}

export interface QueueStats {
  waiting: number;
  /** Interactive requests that ran at a checkpoint inside a longer request. */
  preemptions: number;
}

export class ComputeQueue {
  private running = false;
  private waiting: Waiter[] = [];
  private preemptions = 0;

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
        start: (done) => {
          options.signal?.removeEventListener('abort', onAbort);
          work().then(resolve, reject).finally(done);
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

  /**
   * Called by the running request between engine calls: runs every waiting interactive request,
   * one after another, and resolves when the engine is the caller's again.
   */
  async checkpoint(): Promise<void> {
    for (;;) {
      const i = this.waiting.findIndex((w) => w.priority === 'interactive');
      if (i < 0) return;
      const [waiter] = this.waiting.splice(i, 1);
      this.preemptions++;
      await new Promise<void>((resolve) => waiter!.start(resolve));
    }
  }

  stats(): QueueStats {
    return { waiting: this.waiting.length, preemptions: this.preemptions };
  }

  private next(): void {
    this.running = false;
    const i = this.waiting.findIndex((w) => w.priority === 'interactive');
    const [waiter] = this.waiting.splice(i >= 0 ? i : 0, 1);
    if (!waiter) return;
    this.running = true;
    waiter.start(() => this.next());
  }
}
