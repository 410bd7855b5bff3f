/**
 * Scout's settings, read in one place.
 *
 * Engine settings (model path, folders, endpoint, context size, weights, threads) decide which files
 * are loaded and which server receives the code, so they are `machine`-scoped in package.json and
 * listed as restricted for untrusted workspaces. Here they are also read from the user's (machine)
 * settings only: a value a workspace's .vscode/settings.json sets is ignored, whatever VS Code's trust
 * state (bad-inputs.md RP6).
 */
import * as vscode from 'vscode';
import type { CompletionStyle, EngineSettings } from '../engine/protocol.js';

export const SECTION = 'scout';

function userValue<T>(key: string): T | undefined {
  const inspected = vscode.workspace.getConfiguration(SECTION).inspect<T>(key);
  return inspected?.globalValue ?? inspected?.defaultValue;
}

export function engineSettings(): EngineSettings {
  const settings: EngineSettings = {};
  const modelPath = userValue<string>('modelPath');
  if (modelPath) settings.modelPath = modelPath;
  const modelFolders = userValue<string[]>('modelFolders');
  if (modelFolders?.length) settings.modelFolders = modelFolders;
  const endpoint = userValue<string>('endpoint');
  if (endpoint) settings.endpoint = endpoint;
  const contextSize = userContextSize();
  if (contextSize) settings.contextSize = contextSize;
  const weights = userValue<EngineSettings['weights'] | 'auto'>('weights');
  if (weights && weights !== 'auto') settings.weights = weights;
  const threads = userValue<number>('threads');
  if (threads) settings.threads = threads;
  return settings;
}

/** Keys whose change means the engine must restart to apply them. */
export const ENGINE_KEYS = ['modelPath', 'modelFolders', 'endpoint', 'contextSize', 'weights', 'threads'].map(
  (k) => `${SECTION}.${k}`,
);

export interface CompletionSettings {
  enabled: boolean;
  /** How the prompt is built around the cursor (package.json's description says why instruction is the default). */
  style: CompletionStyle;
  debounceMs: number;
  maxTokens: number;
  /** Characters of the document before and after the cursor sent with each request. */
  prefixChars: number;
  suffixChars: number;
}

export function completionSettings(): CompletionSettings {
  const c = vscode.workspace.getConfiguration(`${SECTION}.completions`);
  return {
    enabled: c.get<boolean>('enabled', true),
    style: c.get<unknown>('style') === 'fim' ? 'fim' : 'instruction',
    debounceMs: clamp(c.get<number>('debounceMs'), 150, 0, 2000),
    maxTokens: clamp(c.get<number>('maxTokens'), 128, 1, 1024),
    prefixChars: clamp(c.get<number>('prefixChars'), 6000, 100, 200_000),
    suffixChars: clamp(c.get<number>('suffixChars'), 2000, 0, 50_000),
  };
}

export interface ChatSettings {
  maxTokens: number;
  temperature: number;
  includeRepository: boolean;
}

export function chatSettings(): ChatSettings {
  const c = vscode.workspace.getConfiguration(`${SECTION}.chat`);
  return {
    maxTokens: clamp(c.get<number>('maxTokens'), 2048, 1, 32_768),
    temperature: clamp(c.get<number>('temperature'), 0.2, 0, 2),
    includeRepository: c.get<boolean>('includeRepository', true),
  };
}

/** Settings are user input: a hand-edited settings.json can hold anything. */
function clamp(value: unknown, fallback: number, min: number, max: number): number {
  const n = typeof value === 'number' && Number.isFinite(value) ? value : fallback;
  return Math.min(max, Math.max(min, Math.round(n * 1000) / 1000));
}

export function userContextSize(): number | undefined {
  const n = userValue<number>('contextSize');
  return typeof n === 'number' && n > 0 ? n : undefined;
}
