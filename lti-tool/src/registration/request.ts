// The tool's registration request for LTI Dynamic Registration, as Canvas reads it: the IMS
// registration (https://www.imsglobal.org/spec/lti-dr/v1p0#tool-configuration) plus Canvas's
// message extensions for placements and visibility
// (https://canvas.instructure.com/doc/api/file.registration.html, "LTI Message schema").
// ltijs 5.9.9's own request names no placement, so Canvas would fall back to link_selection.
import { toolInstall } from '../tool-description.js';

export const TOOL_CONFIGURATION_CLAIM = 'https://purl.imsglobal.org/spec/lti-tool-configuration';

export interface RegistrationMessage {
  type: 'LtiResourceLinkRequest';
  target_link_uri: string;
  label: string;
  placements: string[];
  /** Canvas: the course_navigation link is on in every course by default. */
  'https://canvas.instructure.com/lti/course_navigation/default_enabled': boolean;
  /** Canvas: "admins" shows the link to teachers, TAs, designers and admins only. */
  'https://canvas.instructure.com/lti/visibility': 'admins' | 'members' | 'public';
}

export interface RegistrationRequest {
  application_type: 'web';
  grant_types: string[];
  response_types: string[];
  initiate_login_uri: string;
  redirect_uris: string[];
  client_name: string;
  jwks_uri: string;
  token_endpoint_auth_method: 'private_key_jwt';
  scope: string;
  [TOOL_CONFIGURATION_CLAIM]: {
    domain: string;
    target_link_uri: string;
    description: string;
    custom_parameters: Record<string, string>;
    claims: string[];
    messages: RegistrationMessage[];
    'https://canvas.instructure.com/lti/privacy_level': string;
    'https://canvas.instructure.com/lti/tool_id': string;
  };
}

/** What the tool at `publicUrl` asks a platform to register. */
export function registrationRequest(publicUrl: string): RegistrationRequest {
  const tool = toolInstall(publicUrl);
  const launch = tool.launchUrl;
  return {
    application_type: 'web',
    grant_types: ['client_credentials', 'implicit'],
    response_types: ['id_token'],
    initiate_login_uri: tool.loginUrl,
    redirect_uris: [launch],
    client_name: tool.title,
    jwks_uri: tool.keysUrl,
    token_endpoint_auth_method: 'private_key_jwt',
    scope: tool.scopes.join(' '),
    [TOOL_CONFIGURATION_CLAIM]: {
      domain: tool.domain,
      target_link_uri: launch,
      description: tool.description,
      custom_parameters: tool.customFields,
      claims: ['iss', 'sub', 'name', 'given_name', 'family_name', 'email'],
      messages: [
        {
          type: 'LtiResourceLinkRequest',
          target_link_uri: launch,
          label: tool.placementText,
          placements: ['course_navigation'],
          'https://canvas.instructure.com/lti/course_navigation/default_enabled': true,
          'https://canvas.instructure.com/lti/visibility': 'admins',
        },
      ],
      'https://canvas.instructure.com/lti/privacy_level': tool.privacyLevel,
      'https://canvas.instructure.com/lti/tool_id': tool.toolId,
    },
  };
}
