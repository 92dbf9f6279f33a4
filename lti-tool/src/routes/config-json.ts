// GET /lti/config.json: the tool as a Canvas LTI 1.3 developer key, for admins who paste a JSON
// configuration or its URL. Format: https://canvas.instructure.com/doc/api/file.lti_dev_key_config.html
// ("Anatomy of a JSON configuration"); course_navigation settings:
// https://canvas.instructure.com/doc/api/file.navigation_tools.html#settings
import type { Request, Response } from 'express';
import {
  CUSTOM_FIELDS,
  LTI_ROUTES,
  PLACEMENT_TEXT,
  PRIVACY_LEVEL,
  TOOL_DESCRIPTION,
  TOOL_ID,
  TOOL_SCOPES,
  TOOL_TITLE,
  toolDomain,
  toolUrl,
} from '../tool-description.js';

export interface CanvasPlacement {
  text: string;
  placement: 'course_navigation';
  message_type: 'LtiResourceLinkRequest';
  target_link_uri: string;
  enabled: boolean;
  /** "admins": teachers, TAs, designers and account admins see the link; students do not. */
  visibility: 'admins' | 'members' | 'public';
  /** "enabled": the link is on in every course of the account unless a teacher hides it. */
  default: 'enabled' | 'disabled';
}

export interface CanvasToolConfiguration {
  title: string;
  description: string;
  oidc_initiation_url: string;
  target_link_uri: string;
  public_jwk_url: string;
  scopes: string[];
  extensions: Array<{
    domain: string;
    tool_id: string;
    platform: 'canvas.instructure.com';
    privacy_level: string;
    settings: { text: string; placements: CanvasPlacement[] };
  }>;
  custom_fields: Record<string, string>;
}

/** The developer-key JSON for a tool reachable at `publicUrl`. */
export function canvasToolConfiguration(publicUrl: string): CanvasToolConfiguration {
  const launch = toolUrl(publicUrl, LTI_ROUTES.launch);
  return {
    title: TOOL_TITLE,
    description: TOOL_DESCRIPTION,
    oidc_initiation_url: toolUrl(publicUrl, LTI_ROUTES.login),
    target_link_uri: launch,
    // ltijs makes a key pair per platform and publishes them all here.
    public_jwk_url: toolUrl(publicUrl, LTI_ROUTES.keys),
    scopes: [...TOOL_SCOPES],
    extensions: [
      {
        domain: toolDomain(publicUrl),
        tool_id: TOOL_ID,
        platform: 'canvas.instructure.com',
        privacy_level: PRIVACY_LEVEL,
        settings: {
          text: PLACEMENT_TEXT,
          placements: [
            {
              text: PLACEMENT_TEXT,
              placement: 'course_navigation',
              message_type: 'LtiResourceLinkRequest',
              target_link_uri: launch,
              enabled: true,
              visibility: 'admins',
              default: 'enabled',
            },
          ],
        },
      },
    ],
    custom_fields: { ...CUSTOM_FIELDS },
  };
}

export function configJsonHandler(publicUrl: string) {
  const body = canvasToolConfiguration(publicUrl);
  return (_req: Request, res: Response): void => {
    res.json(body);
  };
}
