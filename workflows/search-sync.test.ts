import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { SEARCH_SYNC_PLACEHOLDERS, placeholders, searchSyncDefinition, substitute } from './index.js';

interface State {
  Type: string;
  Next?: string;
  Resource?: string;
  Retry?: { ErrorEquals: string[]; MaxAttempts: number }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
}
const definition = searchSyncDefinition as { StartAt: string; States: Record<string, State> };

describe('workflows/search-sync.asl.json', () => {
  it('is valid Amazon States Language once infra fills in the placeholders', () => {
    const deployed = substitute(definition, {
      SyncVideoFunctionArn: 'arn:aws:lambda:ap-northeast-1:123456789012:function:kinema-search-sync',
      DeadLetterQueueUrl: 'https://sqs.ap-northeast-1.amazonaws.com/123456789012/kinema-search-sync-dlq',
    });
    const { isValid, errorsText } = aslValidator(deployed);
    expect(errorsText('\n')).toBe('');
    expect(isValid).toBe(true);
    expect(placeholders(definition).sort()).toEqual([...SEARCH_SYNC_PLACEHOLDERS].sort());
  });

  it('retries the sync, then dead-letters the event and fails', () => {
    const sync = definition.States.SyncVideo;
    expect(sync?.Retry?.[0]?.ErrorEquals).toEqual(['States.ALL']);
    expect(sync?.Retry?.[0]?.MaxAttempts).toBeGreaterThanOrEqual(3);
    expect(sync?.Catch?.[0]).toMatchObject({ ErrorEquals: ['States.ALL'], Next: 'DeadLetter' });
    expect(definition.States.DeadLetter?.Resource).toBe('arn:aws:states:::sqs:sendMessage');
    expect(definition.States.DeadLetter?.Next).toBe('SyncFailed');
    expect(definition.States.SyncFailed?.Type).toBe('Fail');
  });
});
