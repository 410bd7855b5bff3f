/**
 * Post-processing of a raw completion before it becomes ghost text: what users of the peers complain
 * about (duplicated suffix text, doubled indentation, runaway repetition) is removed here.
 * Pure functions, so every rule is tested on its own.
 */
export interface CursorContext {
  /** The current line up to the cursor. */
  linePrefix: string;
  /** The current line after the cursor. */
  lineSuffix: string;
  /** The document after the current line (its first lines suffice). */
  nextLines: string;
  maxLines: number;
}

export function postprocess(raw: string, ctx: CursorContext): string {
  let text = raw.replace(/\r\n/g, '\n');
  text = fixFirstLineIndent(text, ctx.linePrefix);
  text = cutRepeatedLines(text);
  text = cutWhereSuffixResumes(text, ctx.nextLines);
  text = limitLines(text, ctx.maxLines);
  text = trimSuffixOverlap(text, ctx.lineSuffix);
  text = text.replace(/[ \t]+$/gm, '').replace(/\n+$/, '');
  return text.trim() ? text : '';
}

/** At an indented empty position the model often repeats the indentation the line already has. */
export function fixFirstLineIndent(text: string, linePrefix: string): string {
  if (!/^[ \t]*$/.test(linePrefix) || !linePrefix) return text;
  const lead = /^[ \t]*/.exec(text)![0];
  if (lead.startsWith(linePrefix)) return text.slice(linePrefix.length);
  return lead.length > 0 && lead.length < linePrefix.length ? text.slice(lead.length) : text;
}

/** Drops the rest of the line's own text when the completion ends with it (it is still there). */
export function trimSuffixOverlap(text: string, lineSuffix: string): string {
  const tail = lineSuffix.trimEnd();
  if (!tail) return text;
  if (text.endsWith(tail)) return text.slice(0, -tail.length);
  // Closing brackets the line already has: `foo(a, b)` before `)` becomes `foo(a, b`.
  for (let k = Math.min(tail.length, text.length); k > 0; k--) {
    const piece = tail.slice(0, k);
    if (/^[\s)\]}>;,'"`]+$/.test(piece) && text.endsWith(piece)) return text.slice(0, -k);
  }
  return text;
}

/** Stops where the completion starts writing the lines that already follow the cursor. */
export function cutWhereSuffixResumes(text: string, nextLines: string): string {
  const following = nextLines
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(0, 2);
  if (!following.length || following[0]!.length < 2) return text;
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    if (lines[i]!.trim() !== following[0]) continue;
    if (following.length < 2 || i + 1 >= lines.length || lines[i + 1]!.trim() === following[1])
      return lines.slice(0, i).join('\n');
  }
  return text;
}

/** A line the model writes three times in a row is a loop, not code: keep the first. */
export function cutRepeatedLines(text: string): string {
  const lines = text.split('\n');
  for (let i = 2; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (l.length > 1 && l === lines[i - 1]!.trim() && l === lines[i - 2]!.trim())
      return lines.slice(0, i - 1).join('\n');
  }
  return text;
}

export function limitLines(text: string, maxLines: number): string {
  const lines = text.split('\n');
  return lines.length <= maxLines ? text : lines.slice(0, maxLines).join('\n');
}
