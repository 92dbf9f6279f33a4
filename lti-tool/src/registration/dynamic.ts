// GET /lti/register: LTI Dynamic Registration, tool side.
// https://www.imsglobal.org/spec/lti-dr/v1p0 and Canvas's account of it:
// https://canvas.instructure.com/doc/api/file.registration.html
// Done here rather than by ltijs 5.9.9's DynamicRegistration.register, which fetches the openid
// configuration without the registration token (Canvas requires it as a bearer token) and sends
// no placements.
import type { Request, Response } from 'express';
import { z } from 'zod';
import { CdsError, Forbidden, InvalidEvent, isCdsError } from '@cds/shared';
import type { PlatformRegistry } from '../platforms.js';
import { registrationRequest, TOOL_CONFIGURATION_CLAIM } from './request.js';

const httpUrl = z.url({ protocol: /^https?$/ });

/** The platform's OpenID configuration: the fields registration needs (DR 1.0 section 3.4). */
const openidConfigurationSchema = z.object({
  issuer: httpUrl,
  authorization_endpoint: httpUrl,
  token_endpoint: httpUrl,
  jwks_uri: httpUrl,
  registration_endpoint: httpUrl,
  authorization_server: z.string().optional(),
  'https://purl.imsglobal.org/spec/lti-platform-configuration': z
    .object({ product_family_code: z.string().optional() })
    .optional(),
});

/** The platform's answer (DR 1.0 section 3.6.2): our client id, and a deployment when it made one. */
const registrationResponseSchema = z.object({
  client_id: z.coerce.string().min(1),
  [TOOL_CONFIGURATION_CLAIM]: z
    .object({ deployment_id: z.coerce.string().min(1).optional() })
    .optional(),
});

export interface RegistrationOutcome {
  issuer: string;
  clientId: string;
  deploymentId?: string;
}

async function fetchJson(
  url: string,
  init: RequestInit,
  what: string,
  timeoutMs: number,
): Promise<unknown> {
  let response: globalThis.Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new CdsError('ERR_UNAVAILABLE', `could not reach the platform's ${what} at ${url}`, {
      cause: error,
    });
  }
  const text = await response.text();
  if (!response.ok)
    throw new CdsError(
      'ERR_TARGET',
      `the platform's ${what} (${url}) answered ${response.status}: ${text.slice(0, 300)}`,
    );
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new InvalidEvent(`the platform's ${what} (${url}) is not JSON`);
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new InvalidEvent(`the platform's ${what} is not valid: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Registers the tool with the platform and the platform with the tool. */
export async function registerDynamically(options: {
  openidConfiguration: string;
  registrationToken?: string;
  publicUrl: string;
  platforms: PlatformRegistry;
  /** @defaultValue 10000 */
  timeoutMs?: number;
}): Promise<RegistrationOutcome> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const configUrl = parse(httpUrl, options.openidConfiguration, 'openid_configuration parameter');
  const auth: Record<string, string> = options.registrationToken
    ? { Authorization: `Bearer ${options.registrationToken}` }
    : {};
  const config = parse(
    openidConfigurationSchema,
    await fetchJson(
      configUrl,
      { headers: { Accept: 'application/json', ...auth } },
      'OpenID configuration',
      timeoutMs,
    ),
    'OpenID configuration',
  );
  // DR 1.0 section 3.5.1: the configuration URL must begin with the issuer it names.
  if (!configUrl.startsWith(config.issuer))
    throw new Forbidden(
      `the OpenID configuration at ${configUrl} names issuer ${config.issuer}, which its URL does not begin with`,
    );
  const response = parse(
    registrationResponseSchema,
    await fetchJson(
      config.registration_endpoint,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...auth },
        body: JSON.stringify(registrationRequest(options.publicUrl)),
      },
      'registration endpoint',
      timeoutMs,
    ),
    'registration response',
  );
  const clientId = response.client_id;
  if (await options.platforms.has(config.issuer, clientId))
    throw new Forbidden(`platform ${config.issuer} (client id ${clientId}) is already registered`);
  const deploymentId = response[TOOL_CONFIGURATION_CLAIM]?.deployment_id;
  const family =
    config['https://purl.imsglobal.org/spec/lti-platform-configuration']?.product_family_code;
  await options.platforms.add({
    issuer: config.issuer,
    clientId,
    deploymentIds: deploymentId ? [deploymentId] : [],
    authUrl: config.authorization_endpoint,
    tokenUrl: config.token_endpoint,
    jwksUrl: config.jwks_uri,
    authorizationServer: config.authorization_server ?? config.token_endpoint,
    name: `${family ?? new URL(config.issuer).host} (dynamic registration)`,
  });
  return { issuer: config.issuer, clientId, ...(deploymentId ? { deploymentId } : {}) };
}

const STATUS: Partial<Record<string, number>> = {
  ERR_INVALID_EVENT: 400,
  ERR_FORBIDDEN: 403,
  ERR_TARGET: 502,
  ERR_UNAVAILABLE: 502,
};

/** The route: registers, then asks the platform to close its registration window. */
export function dynamicRegistrationHandler(
  publicUrl: string,
  platforms: PlatformRegistry,
  onError: (error: unknown) => void,
) {
  return async (req: Request, res: Response): Promise<void> => {
    const openidConfiguration = req.query.openid_configuration;
    const registrationToken = req.query.registration_token;
    if (typeof openidConfiguration !== 'string') {
      res.status(400).json({
        error: {
          code: 'ERR_MALFORMED',
          message:
            'missing openid_configuration: open this URL from the platform (Canvas: Admin > Developer Keys > + LTI Registration)',
        },
      });
      return;
    }
    try {
      await registerDynamically({
        openidConfiguration,
        ...(typeof registrationToken === 'string' ? { registrationToken } : {}),
        publicUrl,
        platforms,
      });
      // https://canvas.instructure.com/doc/api/file.registration.html ("Returning the Administrator to Canvas")
      res
        .type('html')
        .send(
          '<!doctype html><meta charset="utf-8"><title>Registered</title><p>Canvas Discourse Sync is registered.</p>' +
            '<script>(window.opener || window.parent).postMessage({subject: "org.imsglobal.lti.close"}, "*");</script>',
        );
    } catch (error) {
      const known = isCdsError(error);
      res.status(known ? (STATUS[error.code] ?? 500) : 500).json({
        error: known
          ? error.toJSON()
          : { code: 'ERR_INTERNAL', message: 'registration failed; see the tool log' },
      });
      if (!known) onError(error);
    }
  };
}
