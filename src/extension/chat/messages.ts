/**
 * Messages between the chat webview and the extension, typed once for both sides. Everything the
 * webview sends is untrusted input to the extension and is checked there (chatView.ts).
 */
import type { Citation } from '../../engine/protocol.js';

export interface ImageAttachment {
  name: string;
  mimeType: string;
  /** Base64 bytes: webview messages are JSON. */
  base64: string;
}

export interface MessageView {
  id: string;
  role: 'user' | 'assistant';
  text: string;
  /** Names of the images that went with a user message (the bytes are not kept in history). */
  images: string[];
  citations: Citation[];
  error?: string;
  /** The answer is still streaming. */
  pending?: boolean;
}

export interface HistoryEntry {
  id: string;
  title: string;
  updated: number;
}

export interface MeterView {
  model: string;
  engine: string;
  contextTokens: number;
  contextCapacity: number;
  repoTokens: number;
  reusedTokens: number;
  promptTokens: number;
  cacheHits: number;
  cacheMisses: number;
}

export type ToWebview =
  | { type: 'conversation'; id: string; messages: MessageView[]; history: HistoryEntry[]; busy: boolean }
  | { type: 'delta'; id: string; text: string; citations: Citation[] }
  | { type: 'done'; id: string; error?: string }
  | { type: 'meter'; meter: MeterView }
  | { type: 'progress'; text: string | null }
  | { type: 'attach'; image: ImageAttachment }
  | { type: 'setInput'; text: string };

export type FromWebview =
  | { type: 'ready' }
  | { type: 'send'; text: string; images: ImageAttachment[] }
  | { type: 'stop' }
  | { type: 'newChat' }
  | { type: 'openConversation'; id: string }
  | { type: 'deleteConversation'; id: string }
  | { type: 'attachFile' }
  | { type: 'code'; action: CodeAction; code: string; language: string }
  | { type: 'openCitation'; path: string; line: number }
  | { type: 'openLink'; href: string };

export type CodeAction = 'copy' | 'insert' | 'diff' | 'save';
