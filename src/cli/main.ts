import { Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../app/config.js';
import { serve } from '../app/server.js';
import { INVITABLE_ROLES, type InvitableRole } from '../modules/members/roles.js';
import { auditVerify, inviteFromCli, migrateOnly } from './commands.js';

function parseRole(value: string): InvitableRole {
  if (!(INVITABLE_ROLES as readonly string[]).includes(value)) throw new InvalidArgumentError(`Role must be one of: ${INVITABLE_ROLES.join(', ')}`);
  return value as InvitableRole;
}

const program = new Command('gatehouse').description('Gatehouse: invite people into workspaces and share access safely');

program
  .command('serve')
  .description('Run the web app, the API and the outbox worker')
  .action(async () => serve(loadConfig()));

program
  .command('migrate')
  .description('Apply database migrations and exit')
  .action(async () => migrateOnly(loadConfig()));

program
  .command('invite')
  .description('Invite email addresses into a workspace (as its owner, or --as an admin)')
  .argument('<workspace>', 'workspace id (uuid) or Workspace ID (GH-XXXX-XXXX)')
  .argument('<emails...>', 'addresses, separated by spaces or commas')
  .option('-r, --role <role>', `role: ${INVITABLE_ROLES.join(', ')}`, parseRole, 'user')
  .option('--as <email>', 'act as this member instead of the owner')
  .action(async (workspace: string, emails: string[], opts: { role: InvitableRole; as?: string }) => inviteFromCli(loadConfig(), workspace, emails, opts));

program
  .command('audit')
  .description('Activity log tools')
  .command('verify')
  .description('Recompute every activity hash chain; exits 1 if any was tampered with')
  .action(async () => auditVerify(loadConfig()));

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
