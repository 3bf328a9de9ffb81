import { describe, expect, test } from 'vitest';
import { canonicalRedirect } from './canonical-host.js';

const PUBLIC = 'http://localhost:3000';

describe('canonicalRedirect', () => {
  test('a page on another host goes to the same path on the public URL', () => {
    expect(canonicalRedirect({ path: '/videos/v1?x=1', host: '127.0.0.1:3000' }, PUBLIC)).toBe(
      'http://localhost:3000/videos/v1?x=1',
    );
    expect(canonicalRedirect({ path: '/auth/login', host: '192.168.1.20:3000' }, PUBLIC)).toBe(
      'http://localhost:3000/auth/login',
    );
    expect(canonicalRedirect({ path: '/oidc/auth', host: 'LOCALHOST:3001' }, PUBLIC)).toBe(
      'http://localhost:3000/oidc/auth',
    );
  });

  test('the public host, in any case, is left alone', () => {
    expect(canonicalRedirect({ path: '/', host: 'localhost:3000' }, PUBLIC)).toBeUndefined();
    expect(canonicalRedirect({ path: '/', host: 'LocalHost:3000' }, PUBLIC)).toBeUndefined();
    expect(canonicalRedirect({ path: '/', host: 'kinema.app' }, 'https://kinema.app')).toBeUndefined();
  });

  test('a proxy that rewrites Host is judged by X-Forwarded-Host', () => {
    expect(
      canonicalRedirect({ path: '/', host: 'upstream:3000', forwardedHost: 'kinema.app' }, 'https://kinema.app'),
    ).toBeUndefined();
    expect(
      canonicalRedirect(
        { path: '/a', host: 'kinema.app', forwardedHost: 'evil.example, kinema.app' },
        'https://kinema.app',
      ),
    ).toBe('https://kinema.app/a');
  });

  test('the API, health, media and presigned URLs are never redirected', () => {
    for (const path of ['/api/catalog/videos', '/api', '/healthz', '/media/videos/v/hls/master.m3u8', '/_store/x']) {
      expect(canonicalRedirect({ path, host: '127.0.0.1:3000' }, PUBLIC), path).toBeUndefined();
    }
    // A look-alike prefix is a page.
    expect(canonicalRedirect({ path: '/apiary', host: '127.0.0.1:3000' }, PUBLIC)).toBe('http://localhost:3000/apiary');
  });

  test('no Host header, nothing to compare; a path that names another host becomes /', () => {
    expect(canonicalRedirect({ path: '/', host: undefined }, PUBLIC)).toBeUndefined();
    expect(canonicalRedirect({ path: '//evil.example/x', host: '127.0.0.1:3000' }, PUBLIC)).toBe(
      'http://localhost:3000/',
    );
  });
});
