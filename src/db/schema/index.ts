export * from './auth.js';
export * from './workspaces.js';
export * from './invitations.js';
export * from './platform.js';
export * from './mfa.js';
