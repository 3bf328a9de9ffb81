/**
 * HLS text, read and written by Kinema itself. ffmpeg 4.1 cannot write a usable master playlist and
 * MediaConvert's omits what Apple's authoring spec asks for, so the master is ours: measured peak
 * and average bandwidth, CODECS, RESOLUTION, FRAME-RATE and EXT-X-INDEPENDENT-SEGMENTS.
 */

/**
 * Cache-Control of the text Kinema rewrites in place: a master changes when subtitles do, so a CDN
 * (CloudFront honours the object's header) and players keep it seconds, not the day they would
 * keep an object without one. Same figures as the local media edge sends by file type.
 */
export const PLAYLIST_CACHE_CONTROL = 'max-age=10';
export const WEBVTT_CACHE_CONTROL = 'max-age=60';

export interface Variant {
  uri: string;
  /** Peak segment bitrate, bits per second. */
  bandwidth: number;
  averageBandwidth: number;
  codecs: string;
  width: number;
  height: number;
  frameRate: number;
}

/**
 * An audio rendition the variants share, for transcoders that write audio apart from video
 * (MediaConvert's CMAF output carries one track per file). The variants' BANDWIDTH and CODECS
 * must then already include the audio's: a player adds nothing on its own.
 */
export interface AudioRendition {
  groupId: string;
  name: string;
  uri: string;
  channels: number;
  language?: string;
}

export function masterPlaylist(variants: Variant[], audio?: AudioRendition): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS'];
  if (audio) {
    const attributes = [
      'TYPE=AUDIO',
      `GROUP-ID="${audio.groupId}"`,
      `NAME="${audio.name}"`,
      ...(audio.language ? [`LANGUAGE="${audio.language}"`] : []),
      'DEFAULT=YES',
      'AUTOSELECT=YES',
      `CHANNELS="${audio.channels}"`,
      `URI="${audio.uri}"`,
    ];
    lines.push(`#EXT-X-MEDIA:${attributes.join(',')}`);
  }
  for (const variant of [...variants].sort((a, b) => a.bandwidth - b.bandwidth)) {
    const attributes = [
      `BANDWIDTH=${variant.bandwidth}`,
      `AVERAGE-BANDWIDTH=${variant.averageBandwidth}`,
      `CODECS="${variant.codecs}"`,
      `RESOLUTION=${variant.width}x${variant.height}`,
      `FRAME-RATE=${variant.frameRate.toFixed(3)}`,
      ...(audio ? [`AUDIO="${audio.groupId}"`] : []),
    ];
    lines.push(`#EXT-X-STREAM-INF:${attributes.join(',')}`, variant.uri);
  }
  return lines.join('\n') + '\n';
}

/** A subtitle language of the master's one subtitles group. */
export interface SubtitleRendition {
  /** BCP-47 tag. */
  language: string;
  /** The language's name in itself (日本語, English): unique within the group. */
  name: string;
  uri: string;
}

export const SUBTITLE_GROUP = 'subs';

const SUBTITLE_MEDIA_TAG = '#EXT-X-MEDIA:TYPE=SUBTITLES,';
const quoted = (value: string) => value.replace(/["\r\n]/g, '');

/**
 * The master with exactly `subtitles` as its subtitle renditions: earlier subtitle renditions and
 * `SUBTITLES=` attributes are dropped, then one `EXT-X-MEDIA:TYPE=SUBTITLES` per language is
 * written before the variants, and every variant names the group. Nothing else changes, so the
 * ladder the transcode measured stays byte for byte. Not DEFAULT (a viewer turns subtitles on),
 * AUTOSELECT so a player may pick the one matching the viewer's language.
 */
export function withSubtitles(master: string, subtitles: SubtitleRendition[]): string {
  const lines = master
    .split(/\r?\n/)
    .filter((line) => !line.startsWith(SUBTITLE_MEDIA_TAG))
    .map((line) => (line.startsWith('#EXT-X-STREAM-INF:') ? line.replace(/,SUBTITLES="[^"]*"/, '') : line));
  if (lines[0] !== '#EXTM3U') throw new Error('not an HLS playlist: the first line is not #EXTM3U');
  if (subtitles.length === 0) return lines.join('\n');
  const media = [...subtitles]
    .sort((a, b) => a.language.localeCompare(b.language))
    .map((subtitle) =>
      [
        '#EXT-X-MEDIA:TYPE=SUBTITLES',
        `GROUP-ID="${SUBTITLE_GROUP}"`,
        `NAME="${quoted(subtitle.name)}"`,
        `LANGUAGE="${subtitle.language}"`,
        'DEFAULT=NO',
        'AUTOSELECT=YES',
        'FORCED=NO',
        `URI="${quoted(subtitle.uri)}"`,
      ].join(','),
    );
  const firstVariant = lines.findIndex((line) => line.startsWith('#EXT-X-STREAM-INF:'));
  if (firstVariant < 0) throw new Error('a master playlist without variants');
  return [
    ...lines.slice(0, firstVariant),
    ...media,
    ...lines
      .slice(firstVariant)
      .map((line) => (line.startsWith('#EXT-X-STREAM-INF:') ? `${line},SUBTITLES="${SUBTITLE_GROUP}"` : line)),
  ].join('\n');
}

export interface MediaPlaylist {
  version: number | undefined;
  targetDuration: number | undefined;
  playlistType: string | undefined;
  /** The EXT-X-MAP URI: present for fMP4 renditions. */
  initUri: string | undefined;
  independentSegments: boolean;
  ended: boolean;
  segments: { uri: string; durationSeconds: number }[];
}

/** Reads a media playlist (one rendition), as written by ffmpeg or MediaConvert. */
export function parseMediaPlaylist(text: string): MediaPlaylist {
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  if (lines[0] !== '#EXTM3U') throw new Error('not an HLS playlist: the first line is not #EXTM3U');
  const playlist: MediaPlaylist = {
    version: undefined,
    targetDuration: undefined,
    playlistType: undefined,
    initUri: undefined,
    independentSegments: false,
    ended: false,
    segments: [],
  };
  let pendingDuration: number | undefined;
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    if (line.startsWith('#EXT-X-VERSION:')) playlist.version = Number(line.slice(15));
    else if (line.startsWith('#EXT-X-TARGETDURATION:')) playlist.targetDuration = Number(line.slice(22));
    else if (line.startsWith('#EXT-X-PLAYLIST-TYPE:')) playlist.playlistType = line.slice(21);
    else if (line.startsWith('#EXT-X-MAP:')) playlist.initUri = /URI="([^"]+)"/.exec(line)?.[1];
    else if (line === '#EXT-X-INDEPENDENT-SEGMENTS') playlist.independentSegments = true;
    else if (line === '#EXT-X-ENDLIST') playlist.ended = true;
    else if (line.startsWith('#EXTINF:')) pendingDuration = Number.parseFloat(line.slice(8));
    else if (line.startsWith('#EXT-X-STREAM-INF')) throw new Error('a master playlist, not a media playlist');
    else if (!line.startsWith('#')) {
      if (pendingDuration === undefined || !Number.isFinite(pendingDuration)) {
        throw new Error(`segment ${line} has no #EXTINF duration`);
      }
      playlist.segments.push({ uri: line, durationSeconds: pendingDuration });
      pendingDuration = undefined;
    }
  }
  return playlist;
}

export interface MasterEntry {
  uri: string;
  attributes: Record<string, string>;
}

/** Reads a master playlist's variants (used by tests and by anyone checking the output). */
export function parseMasterPlaylist(text: string): { tags: string[]; variants: MasterEntry[] } {
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  if (lines[0] !== '#EXTM3U') throw new Error('not an HLS playlist: the first line is not #EXTM3U');
  const tags: string[] = [];
  const variants: MasterEntry[] = [];
  let pending: Record<string, string> | undefined;
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    if (line.startsWith('#EXT-X-STREAM-INF:')) {
      pending = {};
      for (const match of line.slice(18).matchAll(/([A-Z0-9-]+)=("[^"]*"|[^,]*)/g)) {
        pending[match[1] as string] = (match[2] as string).replace(/^"|"$/g, '');
      }
    } else if (line.startsWith('#')) tags.push(line);
    else if (pending) {
      variants.push({ uri: line, attributes: pending });
      pending = undefined;
    }
  }
  return { tags, variants };
}

/**
 * Apple's BANDWIDTH is the peak segment bitrate and AVERAGE-BANDWIDTH the whole rendition's; both
 * come from the bytes actually written, not from the encoder's targets.
 */
export function measureBitrates(segments: { bytes: number; durationSeconds: number }[]): {
  peak: number;
  average: number;
} {
  let totalBits = 0;
  let totalSeconds = 0;
  let peak = 0;
  for (const segment of segments) {
    if (segment.durationSeconds <= 0) continue;
    const bits = segment.bytes * 8;
    totalBits += bits;
    totalSeconds += segment.durationSeconds;
    peak = Math.max(peak, bits / segment.durationSeconds);
  }
  if (totalSeconds === 0) throw new Error('a rendition without segments has no bitrate');
  const average = Math.ceil(totalBits / totalSeconds);
  return { peak: Math.max(Math.ceil(peak), average), average };
}

/**
 * The RFC 6381 codec string of an fMP4 init segment: `avc1.PPCCLL` from the avcC box (profile,
 * constraint flags, level) and `mp4a.40.2` (AAC-LC) when the init declares an audio track.
 */
export function codecsFromInit(init: Uint8Array): string {
  const bytes = Buffer.from(init.buffer, init.byteOffset, init.byteLength);
  const avcC = bytes.indexOf('avcC', 0, 'latin1');
  if (avcC < 0 || avcC + 8 > bytes.length) throw new Error('the init segment has no H.264 (avcC) configuration');
  const hex = (value: number) => value.toString(16).padStart(2, '0');
  // avcC payload: configurationVersion, AVCProfileIndication, profile_compatibility, AVCLevelIndication
  const video = `avc1.${hex(bytes[avcC + 5] as number)}${hex(bytes[avcC + 6] as number)}${hex(bytes[avcC + 7] as number)}`;
  return bytes.indexOf('mp4a', 0, 'latin1') >= 0 ? `${video},mp4a.40.2` : video;
}
