/**
 * The analyzers pack() can use: a pool of worker threads (the default) or the calling thread
 * (tests, tiny repositories, environments without workers).
 *
 * Pool size: one worker per available core, at most 8. On a 2-core machine that is 2 workers,
 * because the calling thread mostly waits on them (discovery and ranking are a small share), and
 * the extension host is never the caller: packs run in the sidecar process.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { CancelledError, ScoutError } from '../../errors.js';
import type { Tokenizer } from '../../tokenizer/types.js';
import { analyzeFile, type AnalyzeOutcome, type AnalyzeRequest } from './analyze.js';
import type { TokenizerSource } from './tokenizer-source.js';
import type { WorkerJob, WorkerReply } from './worker.js';

export interface Analyzer {
  /** Identifies the tokenizer; part of every cache key. */
  readonly tokenizerId: string;
  analyze(requests: AnalyzeRequest[], signal?: AbortSignal): Promise<AnalyzeOutcome[]>;
  /** Exact token counts of texts (headers, the repository map). */
  count(texts: string[]): Promise<number[]>;
  close(): Promise<void>;
}

/** Analyzes on the calling thread with a given tokenizer. */
export class InlineAnalyzer implements Analyzer {
  constructor(
    private readonly tokenizer: Tokenizer,
    readonly tokenizerId: string,
  ) {}

  async analyze(requests: AnalyzeRequest[], signal?: AbortSignal): Promise<AnalyzeOutcome[]> {
    const out: AnalyzeOutcome[] = [];
    for (const r of requests) {
      if (signal?.aborted) throw new CancelledError('pack cancelled');
      out.push(await analyzeFile(r, async () => this.tokenizer));
    }
    return out;
  }

  async count(texts: string[]): Promise<number[]> {
    return texts.map((t) => this.tokenizer.count(t));
  }

  async close(): Promise<void> {}
}

const BATCH = 24;
/** Below this many files per worker, another worker costs more to start than it saves. */
const FILES_PER_WORKER = 1000;

export function defaultPoolSize(): number {
  return Math.max(1, Math.min(8, availableParallelism()));
}

/**
 * How to start a worker: the script beside the bundle (dist/pack-worker.js), or, when running from
 * the TypeScript sources (tests, `tsx`), a bootstrap that registers tsx and requires worker.ts.
 */
function workerEntry(): { script: string; eval: boolean } {
  for (const js of [join(__dirname, 'pack-worker.js'), join(__dirname, 'worker.js')])
    if (existsSync(js)) return { script: js, eval: false };
  const ts = join(__dirname, 'worker.ts');
  return {
    script: `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(ts)});`,
    eval: true,
  };
}

export class WorkerPool implements Analyzer {
  private readonly workers: Worker[] = [];
  private nextJob = 0;
  private closed = false;

  constructor(
    private readonly source: TokenizerSource,
    readonly tokenizerId: string,
    private readonly size = defaultPoolSize(),
  ) {}

  /**
   * Starts workers up to `wanted` (at most the pool size). Each worker builds its own parsers and
   * tokenizer, which costs more than a small job: a few hundred files go to one worker.
   */
  private start(wanted: number): Worker[] {
    if (this.closed) throw new ScoutError('internal', 'the pack worker pool was closed');
    const target = Math.max(1, Math.min(this.size, wanted));
    if (this.workers.length < target) {
      const entry = workerEntry();
      for (let i = this.workers.length; i < target; i++) {
        const w = new Worker(entry.script, { eval: entry.eval, workerData: { tokenizer: this.source } });
        // An idle pool must not keep the CLI process alive.
        w.unref();
        this.workers.push(w);
      }
    }
    return this.workers;
  }

  async analyze(requests: AnalyzeRequest[], signal?: AbortSignal): Promise<AnalyzeOutcome[]> {
    if (requests.length === 0) return [];
    const workers = this.start(Math.ceil(requests.length / FILES_PER_WORKER));
    const results: AnalyzeOutcome[] = new Array(requests.length);
    let next = 0;
    // Each worker pulls the next batch when it finishes one: large files do not hold up the rest.
    const drive = async (w: Worker) => {
      while (next < requests.length) {
        if (signal?.aborted) throw new CancelledError('pack cancelled');
        const from = next;
        next = Math.min(requests.length, next + BATCH);
        const outcomes = await this.run<AnalyzeOutcome[]>(w, {
          id: this.nextJob++,
          requests: requests.slice(from, next),
        });
        for (let i = 0; i < outcomes.length; i++) results[from + i] = outcomes[i]!;
      }
    };
    await Promise.all(workers.map(drive));
    return results;
  }

  async count(texts: string[]): Promise<number[]> {
    if (texts.length === 0) return [];
    const [w] = this.start(1);
    return this.run<number[]>(w!, { id: this.nextJob++, texts });
  }

  private run<T>(w: Worker, job: WorkerJob): Promise<T> {
    const id = job.id;
    return new Promise((resolve, reject) => {
      const onMessage = (reply: WorkerReply) => {
        if (reply.id !== id) return;
        cleanup();
        if ('error' in reply)
          reject(new ScoutError('pack', `analyzing files failed in a worker: ${reply.error}`));
        else resolve(('outcomes' in reply ? reply.outcomes : reply.counts) as T);
      };
      const onError = (e: Error) => {
        cleanup();
        this.discard();
        reject(new ScoutError('pack', `a pack worker crashed: ${e.message}`, { cause: e }));
      };
      const onExit = (code: number) => {
        cleanup();
        this.discard();
        reject(new ScoutError('pack', `a pack worker exited with code ${code}`));
      };
      const cleanup = () => {
        w.off('message', onMessage);
        w.off('error', onError);
        w.off('exit', onExit);
        w.unref();
      };
      w.on('message', onMessage);
      w.on('error', onError);
      w.on('exit', onExit);
      // While a job is in flight the worker keeps the process alive, so results are not lost.
      w.ref();
      w.postMessage(job);
    });
  }

  /** After a crash the pack fails with a typed error; the next pack starts fresh workers. */
  private discard(): void {
    for (const w of this.workers.splice(0)) void w.terminate();
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.splice(0).map((w) => w.terminate()));
  }
}
