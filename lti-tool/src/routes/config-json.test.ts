// GET /lti/config.json is Canvas's developer-key JSON: checked key by key against Canvas's own
// example (../shared/reference/canvas-lms/lti/tool_configuration.example.json).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { canvasToolConfiguration } from './config-json.js';

const EXAMPLE = JSON.parse(
  readFileSync(
    new URL(
      '../../../../shared/reference/canvas-lms/lti/tool_configuration.example.json',
      import.meta.url,
    ),
    'utf8',
  ),
) as Record<string, unknown> & {
  extensions: Array<Record<string, unknown> & { settings: { placements: object[] } }>;
};

const keys = (value: object) => Object.keys(value).sort();

describe('the Canvas developer-key JSON', () => {
  const config = canvasToolConfiguration('https://lti.example.edu');

  it("has Canvas's top-level keys, with public_jwk_url in place of an inline public_jwk", () => {
    const expected = keys(EXAMPLE)
      .map((k) => (k === 'public_jwk' ? 'public_jwk_url' : k))
      .sort();
    assert.deepEqual(keys(config), expected);
  });

  it("has Canvas's extension keys, for the canvas.instructure.com platform", () => {
    assert.equal(config.extensions.length, 1);
    const [extension] = config.extensions;
    assert.deepEqual(keys(extension!), keys(EXAMPLE.extensions[0]!));
    assert.equal(extension!.platform, 'canvas.instructure.com');
    assert.equal(extension!.domain, 'lti.example.edu');
    assert.ok(
      ['public', 'name_only', 'email_only', 'anonymous'].includes(extension!.privacy_level),
    );
  });

  it('places the tool in course navigation, for instructors only and on by default', () => {
    const placements = config.extensions[0]!.settings.placements;
    assert.deepEqual(
      placements.map((p) => p.placement),
      ['course_navigation'],
    );
    const [nav] = placements;
    const exampleNav = EXAMPLE.extensions[0]!.settings.placements.find(
      (p) => (p as { placement?: string }).placement === 'course_navigation',
    )!;
    // Every key is Canvas's: the example's, or a documented course_navigation setting.
    const documented = new Set([...keys(exampleNav), 'enabled', 'visibility', 'default']);
    for (const key of keys(nav!)) assert.ok(documented.has(key), `unknown placement key ${key}`);
    assert.equal(nav!.visibility, 'admins');
    assert.equal(nav!.default, 'enabled');
    assert.equal(nav!.enabled, true);
    assert.equal(nav!.message_type, 'LtiResourceLinkRequest');
  });

  it("points Canvas at the tool's login, launch and key set under its public URL", () => {
    assert.equal(config.oidc_initiation_url, 'https://lti.example.edu/lti/login');
    assert.equal(config.target_link_uri, 'https://lti.example.edu/lti/launch');
    assert.equal(
      config.extensions[0]!.settings.placements[0]!.target_link_uri,
      config.target_link_uri,
    );
    assert.equal(config.public_jwk_url, 'https://lti.example.edu/lti/keys');
  });

  it('asks for the AGS and NRPS scopes the tool uses', () => {
    assert.deepEqual([...config.scopes].sort(), [
      'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem',
      'https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly',
      'https://purl.imsglobal.org/spec/lti-ags/scope/score',
      'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly',
    ]);
  });
});
