/**
 * Worker-thread entry: analyzes batches of files (analyze.ts) with its own tokenizer and parsers,
 * so parsing and counting never run on the thread that called pack().
 */
import { parentPort, workerData } from 'node:worker_threads';
import { analyzeFile, type AnalyzeOutcome, type AnalyzeRequest } from './analyze.js';
import type { Tokenizer } from '../../tokenizer/types.js';
import { loadTokenizerSource, type TokenizerSource } from './tokenizer-source.js';

/** Either files to analyze or plain texts to count (the repository map and other headers). */
export type WorkerJob = { id: number; requests: AnalyzeRequest[] } | { id: number; texts: string[] };
export type WorkerReply =
  | { id: number; outcomes: AnalyzeOutcome[] }
  | { id: number; counts: number[] }
  | { id: number; error: string };

if (parentPort) {
  const port = parentPort;
  // Loaded on first use: a scan needs no tokenizer, and building one takes a while.
  let tokenizer: Promise<Tokenizer> | undefined;
  const getTokenizer = () =>
    (tokenizer ??= loadTokenizerSource((workerData as { tokenizer: TokenizerSource }).tokenizer));
  port.on('message', (job: WorkerJob) => {
    void (async () => {
      try {
        if ('texts' in job) {
          const tk = await getTokenizer();
          port.postMessage({ id: job.id, counts: job.texts.map((t) => tk.count(t)) } satisfies WorkerReply);
          return;
        }
        const outcomes: AnalyzeOutcome[] = [];
        for (const req of job.requests) outcomes.push(await analyzeFile(req, getTokenizer));
        port.postMessage({ id: job.id, outcomes } satisfies WorkerReply);
      } catch (e) {
        port.postMessage({
          id: job.id,
          error: e instanceof Error ? e.message : String(e),
        } satisfies WorkerReply);
      }
    })();
  });
}
