/**
 * Rendering a model folder's own Jinja chat template (tokenizer_config.json `chat_template`).
 *
 * A template is outside input (bad-inputs.md TK5). @huggingface/jinja already keeps it away from
 * Node globals, but it has no time limit, and some templates (`range(10**9)`) make V8 abort the whole
 * process with a fatal "invalid size" error, which a worker thread would not contain. So rendering
 * runs in a short-lived child process with a memory cap, a wall-time limit and an output cap; any
 * failure there becomes a typed 'template' error here.
 *
 * The rendered text is tokenized with special-token strings recognized (that is what a template
 * means), so content from users should go through the built-in formatter instead.
 */
import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ScoutError } from '../errors.js';
import { LLAMA4_TOKENS } from '../tokenizer/llama4-special.js';
import { imageTokenLayout } from './image-layout.js';
import type { ChatMessage, ChatOptions, ChatPrompt, PromptTokenizer, TileGrid } from './types.js';

export interface TemplateLimits {
  /** Wall time for the whole render, child start-up included. */
  timeoutMs: number;
  /** Longest accepted output, in UTF-16 code units. */
  maxOutputChars: number;
  /** V8 heap limit of the rendering process. */
  maxHeapMb: number;
}

export const DEFAULT_TEMPLATE_LIMITS: TemplateLimits = {
  timeoutMs: 5000,
  maxOutputChars: 16 * 1024 * 1024,
  maxHeapMb: 256,
};

/**
 * The renderer child loads the library from node_modules by path, so it is resolved at run time
 * (a name in a variable keeps bundlers from trying to inline it).
 */
const JINJA_PACKAGE = '@huggingface/jinja';

/** The child's program: read one JSON request on stdin, write one JSON reply on stdout. */
const RENDERER = `
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  let reply;
  try {
    const request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const { Template } = require(request.jinjaPath);
    // raise_exception and strftime_now (which HF adds for dated templates) are library built-ins.
    const output = new Template(request.template).render(request.context);
    reply = output.length > request.maxOutputChars
      ? { error: 'output is ' + output.length + ' characters, more than the limit of ' + request.maxOutputChars }
      : { output };
  } catch (e) {
    reply = { error: e instanceof Error ? e.message : String(e) };
  }
  process.stdout.write(JSON.stringify(reply));
});
`;

/** Renders `template` with `context` under `limits`. */
export function renderTemplate(
  template: string,
  context: Record<string, unknown>,
  limits: TemplateLimits = DEFAULT_TEMPLATE_LIMITS,
): Promise<string> {
  const request = JSON.stringify({
    jinjaPath: require.resolve(JINJA_PACKAGE),
    template,
    context,
    maxOutputChars: limits.maxOutputChars,
  });
  // JSON escaping can grow text up to 6×; anything beyond that is not a reply we would accept.
  const maxReplyBytes = limits.maxOutputChars * 6 + 4096;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${limits.maxHeapMb}`, '-e', RENDERER], {
      env: { ELECTRON_RUN_AS_NODE: '1', PATH: process.env.PATH ?? '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let settled = false;
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new ScoutError('template', `chat template: ${message}`));
    };
    const timer = setTimeout(
      () => fail(`rendering took longer than ${limits.timeoutMs} ms`),
      limits.timeoutMs,
    );
    const out: Buffer[] = [];
    let outBytes = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > maxReplyBytes) {
        fail(`output exceeds ${limits.maxOutputChars} characters`);
      } else out.push(chunk);
    });
    child.stderr.resume();
    child.on('error', (e) => {
      fail(`cannot start the renderer: ${e.message}`);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      let reply: { output?: string; error?: string };
      try {
        reply = JSON.parse(Buffer.concat(out).toString('utf8')) as typeof reply;
      } catch {
        reject(
          new ScoutError(
            'template',
            `chat template: the renderer died (${signal ?? `exit ${code}`}; out of memory?)`,
          ),
        );
        return;
      }
      if (typeof reply.output === 'string') resolve(reply.output);
      else reject(new ScoutError('template', `chat template: ${reply.error ?? 'no output'}`));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(request);
  });
}

/** The chat template of a model folder, or undefined when it has none. */
export async function readChatTemplate(modelDir: string): Promise<string | undefined> {
  const path = join(modelDir, 'tokenizer_config.json');
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return undefined;
  }
  if (size > 64 * 1024 * 1024) throw new ScoutError('template', `${path} is too large (${size} bytes)`);
  let config: unknown;
  try {
    config = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new ScoutError('template', `${path} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  const template = (config as { chat_template?: unknown } | null)?.chat_template;
  if (template === undefined || template === null) return undefined;
  if (typeof template === 'string') return template;
  // Newer configs hold a list of named templates; the chat one is called "default".
  if (Array.isArray(template)) {
    const named = template.find((t: { name?: unknown }) => t?.name === 'default') as
      { template?: unknown } | undefined;
    if (typeof named?.template === 'string') return named.template;
  }
  throw new ScoutError(
    'template',
    `${path}: chat_template must be a string or a list with a "default" entry`,
  );
}

/** Image grids in the order their <|image|> placeholders appear. */
function imageGrids(messages: readonly ChatMessage[]): TileGrid[] {
  const grids: TileGrid[] = [];
  for (const m of messages) {
    if (!Array.isArray(m.content)) continue;
    for (const part of m.content as { type?: unknown }[])
      if (part?.type === 'image') grids.push(part as TileGrid);
  }
  return grids;
}

/** Replaces each <|image|> placeholder id with its image's full tile layout (as HF's processor does). */
export function expandImagePlaceholders(
  tokenizer: PromptTokenizer,
  ids: readonly number[],
  grids: readonly TileGrid[],
) {
  const image = tokenizer.specialTokenId(LLAMA4_TOKENS.image);
  const out: number[] = [];
  let next = 0;
  for (const id of ids) {
    if (id !== image) {
      out.push(id);
      continue;
    }
    const grid = grids[next++];
    if (!grid)
      throw new ScoutError(
        'template',
        'the template emitted more <|image|> placeholders than there are images',
      );
    for (const token of imageTokenLayout(grid)) out.push(tokenizer.specialTokenId(token));
  }
  if (next !== grids.length) {
    throw new ScoutError('template', `the template placed ${next} of ${grids.length} images`);
  }
  return out;
}

/** Formats a conversation with a model-supplied template. */
export async function formatWithTemplate(
  tokenizer: PromptTokenizer,
  template: string,
  messages: readonly ChatMessage[],
  options: ChatOptions = {},
  limits: TemplateLimits = DEFAULT_TEMPLATE_LIMITS,
): Promise<ChatPrompt> {
  const context: Record<string, unknown> = {
    messages,
    add_generation_prompt: options.addGenerationPrompt ?? true,
    bos_token: LLAMA4_TOKENS.beginOfText,
    eos_token: LLAMA4_TOKENS.eot,
  };
  if (options.tools && options.tools.length > 0) context.tools = options.tools;
  const text = await renderTemplate(template, context, limits);
  const ids = expandImagePlaceholders(
    tokenizer,
    tokenizer.encodeWithSpecialTokens(text),
    imageGrids(messages),
  );
  return { ids, text: tokenizer.decode(ids) };
}
