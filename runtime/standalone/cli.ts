import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { parseConfig, StandaloneConfig } from '#shared/config.js';
import { AppError, isAppError } from '#shared/errors.js';
import { ROLES } from '#shared/ports/token-verifier.js';
import { signAccountToken } from '#platform/local/identity/access-token.js';
import { accountStore } from '#platform/local/identity/accounts.js';
import type { AccountStore } from '#platform/local/identity/accounts.js';
import { loadIdentitySecrets } from '#platform/local/identity/keys.js';
import { identityUrls } from '#platform/local/identity/urls.js';
import { devClock } from '#platform/local/dev-clock.js';
import { loadOrCreateSecrets } from '#platform/local/secrets.js';
import { sqliteTable } from '#platform/local/sqlite-table.js';
import { silentLogger } from '#shared/log.js';
import { systemClock } from '#shared/ports/clock.js';
import { standaloneNotification } from './notification.js';
import { backupDataFolder, BackupDamaged, BackupRefused, restoreDataFolder } from './backup.js';
import type { BackupSummary } from './backup.js';

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const HELP = `kinema — manage the standalone Kinema: local accounts, backups

Usage:
  kinema users add --email E --password P [--role admin|viewer]...
  kinema users list
  kinema token --email E [--ttl SECONDS]
  kinema reminders reconcile
  kinema backup DIR
  kinema restore DIR
  kinema --help

Commands:
  users add    create an account (role viewer unless --role is given; repeat --role for several)
  users list   list accounts: id, email, roles, created
  token        print an access token for the account, for scripts:
               Authorization: Bearer <token> (default lifetime 3600 s, at most 86400 s)
  reminders reconcile
               rebuild every pending rental reminder from the rentals (after restoring a backup or
               losing timers.db); idempotent. A running server picks new timers up within 30 s.
  backup DIR   copy the data folder into DIR (new or empty), while the server runs: every
               database as of one instant (SQLite online backup), the object store, keys and
               secrets, and DIR/manifest.json with each file's size and SHA-256
  restore DIR  copy the backup in DIR into KINEMA_DATA, which must be empty or new, with the
               server stopped; every file is checked against the manifest (all or nothing)

Exit status:
  0 done, 1 failed, 2 usage mistake, 3 refused (folder not empty, or in use by a running
  server; nothing was changed), 4 the backup does not match its manifest (nothing was restored)

Environment:
  KINEMA_DATA        data folder (default ./.data)
  KINEMA_PUBLIC_URL  the server's public origin (default http://localhost:$PORT, PORT default 3000)
`;

const CliEnv = StandaloneConfig.pick({ PORT: true, KINEMA_DATA: true, KINEMA_PUBLIC_URL: true, KINEMA_SMTP_URL: true });

const UsersAdd = z.object({
  email: z.string({ error: '--email is required' }),
  password: z.string({ error: '--password is required' }),
  role: z.array(z.enum(ROLES, { error: `--role must be one of ${ROLES.join(', ')}` })).optional(),
});

const Token = z.object({
  email: z.string({ error: '--email is required' }),
  ttl: z.coerce
    .number({ error: '--ttl must be a number of seconds' })
    .int('--ttl must be a whole number of seconds')
    .min(1, '--ttl must be at least 1 second')
    .max(86_400, '--ttl must be at most 86400 seconds (one day)')
    .default(3600),
});

const mebibytes = (bytes: number) => (bytes / 1024 ** 2).toFixed(1);

/** Usage mistakes exit 2, like most command-line tools; failures of a valid command exit 1. */
class UsageError extends Error {}

function flags<S extends z.ZodType>(
  args: string[],
  options: Record<string, { type: 'string'; multiple?: boolean }>,
  schema: S,
): z.infer<S> {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args, options, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const result = schema.safeParse(values);
  if (!result.success) throw new UsageError(result.error.issues.map((issue) => issue.message).join('; '));
  return result.data;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The same wiring as the server's (its clock, secret and files), run once without firing timers. */
async function reconcileReminders(dataDir: string, publicUrl: string, smtpUrl: string | undefined) {
  mkdirSync(dataDir, { recursive: true });
  const clockFile = join(dataDir, 'dev-clock.json');
  const clock = existsSync(clockFile) ? devClock({ file: clockFile }) : systemClock;
  const table = sqliteTable({ file: join(dataDir, 'notification.db'), now: () => clock.now() });
  const notification = standaloneNotification({
    dataDir,
    table,
    clock,
    publicUrl: publicUrl.replace(/\/$/, ''),
    secret: loadOrCreateSecrets(join(dataDir, 'secrets.json')).urlSigningSecret,
    smtpUrl,
    // Reconciling fires no timer; one that came due is sent in this process, never put on a bus.
    bus: {
      publish: () => Promise.reject(new Error('the kinema command has no bus: the server fires timers')),
    },
    logger: silentLogger,
  });
  try {
    return await notification.reminders.reconcile();
  } finally {
    await notification.close();
    table.close();
  }
}

/**
 * The `kinema` command. Works before the server ever ran (it creates the keys and the account
 * table) and while it runs (SQLite in WAL mode, and the server reads accounts on every sign-in).
 */
export async function runCli(argv: string[], env: Record<string, string | undefined>, io: CliIo): Promise<number> {
  const [command, sub, ...rest] = argv;
  if (command === undefined) {
    io.err(HELP);
    return 2;
  }
  if (command === '--help' || command === '-h' || command === 'help' || argv.includes('--help')) {
    io.out(HELP);
    return 0;
  }

  let accounts: AccountStore | undefined;
  try {
    const config = parseConfig(CliEnv, env);
    const dataDir = config.KINEMA_DATA;
    const urls = identityUrls(config.KINEMA_PUBLIC_URL ?? `http://localhost:${config.PORT}`);
    const openAccounts = () => {
      mkdirSync(dataDir, { recursive: true });
      accounts = accountStore({ file: join(dataDir, 'identity.db') });
      return accounts;
    };

    if (command === 'users' && sub === 'add') {
      const input = flags(
        rest,
        { email: { type: 'string' }, password: { type: 'string' }, role: { type: 'string', multiple: true } },
        UsersAdd,
      );
      const account = await openAccounts().create({ email: input.email, password: input.password, roles: input.role });
      io.out(`created ${account.email} (${account.roles.join(', ')}) with id ${account.id}\n`);
      return 0;
    }
    if (command === 'users' && sub === 'list') {
      flags(rest, {}, z.object({}));
      const rows = openAccounts()
        .list()
        .map((account) => [
          account.id,
          account.email,
          account.roles.join(','),
          new Date(account.createdAt).toISOString(),
        ]);
      io.out(rows.length === 0 ? 'no accounts yet\n' : `${table([['ID', 'EMAIL', 'ROLES', 'CREATED'], ...rows])}\n`);
      return 0;
    }
    if (command === 'backup' || command === 'restore') {
      const args = [sub, ...rest].filter((arg) => arg !== undefined);
      if (args.length !== 1 || args[0]!.startsWith('-')) {
        throw new UsageError(`${command} takes exactly one folder: kinema ${command} DIR`);
      }
      const folder = args[0]!;
      const report = (verb: string, summary: BackupSummary) =>
        `${verb} ${summary.files} files (${summary.databases} databases, ${mebibytes(summary.bytes)} MiB) in ${(summary.ms / 1000).toFixed(1)} s; snapshot at ${summary.manifest.snapshotAt}\n`;
      if (command === 'backup') {
        const summary = await backupDataFolder({ dataDir, target: folder });
        io.out(report(`backed up ${dataDir} into ${folder}:`, summary));
      } else {
        const summary = await restoreDataFolder({ backupDir: folder, dataDir });
        io.out(report(`restored ${folder} into ${dataDir}:`, summary));
      }
      return 0;
    }
    if (command === 'token') {
      const input = flags(
        [sub, ...rest].filter((arg) => arg !== undefined),
        { email: { type: 'string' }, ttl: { type: 'string' } },
        Token,
      );
      const account = openAccounts().findByEmail(input.email);
      if (!account) throw new AppError('not_found', `no account has the email ${input.email}`);
      const secrets = loadIdentitySecrets(dataDir);
      const token = await signAccountToken({
        account,
        issuer: urls.issuer,
        audience: urls.audience,
        key: secrets.privateKey,
        kid: secrets.kid,
        ttlSeconds: input.ttl,
        // A server run with KINEMA_DEV_CLOCK keeps its offset here; tokens follow the server's clock.
        now: existsSync(join(dataDir, 'dev-clock.json'))
          ? devClock({ file: join(dataDir, 'dev-clock.json') }).now
          : Date.now,
      });
      io.out(`${token}\n`);
      return 0;
    }
    if (command === 'reminders' && sub === 'reconcile') {
      flags(rest, {}, z.object({}));
      const counts = await reconcileReminders(
        dataDir,
        config.KINEMA_PUBLIC_URL ?? `http://localhost:${config.PORT}`,
        config.KINEMA_SMTP_URL,
      );
      io.out(
        `reminders reconciled: ${counts.titles} titles, ${counts.scheduled} scheduled, ${counts.sentNow} sent now, ${counts.cancelled} cancelled\n`,
      );
      return 0;
    }
    throw new UsageError(`unknown command "${argv.slice(0, 2).join(' ')}"`);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`kinema: ${error.message}\nRun "kinema --help" for usage.\n`);
      return 2;
    }
    if (error instanceof BackupRefused) {
      io.err(`kinema: ${error.message}\n`);
      return 3;
    }
    if (error instanceof BackupDamaged) {
      io.err(`kinema: ${error.message}\n`);
      return 4;
    }
    if (isAppError(error)) {
      io.err(`kinema: ${error.message}\n`);
      return error.code === 'invalid_input' ? 2 : 1;
    }
    io.err(`kinema: ${(error as Error).message ?? String(error)}\n`);
    return 1;
  } finally {
    accounts?.close();
  }
}
