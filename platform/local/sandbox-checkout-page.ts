import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '#shared/log.js';
import { silentLogger } from '#shared/log.js';
import type { SandboxPayments, SandboxSession } from './sandbox-payments.js';
import { SANDBOX_CARD_DECLINES, SANDBOX_CARD_PAYS, SANDBOX_PATH } from './sandbox-payments.js';

type Lang = 'ja' | 'en';

const TEXT = {
  ja: {
    title: 'テスト決済',
    banner: 'これはテスト用の決済画面です。実際の請求は発生しません。',
    plan: '見放題プラン（月額）',
    rental: 'レンタル（購入から48時間視聴可能）',
    perMonth: '／月',
    card: 'カード番号',
    expiry: '有効期限',
    cvc: 'セキュリティコード',
    pay: (amount: string) => `${amount} を支払う`,
    decline: '拒否されるカードで試す',
    cancel: 'キャンセルして戻る',
    cards: 'テストカード',
    paysHint: '支払いが完了します',
    declinesHint: 'カードが拒否されます',
    invalid: 'テストカードの番号を入力してください。',
    notFound: 'この決済セッションは見つかりません。',
    closed: 'この決済はすでに完了しています。',
    priceChanged:
      'この決済を開いた後に価格が変わったため、決済は取り消されました（請求はありません）。もう一度お試しください。',
    back: '戻る',
  },
  en: {
    title: 'Test checkout',
    banner: 'This is a sandbox checkout. No real charge is made.',
    plan: 'Unlimited plan (monthly)',
    rental: 'Rental (watch for 48 hours from purchase)',
    perMonth: ' / month',
    card: 'Card number',
    expiry: 'Expiry',
    cvc: 'CVC',
    pay: (amount: string) => `Pay ${amount}`,
    decline: 'Try a declined card',
    cancel: 'Cancel and go back',
    cards: 'Test cards',
    paysHint: 'the payment succeeds',
    declinesHint: 'the card is declined',
    invalid: 'Enter one of the test card numbers.',
    notFound: 'This checkout session does not exist.',
    closed: 'This checkout is already finished.',
    priceChanged:
      'The price changed after this checkout opened, so it was cancelled and nothing was charged. Please start again.',
    back: 'Go back',
  },
} as const;

const escape = (value: string) =>
  value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c as '&'] ?? c,
  );

const yen = (amount: number) => new Intl.NumberFormat('ja-JP', { style: 'currency', currency: 'JPY' }).format(amount);
const spaced = (card: string) => card.replace(/(\d{4})(?=\d)/g, '$1 ');

function pickLang(req: IncomingMessage, url: URL): Lang {
  const asked = url.searchParams.get('lang');
  if (asked === 'ja' || asked === 'en') return asked;
  const header = String(req.headers['accept-language'] ?? '').toLowerCase();
  const ja = header.indexOf('ja');
  const en = header.indexOf('en');
  if (ja >= 0 && (en < 0 || ja < en)) return 'ja';
  return 'en';
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.6 system-ui,-apple-system,"Segoe UI","Hiragino Sans","Noto Sans CJK JP",sans-serif;
background:#f4f5f8;color:#1c1e26;display:flex;min-height:100vh;align-items:center;justify-content:center;padding:16px}
main{background:#fff;border-radius:14px;box-shadow:0 8px 30px rgba(20,24,40,.08);width:100%;max-width:420px;padding:28px}
.banner{background:#fff6d6;color:#6b5200;border-radius:8px;padding:8px 12px;font-size:13px;margin-bottom:18px}
h1{font-size:20px;margin:0 0 4px}
.item{color:#5a5f70;margin:0 0 4px}
.amount{font-size:30px;font-weight:700;margin:6px 0 20px;font-variant-numeric:tabular-nums}
label{display:block;font-size:13px;font-weight:600;color:#3c4050;margin:12px 0 4px}
input{width:100%;font:inherit;padding:10px 12px;border:1px solid #cfd3dc;border-radius:8px;font-variant-numeric:tabular-nums}
input:focus{outline:2px solid #4b5cf0;outline-offset:1px;border-color:#4b5cf0}
.row{display:flex;gap:12px}.row>div{flex:1}
button{width:100%;font:inherit;font-weight:600;border:0;border-radius:8px;padding:12px;margin-top:18px;cursor:pointer}
.pay{background:#4b5cf0;color:#fff}.pay:hover{background:#3a4ad8}
.decline{background:#eef0f5;color:#3c4050;margin-top:10px}
.error{background:#fdecec;color:#9b1c1c;border-radius:8px;padding:8px 12px;margin-top:12px;font-size:14px}
.cancel{display:block;text-align:center;margin-top:16px;color:#5a5f70;font-size:14px}
details{margin-top:18px;font-size:13px;color:#5a5f70}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace}
`;

function page(lang: Lang, title: string, body: string) {
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>${escape(title)}</title>
<style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}

function checkoutForm(lang: Lang, session: SandboxSession, error?: string) {
  const t = TEXT[lang];
  const amount = yen(session.amountJpy);
  const item = session.kind === 'subscription' ? t.plan : t.rental;
  const action = `${SANDBOX_PATH}checkout/${session.sessionId}?lang=${lang}`;
  return page(
    lang,
    t.title,
    `<div class="banner" role="note">${escape(t.banner)}</div>
<h1>${escape(session.title ?? item)}</h1>
<p class="item">${escape(item)}</p>
<p class="amount" data-testid="sandbox-amount">${escape(amount)}${session.kind === 'subscription' ? escape(t.perMonth) : ''}</p>
<form method="post" action="${escape(action)}">
<label for="card">${escape(t.card)}</label>
<input id="card" name="card" inputmode="numeric" autocomplete="cc-number" value="${spaced(SANDBOX_CARD_PAYS)}" required>
<div class="row"><div><label for="exp">${escape(t.expiry)}</label><input id="exp" name="exp" value="12 / 34" autocomplete="cc-exp"></div>
<div><label for="cvc">${escape(t.cvc)}</label><input id="cvc" name="cvc" value="123" autocomplete="cc-csc"></div></div>
${error ? `<p class="error" role="alert">${escape(error)}</p>` : ''}
<button class="pay" type="submit" name="action" value="pay" data-testid="sandbox-pay">${escape(t.pay(amount))}</button>
<button class="decline" type="submit" name="action" value="decline" data-testid="sandbox-decline">${escape(t.decline)}</button>
</form>
<a class="cancel" href="${escape(session.cancelUrl)}" data-testid="sandbox-cancel">${escape(t.cancel)}</a>
<details><summary>${escape(t.cards)}</summary>
<p><code>${spaced(SANDBOX_CARD_PAYS)}</code> — ${escape(t.paysHint)}<br>
<code>${spaced(SANDBOX_CARD_DECLINES)}</code> — ${escape(t.declinesHint)}</p></details>`,
  );
}

function notice(lang: Lang, message: string, back?: string) {
  return page(
    lang,
    TEXT[lang].title,
    `<h1>${escape(TEXT[lang].title)}</h1><p>${escape(message)}</p>${
      back ? `<a class="cancel" href="${escape(back)}">${escape(TEXT[lang].back)}</a>` : ''
    }`,
  );
}

const HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  // Not `no-referrer`: under it browsers send `Origin: null` with the form's POST, and the origin
  // check below would refuse every real payment. `same-origin` still keeps the session id in.
  'referrer-policy': 'same-origin',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
};

function send(res: ServerResponse, status: number, html: string) {
  res.writeHead(status, HEADERS);
  res.end(html);
}

async function readForm(req: IncomingMessage, maxBytes = 4096): Promise<URLSearchParams | undefined> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) return undefined;
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export interface SandboxCheckoutPageOptions {
  /** The site's origin: a POST from any other origin is refused (no cross-site "pay" clicks). */
  publicUrl: string;
  logger?: Logger;
}

/**
 * The sandbox checkout page, a Node request listener for `/_sandbox/…`:
 *   GET  /_sandbox/checkout/<id>   the card form (ja/en by ?lang= or Accept-Language)
 *   POST /_sandbox/checkout/<id>   pay (`action=pay`, the card in `card`) or decline (`action=decline`)
 * A paid or declined session redirects (303) to its success or cancel URL.
 */
export function sandboxCheckoutListener(sandbox: SandboxPayments, options: SandboxCheckoutPageOptions) {
  const logger = options.logger ?? silentLogger;
  const origin = new URL(options.publicUrl).origin;
  return (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? '/', origin);
      const lang = pickLang(req, url);
      const match = new RegExp(`^${SANDBOX_PATH}checkout/([0-9a-z]{1,64})$`).exec(url.pathname);
      if (!match?.[1]) return send(res, 404, notice(lang, TEXT[lang].notFound));
      const sessionId = match[1];
      if (req.method === 'GET' || req.method === 'HEAD') {
        const session = await sandbox.session(sessionId);
        if (!session) return send(res, 404, notice(lang, TEXT[lang].notFound));
        if (session.status !== 'open') return send(res, 409, notice(lang, TEXT[lang].closed, session.successUrl));
        return send(res, 200, checkoutForm(lang, session));
      }
      if (req.method !== 'POST') {
        res.writeHead(405, { allow: 'GET, HEAD, POST', 'content-type': 'text/plain' });
        return res.end('method not allowed');
      }
      const from = req.headers.origin;
      if (from !== undefined && from !== origin) return send(res, 403, notice(lang, TEXT[lang].notFound));
      const form = await readForm(req);
      if (!form) return send(res, 413, notice(lang, TEXT[lang].invalid));
      const card = form.get('action') === 'decline' ? SANDBOX_CARD_DECLINES : (form.get('card') ?? '');
      const result = await sandbox.pay(sessionId, card);
      switch (result.outcome) {
        case 'paid':
        case 'declined':
          res.writeHead(303, { location: result.redirectUrl, 'cache-control': 'no-store' });
          return res.end();
        case 'invalid_card': {
          const session = await sandbox.session(sessionId);
          if (!session) return send(res, 404, notice(lang, TEXT[lang].notFound));
          return send(res, 422, checkoutForm(lang, session, TEXT[lang].invalid));
        }
        case 'closed':
          return send(res, 409, notice(lang, TEXT[lang].closed, result.session.successUrl));
        case 'price_changed':
          return send(res, 409, notice(lang, TEXT[lang].priceChanged, result.session.cancelUrl));
        case 'not_found':
          return send(res, 404, notice(lang, TEXT[lang].notFound));
      }
    })().catch((error: unknown) => {
      logger.error('sandbox checkout failed', { err: error });
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'internal', message: 'the sandbox checkout failed' } }));
      } else res.end();
    });
  };
}
