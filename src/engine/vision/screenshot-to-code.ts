/**
 * Screenshot-to-code: a pasted screenshot (plus optional follow-up instructions) in, complete
 * runnable code for the workspace's framework out.
 *
 * It speaks to any Backend (architecture.md): the native engine with its vision tower, or a
 * remote OpenAI-compatible server. A follow-up ("make the header sticky") is a new user turn after
 * the assistant's previous code, with the screenshot still in the first turn, so the model sees
 * the image, what it wrote, and what to change.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Backend, ChatMessage, GenerationParams, GenerationResult } from '../backend.js';
import { ScoutError } from '../errors.js';
import { decodeImage } from './decode.js';

export const CODE_TARGETS = ['html', 'react', 'vue', 'svelte'] as const;
export type CodeTarget = (typeof CODE_TARGETS)[number];

export const IMAGE_MIME_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif'] as const;

/** Bounds on what a request may carry; beyond them the request is refused, not truncated. */
export const SCREENSHOT_LIMITS = { instructionChars: 4000, followUps: 16, codeChars: 200_000 };

export function isCodeTarget(value: string): value is CodeTarget {
  return (CODE_TARGETS as readonly string[]).includes(value);
}

/**
 * The framework of the workspace at `dir`, from its package.json dependencies: Svelte, Vue or
 * React; anything else (no package.json, an unreadable or malformed one, no framework) is a
 * single HTML file with Tailwind.
 */
export async function detectTarget(dir: string | undefined): Promise<CodeTarget> {
  if (!dir) return 'html';
  let manifest: unknown;
  try {
    manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
  } catch {
    return 'html';
  }
  if (typeof manifest !== 'object' || manifest === null) return 'html';
  const deps = new Set<string>();
  for (const field of ['dependencies', 'devDependencies', 'peerDependencies']) {
    const block = (manifest as Record<string, unknown>)[field];
    if (typeof block === 'object' && block !== null) for (const name of Object.keys(block)) deps.add(name);
  }
  // A SvelteKit or Nuxt app also lists React-free tooling; check the most specific first.
  if (deps.has('svelte') || deps.has('@sveltejs/kit')) return 'svelte';
  if (deps.has('vue') || deps.has('nuxt')) return 'vue';
  if (deps.has('react') || deps.has('next')) return 'react';
  return 'html';
}

const TARGET_BRIEF: Record<CodeTarget, { fence: string; brief: string }> = {
  html: {
    fence: 'html',
    brief:
      'a single complete HTML file: <!DOCTYPE html>, a <head> that loads Tailwind CSS from ' +
      '<script src="https://cdn.tailwindcss.com"></script>, and the whole page in <body>. Inline any script it needs.',
  },
  react: {
    fence: 'tsx',
    brief:
      'one React function component in TypeScript (a .tsx file) with a default export, styled with Tailwind ' +
      'CSS classes, with no imports besides React.',
  },
  vue: {
    fence: 'vue',
    brief:
      'one Vue 3 single-file component (.vue) with <template> and <script setup lang="ts">, styled with ' +
      'Tailwind CSS classes.',
  },
  svelte: {
    fence: 'svelte',
    brief: 'one Svelte component (.svelte) with its markup, <script lang="ts"> and Tailwind CSS classes.',
  },
};

export function screenshotSystemPrompt(target: CodeTarget): string {
  const { fence, brief } = TARGET_BRIEF[target];
  return [
    'You turn screenshots of user interfaces into working front-end code.',
    `Write ${brief}`,
    'Reproduce the layout, spacing, colours, typography and text of the screenshot as closely as you can.',
    'The code must be complete and runnable as it is: no placeholders, no "rest of the code here" comments, no omitted sections.',
    'Use placeholder images from https://placehold.co with the right sizes where the screenshot shows pictures.',
    `Answer with the code in one \`\`\`${fence} block and nothing else.`,
  ].join('\n');
}

/** One earlier round: what was asked (undefined for the first) and the code that came back. */
export interface ScreenshotTurn {
  instruction?: string;
  code: string;
}

export interface ScreenshotRequest {
  image: { data: Uint8Array; mimeType: string };
  target: CodeTarget;
  /** Earlier rounds, oldest first; the last one holds the code to change. */
  history?: readonly ScreenshotTurn[];
  /** What to do now: extra wishes for a first round, the change for a follow-up. */
  instruction?: string;
}

function checkText(what: string, text: string | undefined, limit: number): void {
  if (text !== undefined && text.length > limit)
    throw new ScoutError('invalid_argument', `${what} is ${text.length} characters; the limit is ${limit}`);
}

/** The chat for `request`: the screenshot in the first user turn, then the rounds so far. */
export function screenshotMessages(request: ScreenshotRequest): ChatMessage[] {
  const history = request.history ?? [];
  if (!isCodeTarget(request.target))
    throw new ScoutError(
      'invalid_argument',
      `target must be one of ${CODE_TARGETS.join(', ')}, got '${String(request.target)}'`,
    );
  if (!(IMAGE_MIME_TYPES as readonly string[]).includes(request.image.mimeType))
    throw new ScoutError(
      'image',
      `images must be ${IMAGE_MIME_TYPES.join(', ')}; got '${request.image.mimeType}'`,
    );
  if (history.length > SCREENSHOT_LIMITS.followUps)
    throw new ScoutError(
      'invalid_argument',
      `at most ${SCREENSHOT_LIMITS.followUps} follow-ups fit one conversation`,
    );
  checkText('the instruction', request.instruction, SCREENSHOT_LIMITS.instructionChars);
  history.forEach((turn, i) => {
    checkText(`instruction ${i + 1}`, turn.instruction, SCREENSHOT_LIMITS.instructionChars);
    checkText(`the code of round ${i + 1}`, turn.code, SCREENSHOT_LIMITS.codeChars);
  });

  const { fence } = TARGET_BRIEF[request.target];
  const firstAsk = (wish: string | undefined) =>
    `Write the code for this screenshot.${wish?.trim() ? `\n\nAlso: ${wish.trim()}` : ''}`;
  const messages: ChatMessage[] = [{ role: 'system', content: screenshotSystemPrompt(request.target) }];
  messages.push({
    role: 'user',
    content: [
      { type: 'image', data: request.image.data, mimeType: request.image.mimeType },
      { type: 'text', text: firstAsk(history.length > 0 ? history[0]!.instruction : request.instruction) },
    ],
  });
  history.forEach((turn, i) => {
    messages.push({ role: 'assistant', content: `\`\`\`${fence}\n${turn.code.trimEnd()}\n\`\`\`` });
    const next = i + 1 < history.length ? history[i + 1]!.instruction : request.instruction;
    if (!next?.trim())
      throw new ScoutError('invalid_argument', `follow-up ${i + 1} needs an instruction (what to change)`);
    messages.push({
      role: 'user',
      content: `Change the code above: ${next.trim()}\n\nAnswer with the complete updated code, not a diff.`,
    });
  });
  return messages;
}

const FENCE_LANGUAGES: Record<CodeTarget, string[]> = {
  html: ['html', 'htm', 'xhtml'],
  react: ['tsx', 'jsx', 'typescript', 'ts', 'javascript', 'js', 'react'],
  vue: ['vue', 'html'],
  svelte: ['svelte', 'html'],
};

/**
 * The code in a model's answer: the longest fenced block in one of the target's languages, else
 * the longest fenced block, else the whole answer when it is plainly code (it starts with markup
 * or an import/export). A block cut off by the token limit counts up to the end of the answer.
 * undefined when the answer holds no code.
 */
export function extractCode(answer: string, target: CodeTarget): string | undefined {
  const blocks: { lang: string; code: string }[] = [];
  const fence = /^[ \t]*(`{3,}|~{3,})[ \t]*([\w+#.-]*)[^\n]*\n/gm;
  let match: RegExpExecArray | null;
  while ((match = fence.exec(answer))) {
    const marker = match[1]!;
    const start = fence.lastIndex;
    const close = new RegExp(`^[ \\t]*${marker[0] === '`' ? '`' : '~'}{${marker.length},}[ \\t]*$`, 'm');
    const rest = answer.slice(start);
    const end = close.exec(rest);
    const code = end ? rest.slice(0, end.index) : rest;
    blocks.push({ lang: match[2]!.toLowerCase(), code: code.replace(/\n$/, '') });
    fence.lastIndex = end ? start + end.index + end[0].length : answer.length;
  }
  const longest = (list: typeof blocks) =>
    list.reduce<(typeof blocks)[number] | undefined>(
      (a, b) => (!a || b.code.length > a.code.length ? b : a),
      undefined,
    );
  const preferred = longest(blocks.filter((b) => FENCE_LANGUAGES[target].includes(b.lang)));
  const chosen = preferred ?? longest(blocks);
  if (chosen && chosen.code.trim()) return chosen.code;
  const whole = answer.trim();
  if (/^(<!DOCTYPE|<html|<template|<script|<div|<main|<section|import\s|export\s)/i.test(whole)) return whole;
  return undefined;
}

export interface ScreenshotResult {
  code: string;
  /** The model's whole answer (for showing what it said when no code came back). */
  answer: string;
  generation: GenerationResult;
}

/**
 * Runs one round on `backend`. The image is decoded first (bad-inputs.md IM cases end here in a
 * ScoutError('image') before any model work). Throws ScoutError('invalid_argument') when the
 * answer holds no code.
 */
export async function screenshotToCode(
  backend: Pick<Backend, 'chat'>,
  request: ScreenshotRequest,
  params: GenerationParams = {},
  onDelta: (text: string) => void = () => {},
  signal?: AbortSignal,
): Promise<ScreenshotResult> {
  const messages = screenshotMessages(request);
  await decodeImage(request.image.data);
  const generation = await backend.chat({ messages, params }, onDelta, signal);
  const code = extractCode(generation.text, request.target);
  if (code === undefined) {
    if (generation.finishReason === 'cancelled')
      throw new ScoutError('cancelled', 'screenshot-to-code was cancelled');
    throw new ScoutError(
      'invalid_argument',
      'the model answered without any code; try again or add an instruction',
    );
  }
  return { code, answer: generation.text, generation };
}

/** The MIME type of encoded image bytes, from their signature; undefined for anything else. */
export function sniffImageType(bytes: Uint8Array): (typeof IMAGE_MIME_TYPES)[number] | undefined {
  const starts = (...sig: number[]) => sig.every((b, i) => bytes[i] === b);
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png';
  if (starts(0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (starts(0x47, 0x49, 0x46, 0x38)) return 'image/gif';
  if (
    starts(0x52, 0x49, 0x46, 0x46) &&
    bytes[8] === 0x57 &&
    bytes[9] === 0x45 &&
    bytes[10] === 0x42 &&
    bytes[11] === 0x50
  )
    return 'image/webp';
  return undefined;
}
