/**
 * One question answered, the same way for the chat view and for @scout: pack the repository for the
 * question (warm re-packs are cheap, and the pack's base is the shared prompt prefix the engine keeps
 * cached), then stream the answer. Progress (model load, pack, long prefill) goes to `onProgress`.
 */
import type { ChatMessage, ContentPart } from '../../engine/backend.js';
import type * as P from '../../engine/protocol.js';
import type { CheckedImage } from '../images.js';
import { packParams, workspaceRoot } from '../repoContext.js';
import { chatSettings } from '../settings.js';
import type { ScoutClient } from '../sidecar/client.js';

export interface Question {
  text: string;
  images?: CheckedImage[];
  /** Earlier turns, oldest first. */
  history?: ChatMessage[];
  /** Put the packed repository in the prompt (questions about the codebase). */
  withRepository: boolean;
}

export interface AnswerCallbacks {
  onDelta(delta: P.ChatDeltaParams): void;
  onProgress(text: string | null): void;
}

const KIND_TEXT: Record<P.ProgressParams['kind'], string> = {
  load: 'Loading the model',
  pack: 'Reading the repository',
  prefill: 'Reading the prompt',
  download: 'Downloading the model',
};

export function progressText(p: P.ProgressParams): string {
  const pct = p.total > 0 ? ` ${Math.floor((100 * p.done) / p.total)} %` : '';
  const eta = p.etaMs && p.etaMs > 1500 ? `, about ${Math.ceil(p.etaMs / 1000)} s left` : '';
  return `${KIND_TEXT[p.kind]}…${pct}${eta}${p.message ? ` (${p.message})` : ''}`;
}

export async function answer(
  client: ScoutClient,
  q: Question,
  cb: AnswerCallbacks,
  signal: AbortSignal,
): Promise<P.ChatResult> {
  const onProgress = (p: P.ProgressParams) => cb.onProgress(progressText(p));
  const settings = chatSettings();
  try {
    await client.ensureModel(onProgress, signal);
    const root = q.withRepository && settings.includeRepository ? workspaceRoot() : undefined;
    if (root) await client.pack(packParams(root, q.text), onProgress, signal);
    cb.onProgress(null);
    const content: string | ContentPart[] = q.images?.length
      ? [
          ...q.images.map((i): ContentPart => ({ type: 'image', data: i.data, mimeType: i.mimeType })),
          { type: 'text', text: q.text },
        ]
      : q.text;
    const messages: ChatMessage[] = [...(q.history ?? []), { role: 'user', content }];
    let first = true;
    return await client.chat(
      {
        messages,
        params: { maxTokens: settings.maxTokens, temperature: settings.temperature },
        ...(root ? { repoRoot: root } : {}),
      },
      (d) => {
        if (first) cb.onProgress(null);
        first = false;
        cb.onDelta(d);
      },
      signal,
      onProgress,
    );
  } finally {
    cb.onProgress(null);
  }
}
