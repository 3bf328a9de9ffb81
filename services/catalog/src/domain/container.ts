/**
 * Recognises an ISO base media file (MP4) or a QuickTime movie from its first bytes, whatever
 * the file name or Content-Type claimed. Both are sequences of boxes: a 32-bit big-endian size
 * and a four-letter type. MP4 starts with `ftyp`; older QuickTime files may start with `moov`,
 * `mdat`, `wide`, `free` or `skip`.
 */
const MP4_BRANDS = new Set([
  'isom',
  'iso2',
  'iso4',
  'iso5',
  'iso6',
  'mp41',
  'mp42',
  'avc1',
  'dash',
  'M4V ',
  'M4A ',
  'mmp4',
  'f4v ',
]);
/** Still-image brands share the box layout; they are not videos. */
const IMAGE_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'mif1', 'msf1', 'avif', 'avis', 'jpeg', 'jp2 ']);
const QUICKTIME_FIRST_BOXES = new Set(['moov', 'mdat', 'wide', 'free', 'skip', 'pnot']);

export type Container = { kind: 'mp4' | 'quicktime'; brand: string } | { kind: 'unknown'; reason: string };

export function sniffContainer(head: Uint8Array): Container {
  if (head.length < 12) return { kind: 'unknown', reason: 'the file is too short to be a video' };
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const size = view.getUint32(0);
  const type = ascii(head, 4, 8);
  if (type === 'ftyp') {
    if (size < 8 || size > 4096) return { kind: 'unknown', reason: 'the file has a damaged ftyp box' };
    const brand = ascii(head, 8, 12);
    if (brand === 'qt  ') return { kind: 'quicktime', brand };
    if (IMAGE_BRANDS.has(brand)) return { kind: 'unknown', reason: 'the file is a still image, not a video' };
    if (MP4_BRANDS.has(brand) || /^[\x20-\x7e]{4}$/.test(brand)) return { kind: 'mp4', brand };
    return { kind: 'unknown', reason: 'the file has an unreadable brand' };
  }
  if (QUICKTIME_FIRST_BOXES.has(type) && (size === 0 || size === 1 || size >= 8))
    return { kind: 'quicktime', brand: type };
  return { kind: 'unknown', reason: 'the file is not an MP4 or QuickTime (MOV) video' };
}

function ascii(bytes: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...bytes.subarray(from, to));
}
