import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { localWorkflow } from './workflow.js';
import type { TaskHandler } from './workflow.js';

// Read as data: the import rules keep platform/local off workflows/ modules.
const mediaPipelineDefinition = JSON.parse(
  readFileSync(new URL('../../workflows/media-pipeline.asl.json', import.meta.url), 'utf8'),
) as unknown;
const definitions = { 'media-pipeline': mediaPipelineDefinition };

function handlers(probe: TaskHandler, calls: string[]) {
  const record =
    (name: string, result: unknown): TaskHandler =>
    async (input) => {
      calls.push(`${name}:${JSON.stringify(input)}`);
      return result;
    };
  return {
    'media-pipeline': {
      Probe: probe,
      Transcode: record('Transcode', { Job: { Id: 'job-1', Status: 'COMPLETE' } }),
      Finalize: record('Finalize', { masterKey: 'm' }),
      PublishReady: record('PublishReady', { published: true }),
      PublishFailed: record('PublishFailed', { published: true }),
    },
  };
}

const input = { videoId: 'v1', sourceKey: 'sources/v1/source', run: 1 };

describe('localWorkflow', () => {
  it('runs the media pipeline definition through to Done with local Task handlers', async () => {
    const calls: string[] = [];
    const job = {
      Role: 'local',
      Settings: { a: 1 },
      UserMetadata: { videoId: 'v1', run: '1' },
      StatusUpdateInterval: 'SECONDS_10',
    };
    const workflow = localWorkflow({ definitions, handlers: handlers(async () => ({ accepted: true, job }), calls) });
    const { executionId } = await workflow.start('media-pipeline', input, 'v1-r1');
    const done = await workflow.settled(executionId);
    expect(done.status).toBe('SUCCEEDED');
    expect(calls.map((call) => call.split(':')[0])).toEqual(['Transcode', 'Finalize', 'PublishReady']);
    // The transcode state receives the MediaConvert-shaped Parameters built from the probe's job.
    expect(JSON.parse(calls[0]!.slice('Transcode:'.length))).toEqual(job);
    expect(JSON.parse(calls[2]!.slice('PublishReady:'.length))).toEqual({
      kind: 'ready',
      videoId: 'v1',
      run: 1,
      result: { masterKey: 'm' },
    });
  });

  it('routes a rejection and a thrown error to PublishFailed and ends FAILED', async () => {
    const calls: string[] = [];
    let probe: TaskHandler = async () => ({ accepted: false, reason: 'the file has only audio' });
    const rejecting = localWorkflow({ definitions, handlers: handlers((value) => probe(value), calls) });
    const first = await rejecting.start('media-pipeline', input);
    expect((await rejecting.settled(first.executionId)).status).toBe('FAILED');
    expect(JSON.parse(calls[0]!.slice('PublishFailed:'.length))).toMatchObject({
      kind: 'failed',
      error: { Error: 'MediaRejected', Cause: 'the file has only audio' },
    });

    calls.length = 0;
    probe = async () => {
      const error = new Error('disk full');
      error.name = 'IOError';
      throw error;
    };
    const second = await rejecting.start('media-pipeline', input);
    const described = await rejecting.settled(second.executionId);
    expect(described.status).toBe('FAILED');
    expect(described.error).toMatch(/MediaFailed/);
    expect(JSON.parse(calls[0]!.slice('PublishFailed:'.length)).error).toEqual({
      Error: 'IOError',
      Cause: 'disk full',
    });
  });

  it('treats a repeated execution name as the same execution', async () => {
    let probes = 0;
    const workflow = localWorkflow({
      definitions,
      handlers: handlers(async () => {
        probes++;
        return { accepted: false, reason: 'no' };
      }, []),
    });
    const a = await workflow.start('media-pipeline', input, 'v1-r1');
    const b = await workflow.start('media-pipeline', input, 'v1-r1');
    expect(b.executionId).toBe(a.executionId);
    await workflow.settled(a.executionId);
    expect(probes).toBe(1);
    await expect(workflow.start('media-pipeline', { ...input, run: 2 }, 'v1-r1')).rejects.toThrow(/already exists/);
    await expect(workflow.describe('nope')).rejects.toThrow(/not found/);
  });

  it('refuses a definition with a Task state nobody handles (nothing may call AWS)', () => {
    expect(() => localWorkflow({ definitions, handlers: { 'media-pipeline': {} } })).toThrow(/Probe, Transcode/);
  });
});
