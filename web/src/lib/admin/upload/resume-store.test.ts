import { describe, expect, test } from 'vitest';
import { localResumeStore } from './resume-store';

/** The Storage surface localResumeStore uses, over a Map. */
function memoryStorage(): Storage {
  const items = new Map<string, string>();
  return {
    get length() {
      return items.size;
    },
    clear: () => items.clear(),
    getItem: (key) => items.get(key) ?? null,
    key: (index) => [...items.keys()][index] ?? null,
    removeItem: (key) => void items.delete(key),
    setItem: (key, value) => void items.set(key, String(value)),
  };
}

const saved = { videoId: 'v1', uploadId: 'u1', fileName: 'film.mp4', size: 1234, lastModified: 99 };

describe('localResumeStore', () => {
  test('keeps one interrupted upload per video until cleared', () => {
    const store = localResumeStore(memoryStorage());
    expect(store.load('v1')).toBeUndefined();
    store.save(saved);
    expect(store.load('v1')).toEqual(saved);
    expect(store.load('v2')).toBeUndefined();
    store.clear('v1');
    expect(store.load('v1')).toBeUndefined();
  });

  test('ignores what it cannot trust: bad JSON, missing fields, another video’s entry', () => {
    const storage = memoryStorage();
    const store = localResumeStore(storage);
    storage.setItem('kinema.upload.v1', '{not json');
    expect(store.load('v1')).toBeUndefined();
    storage.setItem('kinema.upload.v1', JSON.stringify({ ...saved, size: '1234' }));
    expect(store.load('v1')).toBeUndefined();
    storage.setItem('kinema.upload.v1', JSON.stringify({ ...saved, videoId: 'v2' }));
    expect(store.load('v1')).toBeUndefined();
  });
});
