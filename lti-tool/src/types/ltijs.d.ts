// The parts of ltijs 5.9 and ltijs-sequelize 2.4 this package uses (neither ships types).
// Source: github.com/Cvmcosta/ltijs src/Provider/Provider.js, src/Utils/Platform.js;
// github.com/Cvmcosta/ltijs-sequelize src/DB.js.

declare module 'ltijs' {
  import type { Express, NextFunction, Request, Response } from 'express';

  export interface AuthConfig {
    method: 'JWK_SET' | 'JWK_KEY' | 'RSA_KEY';
    key: string;
  }

  export interface PlatformInput {
    url: string;
    name?: string;
    clientId: string;
    authenticationEndpoint?: string;
    accesstokenEndpoint?: string;
    authorizationServer?: string;
    authConfig?: AuthConfig;
  }

  export interface LtiPlatform {
    platformUrl(): Promise<string>;
    platformClientId(): Promise<string>;
    platformName(): Promise<string>;
    platformId(): Promise<string>;
    platformKid(): Promise<string>;
    platformActive(active?: boolean): Promise<boolean>;
    platformAuthEndpoint(): Promise<string>;
    platformAccessTokenEndpoint(): Promise<string>;
    platformAuthConfig(): Promise<AuthConfig>;
    platformPublicKey(): Promise<string>;
    delete(): Promise<true>;
  }

  /** What ltijs keeps of a verified launch (res.locals.token). */
  export interface IdToken {
    iss: string;
    user: string;
    clientId: string;
    platformId: string;
    deploymentId: string;
    platformContext: {
      context?: { id: string; title?: string; label?: string };
      roles?: string[];
      custom?: Record<string, string>;
      [claim: string]: unknown;
    };
    [claim: string]: unknown;
  }

  export interface DatabasePlugin {
    setup(): Promise<true>;
    Close(): Promise<true>;
  }

  export interface SetupOptions {
    appRoute?: string;
    loginRoute?: string;
    keysetRoute?: string;
    dynRegRoute?: string;
    cors?: boolean;
    devMode?: boolean;
    tokenMaxAge?: number | false;
    cookies?: { secure?: boolean; sameSite?: string; domain?: string };
    serverAddon?: (app: Express) => void;
    dynReg?: { url: string; name: string; autoActivate?: boolean; useDeepLinking?: boolean };
  }

  type Handler = (req: Request, res: Response, next: NextFunction) => unknown;

  export interface ProviderInstance {
    app: Express;
    Database: DatabasePlugin;
    setup(key: string, database: { plugin: DatabasePlugin }, options?: SetupOptions): this;
    deploy(options?: { serverless?: boolean; silent?: boolean; port?: number }): Promise<true>;
    close(options?: { silent?: boolean }): Promise<true>;
    whitelist(
      ...routes: Array<string | RegExp | { route: string | RegExp; method: string }>
    ): unknown;
    onConnect(
      callback: (token: IdToken, req: Request, res: Response, next: NextFunction) => unknown,
    ): true;
    onDynamicRegistration(callback: Handler): true;
    onInvalidToken(callback: (req: Request, res: Response) => unknown): true;
    onSessionTimeout(callback: (req: Request, res: Response) => unknown): true;
    onUnregisteredPlatform(callback: (req: Request, res: Response) => unknown): true;
    onInactivePlatform(callback: (req: Request, res: Response) => unknown): true;
    registerPlatform(platform: PlatformInput): Promise<LtiPlatform>;
    getPlatform(url: string, clientId: string): Promise<LtiPlatform | false>;
    getPlatform(url: string): Promise<LtiPlatform[] | false>;
    getAllPlatforms(): Promise<LtiPlatform[]>;
    deletePlatform(url: string, clientId: string): Promise<true>;
    appRoute(): string;
    loginRoute(): string;
    keysetRoute(): string;
    dynRegRoute(): string;
  }

  /** ltijs exports one ready-made instance; its constructor makes independent ones. */
  export const Provider: ProviderInstance;
}

declare module 'ltijs-sequelize' {
  import type { Options, Sequelize } from 'sequelize';
  import type { DatabasePlugin } from 'ltijs';

  export default class Database implements DatabasePlugin {
    constructor(database: string, user: string, pass: string, options: Options);
    /** The Sequelize instance ltijs's tables live in. */
    db: Sequelize;
    setup(): Promise<true>;
    Close(): Promise<true>;
  }
}
