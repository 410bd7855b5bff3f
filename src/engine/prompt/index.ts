/** Prompt building: the built-in Llama 4 chat format and model-supplied templates. */
export type * from './types.js';
export { formatLlama4Chat, templateJson, TOOL_INSTRUCTIONS } from './llama4-format.js';
export { imageTokenCount, imageTokenLayout, MAX_TILES, PATCHES_PER_TILE } from './image-layout.js';
export { DEFAULT_TEMPLATE_LIMITS, formatWithTemplate, readChatTemplate, renderTemplate } from './template.js';
