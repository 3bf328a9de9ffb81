export interface SignedCookies {
  'CloudFront-Policy': string;
  'CloudFront-Signature': string;
  'CloudFront-Key-Pair-Id': string;
}

/** CloudFront signed cookies with a custom policy (the same code in both runtimes). */
export interface CookieSigner {
  sign(resource: string, dateLessThan: number): SignedCookies;
}
