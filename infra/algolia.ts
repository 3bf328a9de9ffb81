import * as pulumi from '@pulumi/pulumi';
import type { algoliasearch } from 'algoliasearch';

type Requester = NonNullable<NonNullable<Parameters<typeof algoliasearch>[2]>['requester']>;

/**
 * Algolia as Pulumi code. There is no Algolia provider on the registry, so these are dynamic
 * resources whose provider calls the algoliasearch client: an index's settings (create = set,
 * update when the settings differ, delete = delete the index) and an API key (create, update its
 * ACL/indexes, delete). The client is required inside each method so the serialised provider
 * captures no module state; `requester` exists for the tests' recorded transport.
 */
export interface AlgoliaAccess {
  appId: string;
  adminKey: string;
}

export interface IndexSettingsInputs extends AlgoliaAccess {
  indexName: string;
  settings: Record<string, unknown>;
}

export interface ApiKeyInputs extends AlgoliaAccess {
  acl: string[];
  indexes: string[];
  description: string;
  maxHitsPerQuery: number;
}

async function clientFor(access: AlgoliaAccess, requester?: Requester) {
  // Loaded with require from the project at run time: the provider is serialised by Pulumi, and
  // an import() would capture the bundler's module loader instead of the package.
  const { createRequire } = process.getBuiltinModule('node:module') as typeof import('node:module');
  const load = createRequire(`${process.cwd()}/`);
  const { algoliasearch: client } = load('algoliasearch') as { algoliasearch: typeof algoliasearch };
  return client(access.appId, access.adminKey, requester ? { requester } : {});
}

/** Settings compared by value, whatever the order of their keys. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : inner,
  );
}

export function indexSettingsProvider(requester?: Requester): pulumi.dynamic.ResourceProvider {
  const apply = async (inputs: IndexSettingsInputs) => {
    const client = await clientFor(inputs, requester);
    const { taskID } = await client.setSettings({ indexName: inputs.indexName, indexSettings: inputs.settings });
    await client.waitForTask({ indexName: inputs.indexName, taskID });
  };
  return {
    async create(inputs: IndexSettingsInputs) {
      await apply(inputs);
      return { id: `${inputs.appId}/${inputs.indexName}`, outs: inputs };
    },
    async diff(_id: string, olds: IndexSettingsInputs, news: IndexSettingsInputs) {
      const replaces = (['appId', 'indexName'] as const).filter((key) => olds[key] !== news[key]);
      const changed = replaces.length > 0 || canonical(olds.settings) !== canonical(news.settings);
      return { changes: changed || olds.adminKey !== news.adminKey, replaces, deleteBeforeReplace: false };
    },
    async update(_id: string, _olds: IndexSettingsInputs, news: IndexSettingsInputs) {
      await apply(news);
      return { outs: news };
    },
    async delete(_id: string, props: IndexSettingsInputs) {
      const client = await clientFor(props, requester);
      await client.deleteIndex({ indexName: props.indexName });
    },
  };
}

export function apiKeyProvider(requester?: Requester): pulumi.dynamic.ResourceProvider {
  const keyOf = (inputs: ApiKeyInputs) => ({
    acl: inputs.acl as never[],
    indexes: inputs.indexes,
    description: inputs.description,
    maxHitsPerQuery: inputs.maxHitsPerQuery,
  });
  return {
    async create(inputs: ApiKeyInputs) {
      const client = await clientFor(inputs, requester);
      const { key } = await client.addApiKey(keyOf(inputs));
      await client.waitForApiKey({ key, operation: 'add' });
      return { id: key, outs: { ...inputs, key } };
    },
    async diff(_id: string, olds: ApiKeyInputs & { key: string }, news: ApiKeyInputs) {
      const replaces = olds.appId !== news.appId ? ['appId'] : [];
      const changed = canonical(keyOf(olds)) !== canonical(keyOf(news));
      return { changes: changed || replaces.length > 0 || olds.adminKey !== news.adminKey, replaces };
    },
    async update(id: string, _olds: ApiKeyInputs & { key: string }, news: ApiKeyInputs) {
      const client = await clientFor(news, requester);
      await client.updateApiKey({ key: id, apiKey: keyOf(news) });
      await client.waitForApiKey({ key: id, operation: 'update', apiKey: keyOf(news) });
      return { outs: { ...news, key: id } };
    },
    async delete(id: string, props: ApiKeyInputs) {
      const client = await clientFor(props, requester);
      await client.deleteApiKey({ key: id });
    },
  };
}

type Inputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };

/** One Algolia index's settings. */
export class AlgoliaIndexSettings extends pulumi.dynamic.Resource {
  declare readonly indexName: pulumi.Output<string>;

  constructor(name: string, args: Inputs<IndexSettingsInputs>, opts?: pulumi.CustomResourceOptions) {
    super(
      indexSettingsProvider(),
      name,
      { ...args, adminKey: pulumi.secret(args.adminKey) },
      {
        ...opts,
        additionalSecretOutputs: ['adminKey'],
      },
    );
  }
}

/** An Algolia API key; `key` is its value (a Pulumi secret). */
export class AlgoliaApiKey extends pulumi.dynamic.Resource {
  declare readonly key: pulumi.Output<string>;

  constructor(name: string, args: Inputs<ApiKeyInputs>, opts?: pulumi.CustomResourceOptions) {
    super(
      apiKeyProvider(),
      name,
      { ...args, adminKey: pulumi.secret(args.adminKey), key: undefined },
      {
        ...opts,
        additionalSecretOutputs: ['adminKey', 'key'],
      },
    );
  }
}
