import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

function onPath(name: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function packaged(pkg: string, name: string): string {
  return join(dirname(require.resolve(`${pkg}/package.json`)), name);
}

/**
 * ffmpeg and ffprobe: the system's when on PATH, else the static builds shipped in
 * @ffmpeg-installer / @ffprobe-installer, so `npm ci` alone is enough on a fresh machine. The
 * caller passes PATH (composition roots read the environment; this module does not).
 */
export function ffmpegBinaries(path?: string): { ffmpegPath: string; ffprobePath: string } {
  return {
    ffmpegPath: onPath('ffmpeg', path) ?? packaged('@ffmpeg-installer/linux-x64', 'ffmpeg'),
    ffprobePath: onPath('ffprobe', path) ?? packaged('@ffprobe-installer/linux-x64', 'ffprobe'),
  };
}
