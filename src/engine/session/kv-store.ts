/**
 * KV caches of long prompt prefixes on disk: a repository's packed base, evaluated once, reloads in
 * a new process (a reopened workspace, the next `scout ask`) instead of being prefilled again.
 *
 * One folder per model and weight format under the user's cache folder; one file per prefix, named
 * by a hash of its token ids. The engine checks a file against the weights it loads into (native
 * kv_file.cpp), so a stale or foreign file is refused, deleted here, and recomputed. Files are
 * evicted oldest-used first beyond a count limit. Every failure here only costs a prefill.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, realpathSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { xdgCache } from '../model/paths.js';
import type { TextSequence, WeightFormat } from '../native/engine.js';

const DEFAULT_MAX_FILES = 8;

function hashIds(ids: readonly number[]): string {
  return createHash('sha256')
    .update(new Uint8Array(Int32Array.from(ids).buffer))
    .digest('hex')
    .slice(0, 32);
}

export class KvStore {
  constructor(
    readonly dir: string,
    private readonly maxFiles = DEFAULT_MAX_FILES,
  ) {}

  /** The store of one model folder and weight format, in `root` (default: the user's cache folder). */
  static forModel(modelDir: string, weights: WeightFormat, root = join(xdgCache(), 'scout', 'kv')): KvStore {
    let real = modelDir;
    try {
      real = realpathSync(modelDir);
    } catch {
      // A folder that vanished: the hash of the given path still names a (useless) store.
    }
    const key = createHash('sha256').update(`${real}\0${weights}`).digest('hex').slice(0, 16);
    return new KvStore(join(root, key));
  }

  private file(prefix: readonly number[]): string {
    return join(this.dir, `${hashIds(prefix)}-${prefix.length}.kv`);
  }

  /** Loads the stored KV cache of `prefix` into the empty `seq`; false when there is none usable. */
  async restore(seq: TextSequence, prefix: readonly number[]): Promise<boolean> {
    const file = this.file(prefix);
    try {
      statSync(file);
    } catch {
      return false;
    }
    try {
      await seq.load(file);
      const now = new Date();
      utimesSync(file, now, now); // most recently used: the last to be evicted
      return seq.position === prefix.length;
    } catch {
      rmSync(file, { force: true }); // stale or foreign: recompute it next time
      return false;
    }
  }

  /** Saves `seq`, which holds exactly `prefix`, then evicts the least recently used files. */
  async store(seq: TextSequence, prefix: readonly number[]): Promise<void> {
    if (seq.position !== prefix.length) return;
    try {
      mkdirSync(this.dir, { recursive: true });
      await seq.save(this.file(prefix));
      this.evict();
    } catch {
      // A full or read-only disk only means the next process prefills again.
    }
  }

  private evict(): void {
    const files = readdirSync(this.dir)
      .filter((f) => f.endsWith('.kv'))
      .map((f) => ({ path: join(this.dir, f), used: statSync(join(this.dir, f)).mtimeMs }))
      .sort((a, b) => b.used - a.used);
    for (const f of files.slice(this.maxFiles)) rmSync(f.path, { force: true });
  }
}
