import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { AppError, forbidden, invalidInput } from '#shared/errors.js';
import { parse, validKey } from './file-store-inputs.js';

/** What a presigned URL allows, once its signature and expiry have been checked. */
export type VerifiedRequest =
  | { kind: 'object'; method: 'GET' | 'PUT'; key: string; contentType?: string; expiresAt: number }
  | {
      kind: 'part';
      method: 'PUT';
      key: string;
      uploadId: string;
      partNumber: number;
      /** The exact body length the URL was signed for, when it was. */
      contentLength?: number;
      expiresAt: number;
    };

export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600; // S3's limit for SigV4 presigned URLs
const SIGNATURE_VERSION = 'kinema-store-v1';
const Expiry = z.number().int().min(1).max(MAX_PRESIGN_SECONDS);

interface Signed {
  method: string;
  key: string;
  uploadId?: string;
  partNumber?: number;
  contentType?: string;
  contentLength?: number;
  expires: number;
}

/**
 * The file store's presigned URLs, the local twin of S3's: `${publicUrl}${pathPrefix}/<key>?method
 * &expires[&uploadId&partNumber][&contentType]&signature`, the signature an HMAC-SHA256 over all
 * of them. Like S3's, a part URL may be used any number of times until it expires.
 */
export function storeUrlSigner(options: { secret: string; publicUrl: string; pathPrefix: string; now: () => number }) {
  const { secret, pathPrefix, now } = options;
  if (secret.length < 16) throw new Error('fileStore: the secret must be at least 16 characters');
  const publicUrl = options.publicUrl.replace(/\/+$/, '');

  const sign = (fields: Signed) =>
    createHmac('sha256', secret)
      .update(
        JSON.stringify([
          SIGNATURE_VERSION,
          fields.method,
          fields.key,
          fields.uploadId ?? '',
          fields.partNumber ?? 0,
          fields.contentType ?? '',
          fields.expires,
          // Appended only when signed, so URLs without a length keep their v1 signature.
          ...(fields.contentLength !== undefined ? [fields.contentLength] : []),
        ]),
      )
      .digest('base64url');

  const presign = (
    method: 'GET' | 'PUT',
    key: string,
    expiresInSeconds: number,
    extra: { uploadId?: string; partNumber?: number; contentType?: string; contentLength?: number } = {},
  ) => {
    validKey(key);
    parse(Expiry, expiresInSeconds, `expiry must be 1..${MAX_PRESIGN_SECONDS} seconds`);
    const expires = Math.floor(now() / 1000) + expiresInSeconds;
    const query = new URLSearchParams({ method, expires: String(expires) });
    if (extra.uploadId !== undefined) query.set('uploadId', extra.uploadId);
    if (extra.partNumber !== undefined) query.set('partNumber', String(extra.partNumber));
    if (extra.contentType !== undefined) query.set('contentType', extra.contentType);
    if (extra.contentLength !== undefined) query.set('length', String(extra.contentLength));
    query.set('signature', sign({ method, key, expires, ...extra }));
    const path = key.split('/').map(encodeURIComponent).join('/');
    return `${publicUrl}${pathPrefix}/${path}?${query.toString()}`;
  };

  /** Checks a presigned URL (signature, method, expiry); throws AppError forbidden / gone / invalid_input. */
  const verifyUrl = (method: 'GET' | 'PUT', url: URL): VerifiedRequest => {
    if (!url.pathname.startsWith(pathPrefix + '/')) throw forbidden('this is not a store URL');
    let key: string;
    try {
      key = url.pathname
        .slice(pathPrefix.length + 1)
        .split('/')
        .map(decodeURIComponent)
        .join('/');
    } catch {
      throw invalidInput('the object key in the URL is not validly encoded');
    }
    validKey(key);
    const single = (name: string) => {
      const values = url.searchParams.getAll(name);
      if (values.length > 1) throw forbidden(`the URL carries "${name}" more than once`);
      return values[0];
    };
    const signedMethod = single('method');
    const expiresText = single('expires');
    const uploadId = single('uploadId');
    const partText = single('partNumber');
    const contentType = single('contentType');
    const lengthText = single('length');
    const signature = single('signature');
    if (!signedMethod || !expiresText || !signature || !/^\d{1,12}$/.test(expiresText)) {
      throw forbidden('the URL is not signed (method, expires and signature are required)');
    }
    if ((uploadId === undefined) !== (partText === undefined) || (partText && !/^\d{1,5}$/.test(partText))) {
      throw forbidden('the URL has an incomplete or malformed upload part reference');
    }
    if (lengthText !== undefined && !/^\d{1,16}$/.test(lengthText)) throw forbidden('the URL has a malformed length');
    const contentLength = lengthText === undefined ? undefined : Number(lengthText);
    const expires = Number(expiresText);
    const partNumber = partText === undefined ? undefined : Number(partText);
    const expected = Buffer.from(
      sign({
        method: signedMethod,
        key,
        expires,
        ...(uploadId !== undefined ? { uploadId } : {}),
        ...(partNumber !== undefined ? { partNumber } : {}),
        ...(contentType !== undefined ? { contentType } : {}),
        ...(contentLength !== undefined ? { contentLength } : {}),
      }),
    );
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw forbidden('the URL signature does not match: it was altered, or signed for another object, upload or part');
    }
    if (signedMethod !== method) throw forbidden(`this URL is signed for ${signedMethod}, not ${method}`);
    if (Math.floor(now() / 1000) > expires) {
      throw new AppError('gone', `this URL expired at ${new Date(expires * 1000).toISOString()}; ask for a new one`);
    }
    const expiresAt = expires * 1000;
    if (uploadId !== undefined && partNumber !== undefined) {
      if (method !== 'PUT') throw forbidden('a part URL is for PUT only');
      return {
        kind: 'part',
        method,
        key,
        uploadId,
        partNumber,
        expiresAt,
        ...(contentLength !== undefined ? { contentLength } : {}),
      };
    }
    return { kind: 'object', method, key, expiresAt, ...(contentType !== undefined ? { contentType } : {}) };
  };

  return { presign, verifyUrl };
}
