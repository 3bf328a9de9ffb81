import { describe, expect, it } from 'vitest';
import { MIN_BITRATE_GAIN, perTitleLadder } from './per-title.js';

const rung = (width: number, height: number, kbps: number) => ({
  name: `${width}x${height}`,
  width,
  height,
  videoBitrate: kbps * 1000,
});
const names = (rungs: { name: string }[]) => rungs.map((r) => r.name);

describe('perTitleLadder', () => {
  it('keeps every rung of a detailed picture, whose bits grow with its pixels', () => {
    const ladder = [rung(416, 234, 120), rung(640, 360, 260), rung(960, 540, 680), rung(1280, 720, 1500)];
    expect(perTitleLadder(ladder)).toEqual({ kept: ladder, dropped: [] });
  });

  it('drops a rung that costs barely more than the rung below: its extra pixels hold no picture', () => {
    const { kept, dropped } = perTitleLadder([
      rung(416, 234, 100),
      rung(640, 360, 200),
      rung(768, 432, 210),
      rung(960, 540, 400),
      rung(1280, 720, 420),
    ]);
    expect(names(kept)).toEqual(['416x234', '640x360', '960x540']);
    expect(dropped.map((drop) => [drop.name, drop.servedBy])).toEqual([
      ['768x432', '640x360'],
      ['1280x720', '960x540'],
    ]);
    expect(dropped[0]?.reason).toMatch(/costs 5 % more bits than 640x360/);
  });

  it('compares a rung with the rung kept below, not with a dropped one', () => {
    // 432p is dropped (+10 %); 540p is +21 % over 360p, so it stays although it is +10 % over 432p.
    const { kept } = perTitleLadder([rung(640, 360, 100), rung(768, 432, 110), rung(960, 540, 121)]);
    expect(names(kept)).toEqual(['640x360', '960x540']);
  });

  it('applies the threshold exactly', () => {
    const at = perTitleLadder([rung(640, 360, 100), rung(960, 540, 100 + 100 * MIN_BITRATE_GAIN)]);
    expect(names(at.kept)).toEqual(['640x360', '960x540']);
    const under = perTitleLadder([rung(640, 360, 100), rung(960, 540, 100 + 100 * MIN_BITRATE_GAIN - 0.1)]);
    expect(names(under.kept)).toEqual(['640x360']);
  });

  it('drops a rung no larger than the one below and reads rungs in any order', () => {
    const { kept, dropped } = perTitleLadder([rung(960, 540, 900), rung(640, 360, 300), rung(640, 360, 500)]);
    expect(names(kept)).toEqual(['640x360', '960x540']);
    expect(kept[0]?.videoBitrate).toBe(300_000);
    expect(dropped).toEqual([{ name: '640x360', servedBy: '640x360', reason: 'it is no larger than 640x360' }]);
  });

  it('always keeps the lowest rung, even of a flat picture', () => {
    const { kept, dropped } = perTitleLadder([rung(416, 234, 10), rung(640, 360, 10.5), rung(1280, 720, 11)]);
    expect(names(kept)).toEqual(['416x234']);
    expect(dropped.every((drop) => drop.servedBy === '416x234')).toBe(true);
    expect(perTitleLadder([])).toEqual({ kept: [], dropped: [] });
  });
});
