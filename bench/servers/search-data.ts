import type { SearchDocument } from '#shared/ports/search-index.js';

/** A seeded generator, so every run searches the same 10,000 videos with the same queries. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EN = (
  'night river city summer winter garden station letter promise shadow mountain island harbour ' +
  'detective symphony journey kitchen festival lantern thunder whisper silver violet memory ' +
  'stranger orchestra samurai highway midnight morning dragon forest window library painter ' +
  'teacher soldier runner dancer sailor farmer doctor pianist brother sister daughter father ' +
  'secret storm ocean desert temple market bridge tower engine rocket planet comet galaxy'
).split(' ');
const JA = (
  '東京 大阪 京都 夜 雨 雪 桜 海 山 川 駅 手紙 約束 影 島 港 探偵 交響曲 旅 台所 祭り 提灯 雷 ' +
  '記憶 侍 高速道路 真夜中 朝 森 図書館 画家 先生 兵士 料理人 医者 兄弟 姉妹 娘 父 秘密 嵐 ' +
  '砂漠 寺 市場 橋 タワー エンジン ロケット 惑星 彗星 銀河 ラーメン コンピューター アニメーション ' +
  'プロジェクト ドリフト ミステリー ロマンス'
).split(' ');
const FAMILY =
  '佐藤 鈴木 高橋 田中 伊藤 渡辺 山本 中村 小林 加藤 吉田 山田 佐々木 山口 松本 井上 木村 林 斎藤 清水'.split(' ');
const GIVEN = '翔太 陽菜 蓮 結衣 大翔 美咲 悠真 葵 湊 凛 健 さくら 拓海 楓 颯 花子 誠 優子 剛 真央'.split(' ');
const EN_FIRST = 'Ken Yui Hiroshi Haruka Masato Emma Liam Olivia Noah Ava James Mia Lucas Sofia Henry'.split(' ');
const EN_LAST = 'Watanabe Aragaki Abe Ayase Sakai Smith Brown Taylor Wilson Moore Clark Lewis Walker Young'.split(' ');
const GENRES =
  'ドラマ コメディ アクション SF ミステリー 恋愛 時代劇 アニメ Drama Comedy Documentary Thriller Music Food Horror'.split(
    ' ',
  );

export interface BenchData {
  documents: SearchDocument[];
  queries: string[];
}

/** 10,000 videos with Japanese and English metadata, and a mixed set of what viewers type. */
export function benchData(count = 10_000, seed = 20261130): BenchData {
  const next = random(seed);
  const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)] as T;
  const words = (list: string[], n: number) => Array.from({ length: n }, () => pick(list));
  const start = Date.parse('2024-01-01T00:00:00Z');
  const documents: SearchDocument[] = [];
  for (let i = 0; i < count; i += 1) {
    const japanese = next() < 0.5;
    const title = japanese
      ? `${pick(JA)}の${pick(JA)}${next() < 0.3 ? ` ${i % 7}` : ''}`
      : `The ${pick(EN)} of the ${pick(EN)}`.replace(/\b\w/g, (letter) => letter.toUpperCase());
    const description = japanese
      ? Array.from({ length: 4 }, () => `${pick(JA)}の${pick(JA)}で${pick(JA)}と出会う。`).join('')
      : `A ${words(EN, 3).join(' ')} story about the ${words(EN, 2).join(' ')} and a ${words(EN, 4).join(' ')}.`;
    const cast = Array.from({ length: 1 + Math.floor(next() * 3) }, () =>
      next() < 0.6 ? `${pick(FAMILY)}${pick(GIVEN)}` : `${pick(EN_FIRST)} ${pick(EN_LAST)}`,
    );
    const at = start + i * 60_000;
    documents.push({
      objectID: `bench${i.toString().padStart(5, '0')}`,
      title,
      description,
      cast: [...new Set(cast)],
      genres: [...new Set(words(GENRES, 1 + Math.floor(next() * 2)))],
      priceJpy: 300 + Math.floor(next() * 5) * 100,
      freePreview: next() < 0.1,
      publishedAt: new Date(at).toISOString(),
      publishedAtTs: Math.floor(at / 1000),
    });
  }
  const typo = (word: string) => (word.length < 5 ? word : `${word.slice(0, 2)}${word[3]}${word[2]}${word.slice(4)}`);
  const fullWidth = (word: string) =>
    [...word].map((char) => String.fromCharCode(char.charCodeAt(0) + 0xfee0)).join('');
  const kinds: (() => string)[] = [
    () => pick(EN), // a title/description word
    () => pick(JA),
    () => `${pick(FAMILY)}${pick(GIVEN)}`, // a performer, no space
    () => `${pick(FAMILY)} ${pick(GIVEN)}`, // with the space
    () => `${pick(EN_FIRST)} ${pick(EN_LAST)}`,
    () => pick(EN).slice(0, 3), // being typed
    () => typo(pick(EN)),
    () => `${pick(EN)} ${pick(EN)}`, // a phrase
    () => `${pick(JA)} ${pick(EN)}`, // mixed scripts
    () => fullWidth(pick(EN)),
  ];
  const queries = Array.from({ length: 200 }, (_, i) => (kinds[i % kinds.length] as () => string)());
  return { documents, queries };
}
