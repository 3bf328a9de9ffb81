/**
 * The look the standalone runtime's own pages share with the site (the web's `app.css`): the
 * built-in issuer's sign-in, sign-up, sign-out and error pages and the sandbox checkout. One shell,
 * so a person never feels they left Kinema: the same dark theme, the logo linking home, the page's
 * language, and a way back. Server-rendered, no script, no external resource: they work under a
 * `default-src 'none'` policy (`SITE_PAGE_CSP`).
 */

export type Lang = 'ja' | 'en';

export function escapeHtml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

/** Explicit `?lang=` first, then the site's `lang` cookie, then `ui_locales`; Japanese otherwise. */
export function pickLang(...candidates: (string | undefined | null)[]): Lang {
  for (const candidate of candidates) {
    for (const tag of (candidate ?? '').split(/[\s,]+/)) {
      const primary = tag.toLowerCase().split('-')[0];
      if (primary === 'ja' || primary === 'en') return primary;
    }
  }
  return 'ja';
}

/** The same colours as web/src/app.css (every text pair ≥ 4.5:1 on its background). */
export const SITE_STYLE = `
:root{--bg:#0b0b10;--bg-card:#181822;--line:#2a2a38;--line-strong:#3a3a4c;--text:#f2f0ea;--muted:#a9a7b3;
--accent:#f5b642;--accent-strong:#ffc95c;--accent-ink:#1a1204;--danger:#ff6b6b;--focus:#7cc4ff;color-scheme:dark}
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;min-height:100vh;display:flex;flex-direction:column;background:var(--bg);color:var(--text);line-height:1.65;
font-family:system-ui,-apple-system,"Segoe UI","Hiragino Sans","Hiragino Kaku Gothic ProN","Noto Sans JP","Noto Sans CJK JP","Yu Gothic",Meiryo,sans-serif}
header.site{display:flex;align-items:center;justify-content:space-between;gap:12px;padding:10px 16px;border-bottom:1px solid var(--line)}
.logo{display:inline-flex;align-items:center;gap:.45rem;min-height:44px;color:var(--text);text-decoration:none;font-weight:800;font-size:1.2rem;letter-spacing:.02em}
.logo svg{width:30px;height:30px;color:var(--accent);flex:none}
.lang{color:var(--muted);font-size:.9rem;min-height:44px;display:inline-flex;align-items:center}
.wrap{flex:1;display:flex;align-items:flex-start;justify-content:center;padding:32px 16px}
main{width:100%;max-width:420px;background:var(--bg-card);border:1px solid var(--line);border-radius:12px;padding:28px 24px;box-shadow:0 10px 30px rgb(0 0 0 / .45)}
h1{font-size:1.45rem;line-height:1.25;margin:0 0 6px}
p.lead{margin:0 0 20px;color:var(--muted);font-size:.95rem}
label{display:block;font-size:.9rem;font-weight:600;margin:16px 0 6px}
input{width:100%;font:inherit;font-size:1rem;padding:10px 12px;min-height:44px;border-radius:8px;border:1px solid var(--line-strong);background:var(--bg);color:var(--text)}
input:focus-visible{outline:2px solid var(--focus);outline-offset:1px}
.hint{font-size:.85rem;color:var(--muted);margin:4px 0 0}
.button,button{display:flex;align-items:center;justify-content:center;width:100%;min-height:44px;margin-top:22px;padding:10px 16px;
font:inherit;font-weight:700;border:1px solid transparent;border-radius:999px;background:var(--accent);color:var(--accent-ink);cursor:pointer;text-decoration:none}
.button:hover,button:hover{background:var(--accent-strong)}
.button:focus-visible,button:focus-visible,a:focus-visible{outline:2px solid var(--focus);outline-offset:2px}
.secondary{background:transparent;border-color:var(--line-strong);color:var(--text);margin-top:12px}
.secondary:hover{background:#1e1e2a}
.alert{border:1px solid #7a2e2e;background:#2a1414;color:#ffb4b4;border-radius:8px;padding:10px 12px;font-size:.92rem;margin:0 0 8px}
.note{border:1px solid #5a4a1c;background:#241d0b;color:#ffd98a;border-radius:8px;padding:8px 12px;font-size:.85rem;margin:0 0 18px}
.switch{margin:20px 0 0;font-size:.9rem;color:var(--muted);text-align:center}
a{color:var(--accent)}
footer.site{text-align:center;padding:8px 16px 28px;font-size:.9rem}
footer.site a{color:var(--muted)}
@media (max-width:420px){main{padding:22px 16px}.wrap{padding:20px 12px}}
`;

/**
 * The policy of every page built with `sitePage`: nothing but its own inline style, forms to this
 * origin only. `scriptHashes` allows exactly the inline scripts named (the sign-out page's
 * auto-submit), by hash.
 */
export function sitePageCsp(scriptHashes: readonly string[] = []): string {
  const scripts = scriptHashes.length > 0 ? `; script-src ${scriptHashes.map((hash) => `'${hash}'`).join(' ')}` : '';
  return `default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'${scripts}`;
}

const LOGO = `<svg viewBox="0 0 32 32" aria-hidden="true" focusable="false"><rect width="32" height="32" rx="8" fill="currentColor" opacity="0.14"/><path d="M12 9.5v13l10.5-6.5z" fill="currentColor"/></svg>`;

const CHROME = {
  ja: { home: 'ホーム', back: 'Kinema に戻る', other: 'English' },
  en: { home: 'Home', back: 'Back to Kinema', other: '日本語' },
} as const;

export interface SitePage {
  lang: Lang;
  title: string;
  /** The page's own HTML (already escaped). */
  body: string;
  /** The site's home (`https://host/`): the logo and the way back link there. */
  home: string;
  /** The same page in the other language, when it has one. */
  langSwitchUrl?: string;
  /** Extra head content (e.g. an inline script allowed by hash). */
  head?: string;
}

export function sitePage(view: SitePage): string {
  const chrome = CHROME[view.lang];
  const other = view.lang === 'ja' ? 'en' : 'ja';
  const langSwitch = view.langSwitchUrl
    ? `<a class="lang" href="${escapeHtml(view.langSwitchUrl)}" lang="${other}" data-testid="page-lang-switch">${chrome.other}</a>`
    : '';
  return `<!doctype html>
<html lang="${view.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="dark">
<meta name="theme-color" content="#0b0b10">
<meta name="robots" content="noindex">
<title>${escapeHtml(view.title)} — Kinema</title>
<style>${SITE_STYLE}</style>${view.head ?? ''}
</head>
<body>
<header class="site"><a class="logo" href="${escapeHtml(view.home)}" aria-label="Kinema — ${chrome.home}" data-testid="page-logo">${LOGO}<span>Kinema</span></a>${langSwitch}</header>
<div class="wrap"><main>
${view.body}
</main></div>
<footer class="site"><a href="${escapeHtml(view.home)}" data-testid="page-back">${chrome.back}</a></footer>
</body>
</html>`;
}
