import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { z } from 'zod';

/**
 * A completed multipart object kept as its parts: the part files stay where the upload wrote them
 * (moved, as one folder, to `parts/<uploadId>/`) and the object is this list of them, in order.
 * Completing an upload is then a rename and a small write, never a copy of every byte.
 */
export const PartList = z.object({
  /** The upload the parts came from: their folder is `parts/<upload>/`. */
  upload: z.string().regex(/^[0-9a-z][0-9a-z_-]*$/),
  files: z.array(
    z.object({
      name: z.string().regex(/^\d{5}\.[0-9a-f]{32}$/),
      size: z.number().int().nonnegative(),
    }),
  ),
});
export type PartList = z.infer<typeof PartList>;

/** 1 MiB reads, as whole objects are read: few, large chunks stream fastest. */
const CHUNK = 1024 ** 2;

/**
 * The bytes `start..end` (inclusive) of the object the parts make up, read part after part. Each
 * part file is opened when the read reaches it; a part folder belongs to one upload only, so a
 * read can fail if the object is deleted meanwhile, but never mixes two versions' bytes.
 */
export function readParts(dir: string, parts: PartList['files'], start: number, end: number): Readable {
  async function* chunks() {
    let offset = 0; // where the current part begins in the object
    for (const part of parts) {
      const partStart = offset;
      const partEnd = offset + part.size - 1;
      offset += part.size;
      if (part.size === 0 || partEnd < start) continue;
      if (partStart > end) break;
      const from = Math.max(start, partStart) - partStart;
      const to = Math.min(end, partEnd) - partStart; // inclusive, within the part
      const handle = await open(join(dir, part.name), 'r');
      try {
        for (let position = from; position <= to;) {
          const buffer = Buffer.allocUnsafe(Math.min(CHUNK, to - position + 1));
          const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
          if (bytesRead === 0) throw new Error(`part ${part.name} is shorter than its ${part.size} bytes`);
          position += bytesRead;
          yield bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
        }
      } finally {
        await handle.close();
      }
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}
