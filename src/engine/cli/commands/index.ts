/** Every `scout` sub-command, loaded lazily so `scout tokenize` never loads the native engine. */
import type { CliCommand } from '../command.js';

export const commands: Record<string, () => Promise<CliCommand>> = {
  ask: async () => (await import('./ask.js')).command,
  logits: async () => (await import('./logits.js')).command,
  generate: async () => (await import('./generate.js')).command,
  serve: async () => (await import('./serve.js')).command,
  pack: async () => (await import('./pack.js')).command,
  model: async () => (await import('./model.js')).command,
  tokenize: async () => (await import('./tokenize.js')).command,
  'screenshot-to-code': async () => (await import('./screenshot-to-code.js')).command,
};
