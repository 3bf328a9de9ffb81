export const LANGS = ['ja', 'en'] as const;
export type Lang = (typeof LANGS)[number];
export const DEFAULT_LANG: Lang = 'ja';
export const LANG_COOKIE = 'lang';

export function isLang(value: unknown): value is Lang {
  return typeof value === 'string' && (LANGS as readonly string[]).includes(value);
}

const ja = {
  'meta.tagline': '映画を、いつでも、どこでも。',
  'nav.home': 'ホーム',
  'nav.account': 'アカウント',
  'nav.admin': '管理',
  'nav.menu': 'メニュー',
  'nav.main': 'メインナビゲーション',
  'auth.signin': 'ログイン',
  'auth.signup': '新規登録',
  'auth.signout': 'ログアウト',
  'auth.signedInAs': 'ログイン中',
  'lang.label': '言語',
  'lang.switchTo': 'English',
  'lang.switchToLabel': 'Switch to English',
  'home.eyebrow': 'ストリーミング・シアター',
  'home.title': '観たい一本が、今夜の一本に。',
  'home.lead':
    'Kinema は、話題の新作から名作まで揃うビデオ・オン・デマンド。見放題プランで好きなだけ、または気になる一本だけを 48 時間レンタル。',
  'home.ctaSignup': '無料で登録する',
  'home.ctaAccount': 'アカウントを見る',
  'home.ctaSignin': 'ログインはこちら',
  'home.feature.devices.title': 'どのデバイスでも',
  'home.feature.devices.body': 'PC、スマートフォン、タブレットのブラウザでそのまま再生。',
  'home.feature.quality.title': '回線に合わせた画質',
  'home.feature.quality.body': '通信状況に合わせて画質を自動で切り替え。手動で選ぶこともできます。',
  'home.feature.plans.title': '見放題もレンタルも',
  'home.feature.plans.body': '月額の見放題プランか、一本ずつ 48 時間のレンタルかを選べます。',
  'home.catalog.title': 'ラインナップ',
  'home.catalog.emptyTitle': 'カタログはまもなく公開',
  'home.catalog.emptyBody': '作品の一覧と検索はこの後のリリースで届きます。もう少しお待ちください。',
  'account.title': 'アカウント',
  'account.profile': 'プロフィール',
  'account.email': 'メールアドレス',
  'account.emailUnknown': '(未登録)',
  'account.roles': 'ロール',
  'account.plan': 'プラン',
  'account.planNone': 'プランはまだありません',
  'account.subscription': 'サブスクリプション',
  'account.subscriptionNone': '契約中のサブスクリプションはありません',
  'account.rentals': 'レンタル中の作品',
  'account.rentalsNone': 'レンタル中の作品はありません',
  'account.rentalUntil': '視聴期限',
  'account.entitlementUnavailable': 'ご契約情報を取得できませんでした。しばらくしてから再度お試しください。',
  'role.admin': '管理者',
  'role.viewer': '視聴者',
  'admin.title': '管理ダッシュボード',
  'admin.lead': '作品の登録とアップロードはここから行います。',
  'admin.placeholderTitle': '準備中です',
  'admin.placeholderBody':
    '動画の登録とアップロードはカタログのリリースで追加されます。今は管理者としてログインできていることを確認できます。',
  'admin.signedInAs': '管理者としてログイン中',
  'error.title': 'エラーが発生しました',
  'error.notFoundTitle': 'ページが見つかりません',
  'error.notFoundBody': 'お探しのページは移動または削除された可能性があります。',
  'error.forbiddenTitle': '管理者専用のページです',
  'error.forbiddenBody':
    'このページを表示できるのは管理者だけです。別のアカウントでログインするか、ホームに戻ってください。',
  'error.genericBody': '申し訳ありません。時間をおいてもう一度お試しください。',
  'error.signinFailed': 'ログインを完了できませんでした。もう一度お試しください。',
  'error.backHome': 'ホームに戻る',
  'footer.rights': 'Kinema',
  'footer.note': '視聴はブラウザで。PC・スマートフォン・タブレット対応。',
} as const;

type Key = keyof typeof ja;

const en: Record<Key, string> = {
  'meta.tagline': 'Films, whenever and wherever you are.',
  'nav.home': 'Home',
  'nav.account': 'Account',
  'nav.admin': 'Admin',
  'nav.menu': 'Menu',
  'nav.main': 'Main navigation',
  'auth.signin': 'Sign in',
  'auth.signup': 'Sign up',
  'auth.signout': 'Sign out',
  'auth.signedInAs': 'Signed in as',
  'lang.label': 'Language',
  'lang.switchTo': '日本語',
  'lang.switchToLabel': '日本語に切り替える',
  'home.eyebrow': 'Streaming theatre',
  'home.title': 'Tonight’s film is one click away.',
  'home.lead':
    'Kinema is video on demand, from new releases to classics. Watch everything on the monthly plan, or rent a single title for 48 hours.',
  'home.ctaSignup': 'Sign up free',
  'home.ctaAccount': 'Go to your account',
  'home.ctaSignin': 'Already a member? Sign in',
  'home.feature.devices.title': 'On every screen',
  'home.feature.devices.body': 'Play straight in the browser on a computer, phone or tablet.',
  'home.feature.quality.title': 'Quality that fits your connection',
  'home.feature.quality.body': 'The picture adapts to your bandwidth automatically, or pick a quality yourself.',
  'home.feature.plans.title': 'Subscribe or rent',
  'home.feature.plans.body': 'A monthly unlimited plan, or rent one title for 48 hours.',
  'home.catalog.title': 'Now showing',
  'home.catalog.emptyTitle': 'The catalog arrives soon',
  'home.catalog.emptyBody': 'Browsing and search come with the next release. Thank you for your patience.',
  'account.title': 'Account',
  'account.profile': 'Profile',
  'account.email': 'Email',
  'account.emailUnknown': '(none)',
  'account.roles': 'Roles',
  'account.plan': 'Plan',
  'account.planNone': 'No plan yet',
  'account.subscription': 'Subscription',
  'account.subscriptionNone': 'No active subscription',
  'account.rentals': 'Rentals',
  'account.rentalsNone': 'You have no rentals',
  'account.rentalUntil': 'Watch until',
  'account.entitlementUnavailable': 'Your plan could not be loaded just now. Please try again shortly.',
  'role.admin': 'Admin',
  'role.viewer': 'Viewer',
  'admin.title': 'Admin dashboard',
  'admin.lead': 'This is where titles are added and uploaded.',
  'admin.placeholderTitle': 'Coming next',
  'admin.placeholderBody':
    'Videos and uploads arrive with the catalog issue. For now this page confirms you are signed in as an admin.',
  'admin.signedInAs': 'Signed in as admin',
  'error.title': 'Something went wrong',
  'error.notFoundTitle': 'Page not found',
  'error.notFoundBody': 'The page you are looking for may have moved or no longer exists.',
  'error.forbiddenTitle': 'Admins only',
  'error.forbiddenBody': 'Only admins can open this page. Sign in with another account, or head back home.',
  'error.genericBody': 'Sorry about that. Please try again in a moment.',
  'error.signinFailed': 'Signing in could not be completed. Please try again.',
  'error.backHome': 'Back to home',
  'footer.rights': 'Kinema',
  'footer.note': 'Watch in your browser, on a computer, phone or tablet.',
};

const dictionaries: Record<Lang, Record<Key, string>> = { ja, en };

export type MessageKey = Key;
export type Translate = (key: MessageKey) => string;

/** The dictionary lookup for one language; a missing English entry cannot compile. */
export function translator(lang: Lang): Translate {
  const dictionary = dictionaries[lang];
  return (key) => dictionary[key];
}

export function formatDateTime(lang: Lang, iso: string): string {
  return new Intl.DateTimeFormat(lang === 'ja' ? 'ja-JP' : 'en-GB', {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone: 'Asia/Tokyo',
  }).format(new Date(iso));
}
