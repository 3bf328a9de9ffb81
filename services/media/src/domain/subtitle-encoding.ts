import Encoding from 'encoding-japanese';
import { SubtitleRejected } from './subtitle-issues.js';

/** A subtitle file is small text: a two-hour film's SRT is about 100 KB. Anything above is refused. */
export const MAX_SUBTITLE_BYTES = 2 * 1024 * 1024;

export type SubtitleEncoding = 'utf-8' | 'utf-8-bom' | 'shift_jis';

const UTF8_BOM = [0xef, 0xbb, 0xbf];

/**
 * Bytes that no text file holds: NUL and the C0 controls other than tab, line feed, form feed and
 * carriage return (SRT and WebVTT are line-based text). One is enough to call the file binary.
 */
function firstBinaryByte(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    if (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0c && byte !== 0x0d) return i;
    if (byte === 0x7f) return i;
  }
  return -1;
}

/**
 * Decodes an uploaded subtitle file: UTF-8 (with or without a byte-order mark) or Shift_JIS, the
 * encoding Japanese subtitle tools still write. UTF-8 is tried first and strictly (a file that
 * decodes as UTF-8 is UTF-8); otherwise encoding-japanese decides between Shift_JIS and the rest.
 * Binary files, UTF-16 and other encodings are refused with a reason, never guessed at.
 */
export function decodeSubtitleBytes(bytes: Uint8Array): { text: string; encoding: SubtitleEncoding } {
  if (bytes.length > MAX_SUBTITLE_BYTES) {
    throw new SubtitleRejected([
      {
        code: 'too_large',
        message: `the file is ${bytes.length} bytes; a subtitle file may be at most ${MAX_SUBTITLE_BYTES}`,
      },
    ]);
  }
  if (bytes.length === 0) throw new SubtitleRejected([{ code: 'empty', message: 'the file is empty' }]);
  const bom = UTF8_BOM.every((byte, index) => bytes[index] === byte);
  const body = bom ? bytes.subarray(3) : bytes;
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new SubtitleRejected([
      { code: 'unsupported_encoding', message: 'the file is UTF-16; save it as UTF-8 or Shift_JIS' },
    ]);
  }
  const binaryAt = firstBinaryByte(body);
  if (binaryAt >= 0) {
    throw new SubtitleRejected([
      {
        code: 'not_text',
        message: `the file is not text (a control byte 0x${(body[binaryAt] as number).toString(16).padStart(2, '0')} at byte ${binaryAt + (bom ? 3 : 0)})`,
      },
    ]);
  }
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
    return { text, encoding: bom ? 'utf-8-bom' : 'utf-8' };
  } catch {
    // not UTF-8: see below
  }
  if (!bom && Encoding.detect(body, ['SJIS', 'UTF8', 'EUCJP', 'JIS']) === 'SJIS') {
    return { text: Encoding.convert(body, { to: 'UNICODE', from: 'SJIS', type: 'string' }), encoding: 'shift_jis' };
  }
  throw new SubtitleRejected([
    {
      code: 'unsupported_encoding',
      message: 'the file is neither UTF-8 nor Shift_JIS text; save it as UTF-8',
    },
  ]);
}
