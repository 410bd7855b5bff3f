/**
 * The on-disk cache of file analyses (chunks, outline, symbols, token counts).
 *
 * An entry is keyed by path and trusted while the file's size, mtime and inode are unchanged, the
 * way git's index trusts stat data; it carries the content hash the analysis was computed from.
 * The whole cache is tied to the tokenizer, the output format and the chunker version: a change of
 * any of them starts from empty. Stored with v8 serialization (one read, one write per pack), in
 * the user's cache folder, never inside the repository.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { AnalyzeOutcome } from '../analyze/analyze.js';
import { FORMAT_VERSION } from '../render/format.js';
import type { RepoFile } from '../types.js';

/** Bump when chunking, outlines or references change, so old entries are not reused. */
const ANALYSIS_VERSION = 1;

interface Entry {
  size: number;
  mtimeMs: number;
  ino: number;
  outcome: AnalyzeOutcome;
}

interface Stored {
  key: string;
  entries: Map<string, Entry>;
  /** Token counts of whole texts (the repository map and headers), by content hash. */
  counts: Map<string, number>;
}

export class PackCache {
  private entries = new Map<string, Entry>();
  private counts = new Map<string, number>();
  private dirty = false;

  /** `file`: where the cache lives; undefined keeps it in memory only. */
  constructor(
    private readonly file: string | undefined,
    private readonly key: string,
  ) {
    if (file) this.load(file);
  }

  static defaultFile(root: string, tokenizerId: string): string {
    const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
    const id = createHash('sha1').update(`${root}\0${tokenizerId}`).digest('hex').slice(0, 16);
    return join(base, 'scout', 'pack', `${id}.v8`);
  }

  static keyFor(tokenizerId: string): string {
    return `format=${FORMAT_VERSION};analysis=${ANALYSIS_VERSION};tokenizer=${tokenizerId}`;
  }

  private load(file: string): void {
    try {
      const stored = deserialize(readFileSync(file)) as Stored;
      if (
        stored &&
        stored.key === this.key &&
        stored.entries instanceof Map &&
        stored.counts instanceof Map
      ) {
        this.entries = stored.entries;
        this.counts = stored.counts;
      }
    } catch {
      // Missing, truncated or from another Node version: start empty, it is only a cache.
    }
  }

  get(file: RepoFile): AnalyzeOutcome | undefined {
    const e = this.entries.get(file.path);
    return e && e.size === file.size && e.mtimeMs === file.mtimeMs && e.ino === file.ino
      ? e.outcome
      : undefined;
  }

  set(file: RepoFile, outcome: AnalyzeOutcome): void {
    this.entries.set(file.path, { size: file.size, mtimeMs: file.mtimeMs, ino: file.ino, outcome });
    this.dirty = true;
  }

  /** The cached token count of `text`, so an unchanged repository needs no tokenizer at all. */
  getCount(text: string): number | undefined {
    return this.counts.get(textKey(text));
  }

  setCount(text: string, tokens: number): void {
    // Only the latest map matters: keep the table from growing with every edit.
    if (this.counts.size > 64) this.counts.clear();
    this.counts.set(textKey(text), tokens);
    this.dirty = true;
  }

  /** Forgets paths that are no longer in the repository. */
  retain(paths: Set<string>): void {
    for (const p of this.entries.keys()) {
      if (!paths.has(p)) {
        this.entries.delete(p);
        this.dirty = true;
      }
    }
  }

  /** Writes the cache if anything changed; atomically, so a crash never leaves half a file. A failure to write is not an error. */
  save(): void {
    if (!this.file || !this.dirty) return;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(
        tmp,
        serialize({ key: this.key, entries: this.entries, counts: this.counts } satisfies Stored),
      );
      renameSync(tmp, this.file);
      this.dirty = false;
    } catch {
      // A read-only home folder just means no warm start next time.
    }
  }
}

function textKey(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}
