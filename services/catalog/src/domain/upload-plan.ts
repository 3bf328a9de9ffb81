import { MULTIPART } from '#shared/ports/object-store.js';
import { invalidInput } from '#shared/errors.js';

const MiB = 1024 ** 2;

/** Sources Kinema accepts: MP4 and QuickTime/MOV. */
export const SOURCE_TYPES = ['video/mp4', 'video/quicktime'] as const;

/**
 * Splits a declared upload into S3-legal parts: at least `preferredPartSize` (8 MiB: few enough
 * requests, small enough that a dropped connection loses little), grown in whole MiB so that no
 * upload needs more than 10,000 parts.
 */
export function planParts(size: number, maxUploadBytes: number, preferredPartSize = 8 * MiB) {
  if (!Number.isSafeInteger(size) || size <= 0) throw invalidInput('the file is empty');
  if (size > maxUploadBytes) {
    throw invalidInput(
      `the file is ${formatBytes(size)}; the largest upload allowed is ${formatBytes(maxUploadBytes)}`,
    );
  }
  const fewestParts = Math.ceil(size / MULTIPART.maxParts / MiB) * MiB;
  const partSize = Math.max(preferredPartSize, fewestParts, MULTIPART.minPartSize);
  if (partSize > MULTIPART.maxPartSize) throw invalidInput('the file is larger than object storage can take');
  return { partSize, partCount: Math.ceil(size / partSize) };
}

/** The exact size of one part of a plan: every part is `partSize` but the last, which holds the rest. */
export function plannedPartSize(plan: { size: number; partSize: number; partCount: number }, partNumber: number) {
  return partNumber < plan.partCount ? plan.partSize : plan.size - plan.partSize * (plan.partCount - 1);
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Math.round(value * 10) / 10} ${units[unit]}`;
}
