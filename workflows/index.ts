import { readFileSync } from 'node:fs';

/**
 * The Step Functions definitions both runtimes run. Resources are `${Name}` placeholders: infra
 * substitutes the deployed Lambda ARNs (`definitionSubstitutions`-style), the local runner local ARNs.
 */
const load = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(file, import.meta.url), 'utf8')) as Record<string, unknown>;

export const mediaPipelineDefinition = load('./media-pipeline.asl.json');

export const searchSyncDefinition = load('./search-sync.asl.json');

/** Placeholders of the search sync that infra must fill in. */
export const SEARCH_SYNC_PLACEHOLDERS = ['SyncVideoFunctionArn', 'DeadLetterQueueUrl'] as const;

/** Placeholders of the media pipeline that infra must fill in. */
export const MEDIA_PIPELINE_PLACEHOLDERS = ['ProbeFunctionArn', 'FinalizeFunctionArn', 'PublishFunctionArn'] as const;

/** Replaces every `${Name}` in the definition's strings; an unknown name is an error, not a silent leftover. */
export function substitute<T>(definition: T, values: Record<string, string>): T {
  const text = JSON.stringify(definition).replace(/\$\{([A-Za-z0-9_]+)\}/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for the workflow placeholder \${${name}}`);
    return value;
  });
  return JSON.parse(text) as T;
}

/** The placeholder names a definition uses. */
export function placeholders(definition: unknown): string[] {
  return [
    ...new Set([...JSON.stringify(definition).matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((match) => match[1] as string)),
  ];
}
