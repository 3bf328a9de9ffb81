import type { AccessDecision } from './domain/access.js';

/**
 * The answer of `POST /access`, `{[videoId]: {canWatch, reason, expiresAt}}`, written as JSON
 * text directly. It is byte for byte what `JSON.stringify` gives for that object built in request
 * order (ids that are array indices first, in ascending order, then the others in request order;
 * a repeated id once), but built from a few fixed fragments: for a page of 48 titles,
 * `JSON.stringify` of the 48-key object (a dictionary-mode object on V8) was the largest single
 * cost of the route (~9 µs of ~95 µs of CPU per request).
 *
 * `decide` is asked once per distinct id; expiry times are turned into ISO text once per distinct
 * instant (a plan gives every title the same end).
 */
export function accessAnswerJson(videoIds: readonly string[], decide: (videoId: string) => AccessDecision): string {
  const seen = new Set<string>();
  const iso = new Map<number, string>();
  let indices: string[] | undefined;
  let body = '';
  for (const videoId of videoIds) {
    if (seen.has(videoId)) continue;
    seen.add(videoId);
    if (isArrayIndex(videoId)) (indices ??= []).push(videoId);
    else body += (body === '' ? '' : ',') + entry(videoId, decide(videoId), iso);
  }
  if (indices === undefined) return `{${body}}`;
  // Property order of a JS object: integer keys first, ascending, whatever the insertion order.
  const first = indices
    .sort((a, b) => Number(a) - Number(b))
    .map((videoId) => entry(videoId, decide(videoId), iso))
    .join(',');
  return `{${first}${body === '' ? '' : ','}${body}}`;
}

/** `"<id>":{"canWatch":…,"reason":…,"expiresAt":…}`; `iso` keeps each instant's text once. */
function entry(videoId: string, { canWatch, reason, expiresAt }: AccessDecision, iso: Map<number, string>) {
  let until = 'null';
  if (expiresAt !== null) {
    until = iso.get(expiresAt) ?? quote(new Date(expiresAt).toISOString());
    iso.set(expiresAt, until);
  }
  // A reason is one of a few fixed words (AccessReason).
  return `${quote(videoId)}:{"canWatch":${canWatch},"reason":"${reason}","expiresAt":${until}}`;
}

/** Ids and ISO times are plain text; anything else is quoted by JSON.stringify. */
const PLAIN = /^[\w.:+-]*$/;
const quote = (text: string) => (PLAIN.test(text) ? `"${text}"` : JSON.stringify(text));

/** A canonical array index (`0`, `17`, never `017`) below 2^32 − 1: V8 orders such keys first. */
const isArrayIndex = (key: string) => key.length <= 10 && /^(?:0|[1-9]\d*)$/.test(key) && Number(key) < 4294967295;
