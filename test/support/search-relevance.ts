import type { SearchDocument } from '#shared/ports/search-index.js';

/**
 * The relevance suite both search paths answer: a small catalog in Japanese and English, and the
 * queries a viewer types with the video that must come first. `relies` names the engine behaviour
 * each case needs, so the Algolia test can check the index settings provide it.
 */
type Video = Pick<SearchDocument, 'objectID' | 'title' | 'description' | 'cast' | 'genres'>;

export const RELEVANCE_VIDEOS: Video[] = [
  {
    objectID: 'tokyo-night',
    title: 'Tokyo Night Drive',
    description: 'A taxi driver crosses the city after midnight and meets a runaway pianist.',
    cast: ['Ken Watanabe'],
    genres: ['Drama'],
  },
  {
    objectID: 'yoru-no-ame',
    title: '東京の夜に降る雨',
    description: '雨の夜、新宿の小さな喫茶店で二人は出会う。',
    cast: ['新垣結衣', '松田龍平'],
    genres: ['ドラマ', '恋愛'],
  },
  {
    objectID: 'samurai',
    title: '侍の休日',
    description: '引退した侍が京都で静かな休日を過ごそうとするが、町の騒ぎに巻き込まれる。',
    cast: ['渡辺謙', '吉永小百合'],
    genres: ['時代劇', 'コメディ'],
  },
  {
    objectID: 'computer',
    title: 'コンピューターの夢',
    description: '人工知能が自分の夢を見始める近未来SF。',
    cast: ['堺雅人'],
    genres: ['SF'],
  },
  {
    objectID: 'remaster',
    title: 'Kyoto Gardens 4K Remaster',
    description: 'Slow footage of moss gardens and temples, restored from the original negative.',
    cast: [],
    genres: ['Documentary'],
  },
  {
    objectID: 'moon',
    title: 'ムーンプロジェクト',
    description: '月面基地を目指す技術者たちの物語。',
    cast: ['長澤まさみ'],
    genres: ['SF', 'ドラマ'],
  },
  {
    objectID: 'tower',
    title: '東京タワーの下で',
    description: '昭和の下町で育った三兄弟の記録。',
    cast: ['北野武'],
    genres: ['ドラマ'],
  },
  {
    objectID: 'chef',
    title: 'The Ramen Chef',
    description: 'A young cook opens a noodle shop in Osaka and learns the broth from an old master in Sakai.',
    cast: ['Hiroshi Abe', 'Haruka Ayase'],
    genres: ['Comedy', 'Food'],
  },
  {
    objectID: 'ramen-ja',
    title: 'ラーメン物語',
    description: '大阪の小さな店を継いだ若者の奮闘。',
    cast: ['阿部寛'],
    genres: ['コメディ', 'グルメ'],
  },
  {
    objectID: 'whisper',
    title: 'Whisper of the Sea',
    description: 'A marine biologist records the songs of whales off Okinawa.',
    cast: ['Yui Aragaki'],
    genres: ['Documentary'],
  },
  {
    objectID: 'detective',
    title: 'Midnight Detective',
    description: 'A detective in Shinjuku hunts a thief who steals only paintings of the sea.',
    cast: ['Masato Sakai'],
    genres: ['Mystery'],
  },
  {
    objectID: 'tantei',
    title: '真夜中の探偵',
    description: '新宿の探偵が、海の絵だけを盗む怪盗を追う。',
    cast: ['堺雅人'],
    genres: ['ミステリー'],
  },
  {
    objectID: 'anime',
    title: '星のアニメーション',
    description: '手描きで描く星座の神話。',
    cast: ['宮崎駿'],
    genres: ['アニメ'],
  },
  {
    objectID: 'orchestra',
    title: 'Symphony for a Small Town',
    description: 'A retired conductor gathers farmers and students into an orchestra.',
    cast: ['Chishu Ryu'],
    genres: ['Drama', 'Music'],
  },
  {
    objectID: 'drift',
    title: 'Tokyo ドリフト 2',
    description: '首都高を走る street racers の一夜。',
    cast: ['妻夫木聡'],
    genres: ['アクション'],
  },
];

export type Behaviour =
  | 'exact'
  | 'partial'
  | 'prefix'
  | 'typo'
  | 'cast'
  | 'name-without-space'
  | 'description'
  | 'width-folding'
  | 'katakana'
  | 'mixed-scripts'
  | 'field-order';

export interface RelevanceCase {
  query: string;
  top: string;
  relies: Behaviour;
  /** The attribute the top hit's highlight must mark. */
  marks: 'title' | 'cast' | 'description';
}

export const RELEVANCE_CASES: RelevanceCase[] = [
  { query: 'Tokyo Night Drive', top: 'tokyo-night', relies: 'exact', marks: 'title' },
  { query: '東京の夜に降る雨', top: 'yoru-no-ame', relies: 'exact', marks: 'title' },
  { query: 'night drive', top: 'tokyo-night', relies: 'partial', marks: 'title' },
  { query: '降る雨', top: 'yoru-no-ame', relies: 'partial', marks: 'title' },
  { query: 'タワー', top: 'tower', relies: 'partial', marks: 'title' },
  { query: 'symph', top: 'orchestra', relies: 'prefix', marks: 'title' },
  { query: 'ムーンプロ', top: 'moon', relies: 'prefix', marks: 'title' },
  { query: 'detcetive', top: 'detective', relies: 'typo', marks: 'title' },
  { query: 'raman chef', top: 'chef', relies: 'typo', marks: 'title' },
  { query: 'whisprr', top: 'whisper', relies: 'typo', marks: 'title' },
  { query: '新垣結衣', top: 'yoru-no-ame', relies: 'cast', marks: 'cast' },
  { query: '新垣 結衣', top: 'yoru-no-ame', relies: 'name-without-space', marks: 'cast' },
  { query: 'Ken Watanabe', top: 'tokyo-night', relies: 'cast', marks: 'cast' },
  { query: 'kenwatanabe', top: 'tokyo-night', relies: 'name-without-space', marks: 'cast' },
  { query: '渡辺 謙', top: 'samurai', relies: 'name-without-space', marks: 'cast' },
  { query: 'songs of whales', top: 'whisper', relies: 'description', marks: 'description' },
  { query: '海の絵だけを盗む', top: 'tantei', relies: 'description', marks: 'description' },
  { query: 'ＴＯＫＹＯ　ＮＩＧＨＴ', top: 'tokyo-night', relies: 'width-folding', marks: 'title' },
  { query: '４Ｋ', top: 'remaster', relies: 'width-folding', marks: 'title' },
  { query: 'ﾗｰﾒﾝ', top: 'ramen-ja', relies: 'width-folding', marks: 'title' },
  { query: 'コンピュータ', top: 'computer', relies: 'katakana', marks: 'title' },
  { query: 'アニメーション', top: 'anime', relies: 'katakana', marks: 'title' },
  { query: 'Tokyo ドリフト', top: 'drift', relies: 'mixed-scripts', marks: 'title' },
  { query: 'street racers 首都高', top: 'drift', relies: 'mixed-scripts', marks: 'description' },
  { query: 'sea', top: 'whisper', relies: 'field-order', marks: 'title' },
  { query: 'sakai', top: 'detective', relies: 'field-order', marks: 'cast' },
];

/** The fixture as index records, published a minute apart in list order (the last is newest). */
export function relevanceDocuments(): SearchDocument[] {
  const start = Date.parse('2026-01-01T00:00:00Z');
  return RELEVANCE_VIDEOS.map((video, index) => {
    const at = start + index * 60_000;
    return {
      ...video,
      priceJpy: 400,
      freePreview: false,
      publishedAt: new Date(at).toISOString(),
      publishedAtTs: Math.floor(at / 1000),
    };
  });
}
