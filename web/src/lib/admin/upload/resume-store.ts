import type { ResumeStore, SavedUpload } from './ports';

/** Remembers interrupted uploads in localStorage (per video), so a reload can carry on. */
export function localResumeStore(storage: Storage = localStorage, prefix = 'kinema.upload.'): ResumeStore {
  return {
    load(videoId) {
      try {
        const value: unknown = JSON.parse(storage.getItem(prefix + videoId) ?? 'null');
        if (typeof value !== 'object' || value === null) return undefined;
        const saved = value as Partial<SavedUpload>;
        if (
          saved.videoId !== videoId ||
          typeof saved.uploadId !== 'string' ||
          typeof saved.fileName !== 'string' ||
          typeof saved.size !== 'number' ||
          typeof saved.lastModified !== 'number'
        )
          return undefined;
        return saved as SavedUpload;
      } catch {
        return undefined;
      }
    },
    save(upload) {
      storage.setItem(prefix + upload.videoId, JSON.stringify(upload));
    },
    clear(videoId) {
      storage.removeItem(prefix + videoId);
    },
  };
}
