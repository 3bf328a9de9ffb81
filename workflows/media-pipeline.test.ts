import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { MEDIA_PIPELINE_PLACEHOLDERS, mediaPipelineDefinition, placeholders, substitute } from './index.js';

interface State {
  Type: string;
  Next?: string;
  Default?: string;
  Choices?: { Next: string }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  Resource?: string;
}
const definition = mediaPipelineDefinition as { StartAt: string; States: Record<string, State> };
const deployed = substitute(definition, {
  ProbeFunctionArn: 'arn:aws:lambda:ap-northeast-1:123456789012:function:media-probe',
  FinalizeFunctionArn: 'arn:aws:lambda:ap-northeast-1:123456789012:function:media-finalize',
  PublishFunctionArn: 'arn:aws:lambda:ap-northeast-1:123456789012:function:media-publish',
});

describe('workflows/media-pipeline.asl.json', () => {
  it('is valid Amazon States Language once infra fills in the ARNs', () => {
    const { isValid, errorsText } = aslValidator(deployed);
    expect(errorsText('\n')).toBe('');
    expect(isValid).toBe(true);
    const broken = structuredClone(deployed) as typeof definition;
    (broken.States.Probe as State).Next = 'Nowhere';
    expect(aslValidator(broken).isValid).toBe(false);
  });

  it('names exactly the placeholders infra fills in', () => {
    expect(placeholders(definition).sort()).toEqual([...MEDIA_PIPELINE_PLACEHOLDERS].sort());
    expect(() => substitute(definition, {})).toThrow(/ProbeFunctionArn/);
  });

  it('reaches every state from StartAt', () => {
    const seen = new Set<string>();
    const visit = (name: string) => {
      if (seen.has(name)) return;
      const state = definition.States[name];
      expect(state, `state ${name}`).toBeDefined();
      seen.add(name);
      for (const next of [
        state?.Next,
        state?.Default,
        ...(state?.Choices ?? []).map((choice) => choice.Next),
        ...(state?.Catch ?? []).map((catcher) => catcher.Next),
      ]) {
        if (next) visit(next);
      }
    };
    visit(definition.StartAt);
    expect([...seen].sort()).toEqual(Object.keys(definition.States).sort());
  });

  it('catches every error of every Task', () => {
    const tasks = Object.entries(definition.States).filter(([, state]) => state.Type === 'Task');
    expect(tasks.map(([name]) => name)).toEqual(['Probe', 'Transcode', 'Finalize', 'PublishReady', 'PublishFailed']);
    for (const [name, state] of tasks) {
      expect(
        state.Catch?.some((catcher) => catcher.ErrorEquals.includes('States.ALL')),
        name,
      ).toBe(true);
    }
  });

  it('transcodes with MediaConvert synchronously and ends in Fail after VideoFailed', () => {
    expect(definition.States.Transcode?.Resource).toBe('arn:aws:states:::mediaconvert:createJob.sync');
    expect(definition.States.PublishFailed?.Next).toBe('Failed');
    expect(definition.States.Failed?.Type).toBe('Fail');
  });
});
