/**
 * The browser's early look at a picked file: MP4 and QuickTime files are sequences of boxes (a
 * 32-bit big-endian size, then a four-letter type), and their first box is `ftyp` (MP4, or MOV with
 * the `qt  ` brand) or, in older QuickTime files, one of a few others. Checking the first 12 bytes
 * refuses a renamed text file before a single part is sent; the server checks the bytes again.
 */
export type SourceKind = 'mp4' | 'quicktime';

export const SNIFF_BYTES = 12;

const QUICKTIME_FIRST_BOXES = new Set(['moov', 'mdat', 'wide', 'free', 'skip', 'pnot']);

export function sniffSource(head: Uint8Array): SourceKind | undefined {
  if (head.length < SNIFF_BYTES) return undefined;
  const size = new DataView(head.buffer, head.byteOffset, head.byteLength).getUint32(0);
  const type = String.fromCharCode(...head.subarray(4, 8));
  if (type === 'ftyp') {
    if (size < 8) return undefined;
    const brand = String.fromCharCode(...head.subarray(8, 12));
    if (!/^[\x20-\x7e]{4}$/.test(brand)) return undefined;
    return brand === 'qt  ' ? 'quicktime' : 'mp4';
  }
  if (QUICKTIME_FIRST_BOXES.has(type) && (size === 0 || size === 1 || size >= 8)) return 'quicktime';
  return undefined;
}

export const contentTypeOf = (kind: SourceKind) => (kind === 'mp4' ? 'video/mp4' : 'video/quicktime');
