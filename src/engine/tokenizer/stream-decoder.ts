/**
 * Incremental decoding for streamed generation. A token can end in the middle of a UTF-8 sequence
 * (byte-level BPE splits rare characters and emoji across tokens), so text is released only up to
 * the last complete character; the rest waits for the next token. Invalid bytes become U+FFFD as
 * soon as they are known to be invalid, and flush() releases whatever is left, so the pieces joined
 * always equal decode() of all the ids: nothing is dropped and no broken character is emitted.
 */
export interface ByteSource {
  /** The bytes of one id; throws a typed error for an id outside the vocabulary. */
  bytesOf(id: number): Uint8Array;
}

export class StreamDecoder {
  // WHATWG streaming decode holds back an incomplete trailing sequence and replaces invalid ones
  // with maximal-subpart U+FFFD, exactly the contract above. ignoreBOM: a token may be a BOM.
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });

  constructor(private readonly vocabulary: ByteSource) {}

  /** Adds generated ids; returns the text they complete (possibly ''). */
  push(ids: number | readonly number[]): string {
    const list = typeof ids === 'number' ? [ids] : ids;
    let out = '';
    for (const id of list) out += this.decoder.decode(this.vocabulary.bytesOf(id), { stream: true });
    return out;
  }

  /** Ends the stream: an incomplete trailing sequence becomes U+FFFD. The decoder can then be reused. */
  flush(): string {
    return this.decoder.decode();
  }
}
