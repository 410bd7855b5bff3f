/**
 * The special-token layout of one image in a Llama 4 prompt (llama4.md §4.6). Each tile yields 144
 * vision vectors, one per <|patch|>; a multi-tile image adds separators and a global tile.
 */
import { ScoutError } from '../errors.js';
import { LLAMA4_TOKENS } from '../tokenizer/llama4-special.js';
import type { TileGrid } from './types.js';

/** (336/14)² patches per tile, merged 2×2 by the pixel shuffle. */
export const PATCHES_PER_TILE = 144;
/** Llama 4's max_num_chunks. */
export const MAX_TILES = 16;

export function checkTileGrid(grid: TileGrid): void {
  const { rows, cols } = grid;
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1 || rows * cols > MAX_TILES) {
    throw new ScoutError(
      'invalid_argument',
      `image tile grid ${rows}×${cols} is invalid: rows and cols must be positive integers with rows·cols ≤ ${MAX_TILES}`,
    );
  }
}

/**
 * The special-token texts for one image, in order. Single tile: <|image_start|> <|image|>
 * <|patch|>×144 <|image_end|>. Multi-tile: each row's tiles separated by <|tile_x_separator|>, each
 * row ended by <|tile_y_separator|>, then <|image|> and the global tile's patches.
 */
export function imageTokenLayout(grid: TileGrid): string[] {
  checkTileGrid(grid);
  const patches = (): string[] => new Array<string>(PATCHES_PER_TILE).fill(LLAMA4_TOKENS.patch);
  const out: string[] = [LLAMA4_TOKENS.imageStart];
  if (grid.rows * grid.cols > 1) {
    for (let y = 0; y < grid.rows; y++) {
      for (let x = 0; x < grid.cols; x++) {
        out.push(...patches());
        if (x < grid.cols - 1) out.push(LLAMA4_TOKENS.tileXSeparator);
      }
      out.push(LLAMA4_TOKENS.tileYSeparator);
    }
  }
  out.push(LLAMA4_TOKENS.image, ...patches(), LLAMA4_TOKENS.imageEnd);
  return out;
}

/** Number of prompt tokens one image takes. */
export function imageTokenCount(grid: TileGrid): number {
  checkTileGrid(grid);
  const { rows, cols } = grid;
  if (rows * cols === 1) return 1 + 1 + PATCHES_PER_TILE + 1;
  // start, the tiles, x separators, one y separator per row, <|image|>, the global tile, end
  return 1 + rows * cols * PATCHES_PER_TILE + rows * (cols - 1) + rows + 1 + PATCHES_PER_TILE + 1;
}
