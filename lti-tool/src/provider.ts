// One ltijs Provider per tool, set up on our database and routes, never listening or exiting on
// its own. ltijs exports a ready-made singleton whose setup() runs once per process; its class
// (the singleton's constructor) gives independent providers, so a tool can be built again after
// close() (tests, restarts) and share a process with the relay.
// ltijs: github.com/Cvmcosta/ltijs src/Provider/Provider.js (setup, whitelist, deploy).
import type { Express } from 'express';
import { Provider, type DatabasePlugin, type ProviderInstance } from 'ltijs';
import { LTI_ROUTES } from './tool-description.js';

export interface ProviderOptions {
  key: string;
  database: DatabasePlugin;
  publicUrl: string;
  /** Runs first on ltijs's app, before its session validator. */
  beforeSession: (app: Express) => void;
}

export function createProvider(options: ProviderOptions): ProviderInstance {
  const ProviderClass = (Provider as unknown as { constructor: new () => ProviderInstance })
    .constructor;
  const provider = new ProviderClass();
  const https = options.publicUrl.startsWith('https:');
  provider.setup(
    options.key,
    { plugin: options.database },
    {
      appRoute: LTI_ROUTES.launch,
      loginRoute: LTI_ROUTES.login,
      keysetRoute: LTI_ROUTES.keys,
      dynRegRoute: LTI_ROUTES.register,
      // Canvas frames the tool from another site: its cookies must be SameSite=None; Secure,
      // which browsers accept over https only.
      cookies: https ? { secure: true, sameSite: 'None' } : { secure: false, sameSite: 'Lax' },
      // ltijs answers /lti/register only when this is set; our handler replaces its flow.
      dynReg: { url: options.publicUrl, name: 'Canvas Discourse Sync' },
      serverAddon: options.beforeSession,
    },
  );
  return provider;
}
