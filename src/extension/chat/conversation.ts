/**
 * Conversations and their history, as plain data: what the chat view shows, what is sent to the
 * engine, and what is kept between sessions (text only: screenshots are not stored).
 */
import { randomUUID } from 'node:crypto';
import type { ChatMessage } from '../../engine/backend.js';
import type { Citation } from '../../engine/protocol.js';
import type { HistoryEntry, MessageView } from './messages.js';

export interface Conversation {
  id: string;
  title: string;
  updated: number;
  messages: MessageView[];
}

/** Where the history lives (workspaceState in the extension, a Map in tests). */
export interface HistoryStorage {
  get(key: string): unknown;
  update(key: string, value: unknown): Thenable<void> | Promise<void>;
}

const KEY = 'scout.chatHistory';
export const MAX_CONVERSATIONS = 50;
/** Older turns beyond this many characters are left out of the prompt (the repository needs the room). */
export const MAX_HISTORY_CHARS = 60_000;

export function newConversation(now = Date.now()): Conversation {
  return { id: randomUUID(), title: 'New chat', updated: now, messages: [] };
}

export function titleFor(text: string): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > 60 ? `${line.slice(0, 59)}…` : line || 'Screenshot';
}

export class ChatHistory {
  private conversations: Conversation[];

  constructor(private readonly storage: HistoryStorage) {
    this.conversations = parseStored(storage.get(KEY));
  }

  entries(): HistoryEntry[] {
    return this.conversations
      .filter((c) => c.messages.length)
      .map(({ id, title, updated }) => ({ id, title, updated }));
  }

  find(id: string): Conversation | undefined {
    return this.conversations.find((c) => c.id === id);
  }

  /** Saves `c` as the most recent conversation, dropping the oldest beyond the limit. */
  async save(c: Conversation): Promise<void> {
    const stored: Conversation = { ...c, messages: c.messages.map(({ pending: _pending, ...m }) => m) };
    this.conversations = [stored, ...this.conversations.filter((x) => x.id !== c.id)]
      .filter((x) => x.messages.length)
      .sort((a, b) => b.updated - a.updated)
      .slice(0, MAX_CONVERSATIONS);
    await this.storage.update(KEY, this.conversations);
  }

  async remove(id: string): Promise<void> {
    this.conversations = this.conversations.filter((c) => c.id !== id);
    await this.storage.update(KEY, this.conversations);
  }
}

/** The conversation as engine messages: the newest turns that fit, errors and empty answers left out. */
export function toEngineMessages(messages: MessageView[]): ChatMessage[] {
  const kept: ChatMessage[] = [];
  let chars = 0;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.error || !m.text.trim()) continue;
    chars += m.text.length;
    if (chars > MAX_HISTORY_CHARS && kept.length) break;
    kept.unshift({ role: m.role, content: m.text });
  }
  return kept;
}

export function mergeCitations(into: Citation[], more: Citation[] | undefined): void {
  for (const c of more ?? []) if (!into.some((x) => x.path === c.path && x.line === c.line)) into.push(c);
}

/** Stored history is data from disk: keep only well-formed conversations. */
function parseStored(value: unknown): Conversation[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (c): c is Conversation =>
      typeof c === 'object' &&
      c !== null &&
      typeof c.id === 'string' &&
      typeof c.title === 'string' &&
      typeof c.updated === 'number' &&
      Array.isArray(c.messages) &&
      c.messages.every(
        (m: unknown) =>
          typeof m === 'object' &&
          m !== null &&
          typeof (m as MessageView).text === 'string' &&
          ((m as MessageView).role === 'user' || (m as MessageView).role === 'assistant'),
      ),
  );
}
