/**
 * Discover: which files make up the repository.
 *
 * Inside a git work tree the answer is git's own: `git ls-files --cached --others --exclude-standard`
 * applies .gitignore at every level, .git/info/exclude and the global excludes file exactly as git
 * does. Outside git, a walk applies the same three sources itself. Either way `.scoutignore` files
 * (gitignore syntax, any level) and VS Code's `files.exclude` globs are applied on top, and the
 * files they remove are reported.
 *
 * Symbolic links are never followed: a link to a file inside the root is packed at its real path
 * anyway, and one that points outside the root or into a loop must not be read at all. Each link is
 * reported as excluded with where it points.
 */
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, promises as fsp, readFileSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative, sep } from 'node:path';
import picomatch from 'picomatch';
import { CancelledError, ScoutError } from '../../errors.js';
import type { Excluded, RepoFile } from '../types.js';
import { IgnoreTree } from './ignore-tree.js';

export interface DiscoverResult {
  files: RepoFile[];
  excluded: Excluded[];
  /** 'git' when git listed the files, 'walk' otherwise. */
  source: 'git' | 'walk';
}

export interface DiscoverOptions {
  root: string;
  filesExclude?: string[];
  signal?: AbortSignal;
}

const SCOUTIGNORE = '.scoutignore';
const MAX_GIT_OUTPUT = 1 << 30;

export async function discover(opts: DiscoverOptions): Promise<DiscoverResult> {
  const root = await resolveRoot(opts.root);
  const listed = await gitList(root);
  const paths = listed ?? (await walk(root, opts.signal));
  checkAborted(opts.signal);

  const scoutIgnore = new IgnoreTree();
  for (const p of paths) {
    if (p === SCOUTIGNORE || p.endsWith(`/${SCOUTIGNORE}`)) {
      const dir = p.length === SCOUTIGNORE.length ? '' : p.slice(0, -SCOUTIGNORE.length - 1);
      scoutIgnore.add(dir, readFileSync(join(root, p), 'utf8'));
    }
  }
  const vscodeExclude = filesExcludeMatcher(opts.filesExclude);

  const files: RepoFile[] = [];
  const excluded: Excluded[] = [];
  // Synchronous lstat: for tens of thousands of small calls it is several times faster than the
  // promise API's thread-pool round trips, and discovery is a short, bounded step.
  for (const path of paths) {
    if (scoutIgnore.ignoresWithAncestors(path)) {
      excluded.push({ path, reason: 'scoutignore' });
      continue;
    }
    if (vscodeExclude?.(path)) {
      excluded.push({ path, reason: 'files-exclude' });
      continue;
    }
    const absPath = join(root, path);
    const st = lstatSync(absPath, { throwIfNoEntry: false });
    // Undefined: listed by git but deleted from the work tree, so not part of the current state.
    if (!st) continue;
    if (st.isSymbolicLink()) excluded.push({ path, reason: 'symlink', detail: describeLink(root, absPath) });
    else if (st.isFile()) files.push({ path, absPath, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino });
    // Submodules show up in `git ls-files` as directories; sockets and FIFOs could block a read.
    else if (!st.isDirectory()) excluded.push({ path, reason: 'not-regular' });
  }
  checkAborted(opts.signal);
  files.sort((a, b) => comparePaths(a.path, b.path));
  excluded.sort((a, b) => comparePaths(a.path, b.path));
  return { files, excluded, source: listed ? 'git' : 'walk' };
}

async function resolveRoot(root: string): Promise<string> {
  try {
    const st = await fsp.stat(root);
    if (!st.isDirectory()) throw new ScoutError('invalid_argument', `${root} is not a directory`);
    return realpathSync(root);
  } catch (e) {
    if (e instanceof ScoutError) throw e;
    throw new ScoutError('not_found', `repository folder ${root} does not exist or cannot be read`, {
      cause: e,
    });
  }
}

/** The files git lists under `root`, or undefined when `root` is not inside a git work tree. */
async function gitList(root: string): Promise<string[] | undefined> {
  const args = ['-c', 'core.quotePath=off', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'];
  const out = await new Promise<string | undefined>((resolve) => {
    execFile('git', args, { cwd: root, maxBuffer: MAX_GIT_OUTPUT, encoding: 'utf8' }, (err, stdout) =>
      resolve(err ? undefined : stdout),
    );
  });
  if (out === undefined) return undefined;
  // --cached lists a path once per conflict stage and --others can repeat it: deduplicate.
  return [...new Set(out.split('\0').filter((p) => p.length > 0))];
}

/** A walk with git's ignore rules, for folders that are not git work trees. */
async function walk(root: string, signal: AbortSignal | undefined): Promise<string[]> {
  const rules = new IgnoreTree();
  for (const global of globalExcludeFiles()) rules.add('', global);
  const out: string[] = [];
  const visit = async (dir: string): Promise<void> => {
    checkAborted(signal);
    const abs = dir ? join(root, dir) : root;
    let entries;
    try {
      entries = await fsp.readdir(abs, { withFileTypes: true });
    } catch {
      return; // unreadable folder: nothing in it can be packed
    }
    const gitignore = entries.find((e) => e.name === '.gitignore' && e.isFile());
    if (gitignore) rules.add(dir, await fsp.readFile(join(abs, '.gitignore'), 'utf8').catch(() => ''));
    const subdirs: string[] = [];
    for (const e of entries) {
      const path = dir ? `${dir}/${e.name}` : e.name;
      if (e.isDirectory()) {
        // Never descend into a symlinked folder (isDirectory is false for links) nor into .git.
        if (e.name !== '.git' && !rules.ignores(path, true)) subdirs.push(path);
      } else if (!rules.ignores(path)) {
        out.push(path);
      }
    }
    for (const d of subdirs) await visit(d);
  };
  await visit('');
  return out;
}

/** The global excludes file git would read when core.excludesFile is unset. */
function globalExcludeFiles(): string[] {
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  const file = join(base, 'git', 'ignore');
  return existsSync(file) ? [readFileSync(file, 'utf8')] : [];
}

function filesExcludeMatcher(globs: string[] | undefined): ((path: string) => boolean) | undefined {
  if (!globs || globs.length === 0) return undefined;
  const isMatch = picomatch(globs, { dot: true });
  // A glob that names a folder (`**/node_modules`) excludes everything below it too.
  return (path) => {
    if (isMatch(path)) return true;
    for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1))
      if (isMatch(path.slice(0, i))) return true;
    return false;
  };
}

function describeLink(root: string, absPath: string): string {
  let target: string;
  try {
    target = realpathSync(absPath);
  } catch {
    return 'broken link or a loop';
  }
  const rel = relative(root, target);
  if (rel.startsWith('..') || rel === '' || rel.startsWith(sep + sep)) return 'points outside the repository';
  return `points to ${rel.split(sep).join('/')} (packed at its own path)`;
}

/** Byte-wise order, independent of locale, so output is identical on every machine. */
export function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError('pack cancelled');
}
