import { z } from 'zod';

/**
 * What can be wrong with a subtitle file, as machine codes the admin page turns into its own
 * language; `message` is the English sentence for API callers. `line` is 1-based, when the problem
 * sits on one line.
 */
export const SubtitleIssueCode = z.enum([
  'too_large',
  'empty',
  'not_text',
  'unsupported_encoding',
  'bad_header',
  'bad_timestamp',
  'bad_setting',
  'missing_timing',
  'end_before_start',
  'out_of_order',
  'overlap',
  'no_cues',
]);
export type SubtitleIssueCode = z.infer<typeof SubtitleIssueCode>;

export const SubtitleIssue = z.object({
  code: SubtitleIssueCode,
  message: z.string(),
  line: z.number().int().positive().optional(),
  /** The line the problem refers back to (the cue an overlapping cue runs into). */
  otherLine: z.number().int().positive().optional(),
});
export type SubtitleIssue = z.infer<typeof SubtitleIssue>;

/** An admin fixes a file faster with every problem listed, but a garbage file must not make a huge answer. */
export const MAX_REPORTED_ISSUES = 50;

/** A subtitle file that was refused, with every problem found (at most MAX_REPORTED_ISSUES). */
export class SubtitleRejected extends Error {
  readonly issues: SubtitleIssue[];
  /** How many problems were found in all (issues may list fewer). */
  readonly total: number;

  constructor(issues: SubtitleIssue[]) {
    const first = issues[0];
    super(
      first
        ? `the subtitle file was refused: ${first.line ? `line ${first.line}: ` : ''}${first.message}` +
            (issues.length > 1 ? ` (and ${issues.length - 1} more)` : '')
        : 'the subtitle file was refused',
    );
    this.name = 'SubtitleRejected';
    this.total = issues.length;
    this.issues = issues.slice(0, MAX_REPORTED_ISSUES);
  }
}
