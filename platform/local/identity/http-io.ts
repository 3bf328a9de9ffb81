import type { IncomingMessage, ServerResponse } from 'node:http';
import { sitePageCsp } from '../site-page.js';
import { LOGOUT_SCRIPT_HASH } from './pages.js';

const MAX_FORM_BYTES = 16 * 1024;

/** Security headers of every page the issuer renders itself. */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': sitePageCsp(),
  'x-frame-options': 'DENY',
  // Not `no-referrer`: under it browsers send `Origin: null` with form posts, and the origin check
  // of the password forms would refuse every real one. Nothing leaves the origin all the same.
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
};

export function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key !== name) continue;
    try {
      return decodeURIComponent(rest.join('='));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export function send(res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { ...PAGE_HEADERS, ...headers });
  res.end(html);
}

export async function readForm(req: IncomingMessage): Promise<Record<string, string> | undefined> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}

/** The sign-out page's headers: its one auto-submit script allowed by hash. */
export const LOGOUT_CSP = sitePageCsp([LOGOUT_SCRIPT_HASH]);
