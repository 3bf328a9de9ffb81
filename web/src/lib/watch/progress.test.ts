import { describe, expect, it } from 'vitest';
import { progressReporter } from './progress';
import type { ProgressReport } from './progress';

function harness(beaconWorks = true) {
  let clock = 0;
  const sent: ProgressReport[] = [];
  const beacons: ProgressReport[] = [];
  const reporter = progressReporter({
    now: () => clock,
    transport: {
      send: async (report) => {
        sent.push(report);
      },
      beacon: (report) => {
        if (beaconWorks) beacons.push(report);
        return beaconWorks;
      },
    },
  });
  return { reporter, sent, beacons, advance: (ms: number) => (clock += ms) };
}

describe('the progress reporter', () => {
  it('reports at most every 10 s while playing', () => {
    const h = harness();
    for (let second = 0; second <= 30; second += 0.25) {
      h.reporter.time(second, 600);
      h.advance(250);
    }
    expect(h.sent.map((report) => report.positionSeconds)).toEqual([0, 10, 20, 30]);
  });

  it('reports at once on pause, and not twice for the same place', () => {
    const h = harness();
    h.reporter.time(1, 600);
    h.advance(3_000);
    h.reporter.pause(4, 600);
    h.reporter.pause(4.1, 600);
    expect(h.sent.map((report) => report.positionSeconds)).toEqual([1, 4]);
  });

  it('reports the whole duration at the end', () => {
    const h = harness();
    h.reporter.ended(12.5);
    expect(h.sent).toEqual([{ positionSeconds: 12.5, durationSeconds: 12.5 }]);
  });

  it('sends a beacon on hide with the last position, and falls back to a request when refused', () => {
    const h = harness();
    h.reporter.time(1, 600);
    h.advance(2_000);
    h.reporter.time(3, 600);
    h.reporter.hide();
    h.reporter.hide(); // nothing moved since
    expect(h.beacons).toEqual([{ positionSeconds: 3, durationSeconds: 600 }]);
    const refused = harness(false);
    refused.reporter.time(1, 600);
    refused.advance(2_000);
    refused.reporter.time(3, 600);
    refused.reporter.hide();
    expect(refused.sent.at(-1)).toEqual({ positionSeconds: 3, durationSeconds: 600 });
  });

  it('ignores an unknown duration and clamps the position into the title', () => {
    const h = harness();
    h.reporter.time(5, Number.NaN);
    h.reporter.time(5, Infinity);
    h.reporter.pause(-1, 600);
    h.advance(20_000);
    h.reporter.pause(700, 600);
    expect(h.sent).toEqual([
      { positionSeconds: 0, durationSeconds: 600 },
      { positionSeconds: 600, durationSeconds: 600 },
    ]);
  });
});
