/**
 * Gitignore-syntax rules that live in files at any level of the tree (.gitignore, .scoutignore).
 *
 * Git's semantics: rules in `dir/.gitignore` apply to paths below `dir`, relative to `dir`; a
 * deeper file overrides a shallower one (so `!keep.log` in a subfolder re-includes what the root
 * excluded); and nothing below an excluded directory can be re-included. The walk relies on the
 * last rule by never descending into an excluded directory.
 */
import ignore, { type Ignore } from 'ignore';

export class IgnoreTree {
  /** Directory (repository-relative, '' = root) → its rules. */
  private readonly byDir = new Map<string, Ignore>();

  /** Adds the rules of one ignore file found in `dir`. Blank and comment lines are fine. */
  add(dir: string, content: string): void {
    const existing = this.byDir.get(dir);
    if (existing) existing.add(content);
    else this.byDir.set(dir, ignore({ allowRelativePaths: true }).add(content));
  }

  get size(): number {
    return this.byDir.size;
  }

  /**
   * True when `path` (a file, or a directory when `isDir`) is excluded. Rules are consulted from the
   * root down; the deepest file with a rule that matches decides, as in git.
   */
  ignores(path: string, isDir = false): boolean {
    if (this.byDir.size === 0) return false;
    let verdict = false;
    const subject = isDir ? `${path}/` : path;
    // '' (root) first, then each ancestor directory in order.
    let slash = -1;
    do {
      const dir = slash < 0 ? '' : path.slice(0, slash);
      const rules = this.byDir.get(dir);
      if (rules) {
        const rel = slash < 0 ? subject : subject.slice(slash + 1);
        const result = rules.test(rel);
        if (result.ignored) verdict = true;
        else if (result.unignored) verdict = false;
      }
      slash = path.indexOf('/', slash + 1);
    } while (slash >= 0);
    return verdict;
  }

  /** True when the file or any directory above it is excluded. */
  ignoresWithAncestors(path: string): boolean {
    for (let slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
      if (this.ignores(path.slice(0, slash), true)) return true;
    }
    return this.ignores(path);
  }
}
