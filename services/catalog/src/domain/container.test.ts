import { describe, expect, it } from 'vitest';
import { sniffContainer } from './container.js';

const box = (size: number, type: string, rest = '') => {
  const buffer = Buffer.alloc(8 + rest.length);
  buffer.writeUInt32BE(size, 0);
  buffer.write(type, 4, 'latin1');
  buffer.write(rest, 8, 'latin1');
  return buffer;
};

describe('sniffContainer', () => {
  it('knows MP4 by its ftyp box and brand', () => {
    expect(sniffContainer(box(32, 'ftyp', 'isom\0\0\x02\0isomiso2avc1mp41'))).toEqual({ kind: 'mp4', brand: 'isom' });
    expect(sniffContainer(box(24, 'ftyp', 'mp42\0\0\0\0mp42isom'))).toEqual({ kind: 'mp4', brand: 'mp42' });
  });

  it('knows QuickTime by its brand or its first box', () => {
    expect(sniffContainer(box(20, 'ftyp', 'qt  \0\0\0\0qt  '))).toEqual({ kind: 'quicktime', brand: 'qt  ' });
    expect(sniffContainer(box(8, 'wide', '\0\0\0\0mdat'))).toMatchObject({ kind: 'quicktime' });
  });

  it('refuses text renamed .mp4, images, and files too short to tell', () => {
    expect(sniffContainer(Buffer.from('Hello, this is not a video at all\n'))).toMatchObject({ kind: 'unknown' });
    expect(sniffContainer(box(24, 'ftyp', 'heic\0\0\0\0mif1heic'))).toMatchObject({
      kind: 'unknown',
      reason: /still image/,
    });
    expect(sniffContainer(Buffer.from([0, 0, 0]))).toMatchObject({ kind: 'unknown', reason: /too short/ });
    expect(sniffContainer(box(1 << 30, 'ftyp', 'isom\0\0\0\0'))).toMatchObject({ kind: 'unknown' });
  });
});
