// GET /lti/config.json: the tool as a Canvas LTI 1.3 developer key, for admins who paste a JSON
// configuration or its URL. Format: https://canvas.instructure.com/doc/api/file.lti_dev_key_config.html
// ("Anatomy of a JSON configuration"); course_navigation settings:
// https://canvas.instructure.com/doc/api/file.navigation_tools.html#settings
import type { Request, Response } from 'express';
import { toolInstall } from '../tool-description.js';

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
  const tool = toolInstall(publicUrl);
  return {
    title: tool.title,
    description: tool.description,
    oidc_initiation_url: tool.loginUrl,
    target_link_uri: tool.launchUrl,
    // ltijs makes a key pair per platform and publishes them all here.
    public_jwk_url: tool.keysUrl,
    scopes: tool.scopes,
    extensions: [
      {
        domain: tool.domain,
        tool_id: tool.toolId,
        platform: 'canvas.instructure.com',
        privacy_level: tool.privacyLevel,
        settings: {
          text: tool.placementText,
          placements: [
            {
              text: tool.placementText,
              placement: 'course_navigation',
              message_type: 'LtiResourceLinkRequest',
              target_link_uri: tool.launchUrl,
              enabled: true,
              visibility: 'admins',
              default: 'enabled',
            },
          ],
        },
      },
    ],
    custom_fields: tool.customFields,
  };
}

export function configJsonHandler(publicUrl: string) {
  const body = canvasToolConfiguration(publicUrl);
  return (_req: Request, res: Response): void => {
    res.json(body);
  };
}
