// Reading the body of an HTTP answer from a peer that may be broken or hostile: at most `limit`
// bytes are held; a longer body is cut off (the connection dropped) and refused.

export class BodyTooLargeError extends Error {
  constructor(limit: number) {
    super(`the answer is larger than ${limit} bytes`);
  }
}

/** The whole body, or BodyTooLargeError once more than `limit` bytes have come. */
export async function readBounded(body: AsyncIterable<Uint8Array> & { destroy(): unknown }, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) {
      body.destroy();
      throw new BodyTooLargeError(limit);
    }
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
  }
  return Buffer.concat(chunks);
}
