// The platforms (an LMS issuer and the client id it gave us) the tool accepts launches from, with
// their deployments: ltijs's platform records plus our deployment list (db/deployments.ts).
import type { LtiPlatform, ProviderInstance } from 'ltijs';
import { InvalidConfig } from '@cds/shared';
import type { DeploymentStore } from './db/deployments.js';

export interface PlatformInput {
  issuer: string;
  clientId: string;
  /** Deployment ids to accept; more can be added later with the same issuer and client id. */
  deploymentIds: string[];
  /** The platform's OIDC authorization endpoint; required for a new platform. */
  authUrl?: string;
  /** The platform's OAuth2 token endpoint (LTI Advantage services); required for a new platform. */
  tokenUrl?: string;
  /** The platform's JWKS, which verifies its id_tokens; required for a new platform. */
  jwksUrl?: string;
  /** The `aud` of our client assertions. @defaultValue tokenUrl */
  authorizationServer?: string;
  /** A nickname shown by `list`. @defaultValue the issuer's host */
  name?: string;
}

export interface PlatformRecord {
  issuer: string;
  clientId: string;
  name: string;
  authUrl: string;
  tokenUrl: string;
  jwksUrl: string;
  /** The id of the key pair ltijs made for this platform (the `kid` in /lti/keys). */
  keyId: string;
  deploymentIds: string[];
}

export interface AddResult {
  /** False when the platform was known and only its endpoints or deployments changed. */
  created: boolean;
  deploymentsAdded: string[];
}

export class PlatformRegistry {
  constructor(
    private readonly provider: ProviderInstance,
    private readonly deployments: DeploymentStore,
  ) {}

  async add(input: PlatformInput): Promise<AddResult> {
    const existing = await this.provider.getPlatform(input.issuer, input.clientId);
    if (!existing) {
      const missing = (['authUrl', 'tokenUrl', 'jwksUrl'] as const).filter((k) => !input[k]);
      if (missing.length > 0)
        throw new InvalidConfig(
          `platform ${input.issuer} (client id ${input.clientId}) is new: ${missing.join(', ')} required`,
        );
    }
    // ltijs updates a known platform in place, keeping its key pair.
    await this.provider.registerPlatform({
      url: input.issuer,
      clientId: input.clientId,
      name: input.name ?? (existing ? undefined : new URL(input.issuer).host),
      authenticationEndpoint: input.authUrl,
      accesstokenEndpoint: input.tokenUrl,
      authorizationServer: input.authorizationServer ?? input.tokenUrl,
      authConfig: input.jwksUrl ? { method: 'JWK_SET', key: input.jwksUrl } : undefined,
    });
    const key = { issuer: input.issuer, clientId: input.clientId };
    const deploymentsAdded: string[] = [];
    for (const id of input.deploymentIds)
      if (await this.deployments.add(key, id)) deploymentsAdded.push(id);
    return { created: !existing, deploymentsAdded };
  }

  async list(): Promise<PlatformRecord[]> {
    const platforms = await this.provider.getAllPlatforms();
    const records = await Promise.all(platforms.map((p) => this.record(p)));
    return records.sort((a, b) =>
      `${a.issuer} ${a.clientId}`.localeCompare(`${b.issuer} ${b.clientId}`),
    );
  }

  async get(issuer: string, clientId: string): Promise<PlatformRecord | undefined> {
    const platform = await this.provider.getPlatform(issuer, clientId);
    return platform ? this.record(platform) : undefined;
  }

  /** Removes the platform, its key pair and its deployments; false when it was not registered. */
  async remove(issuer: string, clientId: string): Promise<boolean> {
    const platform = await this.provider.getPlatform(issuer, clientId);
    await this.deployments.removeAll({ issuer, clientId });
    if (!platform) return false;
    await platform.delete();
    return true;
  }

  async has(issuer: string, clientId: string): Promise<boolean> {
    return Boolean(await this.provider.getPlatform(issuer, clientId));
  }

  /** Whether launches from this deployment of the registration are accepted. */
  hasDeployment(issuer: string, clientId: string, deploymentId: string): Promise<boolean> {
    return this.deployments.has({ issuer, clientId }, deploymentId);
  }

  private async record(platform: LtiPlatform): Promise<PlatformRecord> {
    const issuer = await platform.platformUrl();
    const clientId = await platform.platformClientId();
    return {
      issuer,
      clientId,
      name: await platform.platformName(),
      authUrl: await platform.platformAuthEndpoint(),
      tokenUrl: await platform.platformAccessTokenEndpoint(),
      jwksUrl: (await platform.platformAuthConfig()).key,
      keyId: await platform.platformKid(),
      deploymentIds: await this.deployments.list({ issuer, clientId }),
    };
  }
}
