// dynalite ships no types; this is the part the DynamoTable tests use.
declare module 'dynalite' {
  import type { Server } from 'node:http';

  export interface DynaliteOptions {
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
    /** A LevelDB folder; in memory when absent. */
    path?: string;
  }

  export default function dynalite(options?: DynaliteOptions): Server;
}
