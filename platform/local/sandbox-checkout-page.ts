import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '#shared/log.js';
import { silentLogger } from '#shared/log.js';
import type { SandboxPayments, SandboxSession } from './sandbox-payments.js';
import { escapeHtml, pickLang, sitePage, sitePageCsp } from './site-page.js';
import type { Lang } from './site-page.js';
import { SANDBOX_CARD_DECLINES, SANDBOX_CARD_PAYS, SANDBOX_PATH } from './sandbox-payments.js';

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

const escape = escapeHtml;

const yen = (amount: number) => new Intl.NumberFormat('ja-JP', { style: 'currency', currency: 'JPY' }).format(amount);
const spaced = (card: string) => card.replace(/(\d{4})(?=\d)/g, '$1 ');

/** The site's language: `?lang=` (the checkout link carries it), else the site's `lang` cookie, else Japanese. */
function langOf(req: IncomingMessage, url: URL): Lang {
  return pickLang(url.searchParams.get('lang'), cookie(req, 'lang'));
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, value] = part.trim().split('=');
    if (key === name) return value;
  }
  return undefined;
}

/** Only what the site's shell (`site-page.ts`) does not already style. */
const STYLE = `<style>
.item{color:var(--muted);margin:0 0 4px}
.amount{font-size:1.9rem;font-weight:800;margin:6px 0 12px;font-variant-numeric:tabular-nums}
.row{display:flex;gap:12px}.row>div{flex:1;min-width:0}
input{font-variant-numeric:tabular-nums}
.cancel-link{display:block;text-align:center;margin-top:16px;min-height:44px;line-height:44px}
details{margin-top:12px;font-size:.85rem;color:var(--muted)}
summary{cursor:pointer;min-height:44px;line-height:44px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;color:var(--text)}
</style>`;

/** The page's language and the site's home (logo and way back). */
interface Frame {
  lang: Lang;
  home: string;
}

function page({ lang, home }: Frame, title: string, body: string, langSwitchUrl?: string) {
  return sitePage({ lang, title, body, home, head: STYLE, ...(langSwitchUrl ? { langSwitchUrl } : {}) });
}

function checkoutForm(frame: Frame, session: SandboxSession, error?: string) {
  const { lang } = frame;
  const t = TEXT[lang];
  const amount = yen(session.amountJpy);
  const item = session.kind === 'subscription' ? t.plan : t.rental;
  const action = `${SANDBOX_PATH}checkout/${session.sessionId}?lang=${lang}`;
  const other = lang === 'ja' ? 'en' : 'ja';
  return page(
    frame,
    t.title,
    `<p class="note" role="note">${escape(t.banner)}</p>
<h1>${escape(session.title ?? item)}</h1>
<p class="item">${escape(item)}</p>
<p class="amount" data-testid="sandbox-amount">${escape(amount)}${session.kind === 'subscription' ? escape(t.perMonth) : ''}</p>
<form method="post" action="${escape(action)}">
<label for="card">${escape(t.card)}</label>
<input id="card" name="card" inputmode="numeric" autocomplete="cc-number" value="${spaced(SANDBOX_CARD_PAYS)}" required>
<div class="row"><div><label for="exp">${escape(t.expiry)}</label><input id="exp" name="exp" value="12 / 34" autocomplete="cc-exp"></div>
<div><label for="cvc">${escape(t.cvc)}</label><input id="cvc" name="cvc" value="123" autocomplete="cc-csc"></div></div>
${error ? `<p class="alert" role="alert">${escape(error)}</p>` : ''}
<button class="pay" type="submit" name="action" value="pay" data-testid="sandbox-pay">${escape(t.pay(amount))}</button>
<button class="secondary" type="submit" name="action" value="decline" data-testid="sandbox-decline">${escape(t.decline)}</button>
</form>
<a class="cancel-link" href="${escape(session.cancelUrl)}" data-testid="sandbox-cancel">${escape(t.cancel)}</a>
<details><summary>${escape(t.cards)}</summary>
<p><code>${spaced(SANDBOX_CARD_PAYS)}</code> — ${escape(t.paysHint)}<br>
<code>${spaced(SANDBOX_CARD_DECLINES)}</code> — ${escape(t.declinesHint)}</p></details>`,
    `${SANDBOX_PATH}checkout/${session.sessionId}?lang=${other}`,
  );
}

function notice(frame: Frame, message: string, back?: string) {
  const { lang } = frame;
  return page(
    frame,
    TEXT[lang].title,
    `<h1>${escape(TEXT[lang].title)}</h1><p>${escape(message)}</p>${
      back ? `<a class="button" href="${escape(back)}">${escape(TEXT[lang].back)}</a>` : ''
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
  'content-security-policy': sitePageCsp(),
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

/** The cancel URL with `checkout=declined` in place of `checkout=cancel`. */
function declinedUrl(cancelUrl: string): string {
  try {
    const url = new URL(cancelUrl);
    if (url.searchParams.get('checkout') === 'cancel') url.searchParams.set('checkout', 'declined');
    return url.href;
  } catch {
    return cancelUrl;
  }
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
  const home = `${origin}/`;
  return (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? '/', origin);
      const frame = { lang: langOf(req, url), home };
      const { lang } = frame;
      const match = new RegExp(`^${SANDBOX_PATH}checkout/([0-9a-z]{1,64})$`).exec(url.pathname);
      if (!match?.[1]) return send(res, 404, notice(frame, TEXT[lang].notFound));
      const sessionId = match[1];
      if (req.method === 'GET' || req.method === 'HEAD') {
        const session = await sandbox.session(sessionId);
        if (!session) return send(res, 404, notice(frame, TEXT[lang].notFound));
        if (session.status !== 'open') return send(res, 409, notice(frame, TEXT[lang].closed, session.successUrl));
        return send(res, 200, checkoutForm(frame, session));
      }
      if (req.method !== 'POST') {
        res.writeHead(405, { allow: 'GET, HEAD, POST', 'content-type': 'text/plain' });
        return res.end('method not allowed');
      }
      const from = req.headers.origin;
      if (from !== undefined && from !== origin) return send(res, 403, notice(frame, TEXT[lang].notFound));
      const form = await readForm(req);
      if (!form) return send(res, 413, notice(frame, TEXT[lang].invalid));
      const card = form.get('action') === 'decline' ? SANDBOX_CARD_DECLINES : (form.get('card') ?? '');
      const result = await sandbox.pay(sessionId, card);
      switch (result.outcome) {
        case 'paid':
          res.writeHead(303, { location: result.redirectUrl, 'cache-control': 'no-store' });
          return res.end();
        case 'declined':
          // Stripe keeps a declined card on its own page; the sandbox sends the person back and
          // says so (`?checkout=declined`), where a plain Cancel says "cancelled".
          res.writeHead(303, { location: declinedUrl(result.redirectUrl), 'cache-control': 'no-store' });
          return res.end();
        case 'invalid_card': {
          const session = await sandbox.session(sessionId);
          if (!session) return send(res, 404, notice(frame, TEXT[lang].notFound));
          return send(res, 422, checkoutForm(frame, session, TEXT[lang].invalid));
        }
        case 'closed':
          return send(res, 409, notice(frame, TEXT[lang].closed, result.session.successUrl));
        case 'price_changed':
          return send(res, 409, notice(frame, TEXT[lang].priceChanged, result.session.cancelUrl));
        case 'not_found':
          return send(res, 404, notice(frame, TEXT[lang].notFound));
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
