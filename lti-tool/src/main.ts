// The LTI tool on its own, for deployments that run the relay apart (`pnpm start --role=web` and
// `--role=worker`): `node --import tsx lti-tool/src/main.ts` with the tool's settings (README,
// "The LTI tool"). It needs LTI_KEY (or LTI_KEY_FILE), LTI_TOOL_KEY trusted by the relay, RELAY_URL,
// and its own DATABASE_URL or the relay's; the relay's CANVAS_DELIVERY_URL points at its
// LTI_PUBLIC_URL/v1/deliveries. Thin (CONVENTIONS.md #3).
import { isCdsError } from '@cds/shared';
import { loadLtiSettings } from './settings.js';
import { startLtiTool } from './app/compose.js';

try {
  const settings = loadLtiSettings();
  const tool = await startLtiTool({ settings });
  await tool.listen(settings.port, '0.0.0.0');
  process.stdout.write(`lti-tool listening on :${settings.port} as ${settings.publicUrl}\n`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(
      signal,
      () =>
        void tool.close().then(
          () => process.exit(0),
          () => process.exit(1),
        ),
    );
} catch (error) {
  console.error(isCdsError(error) ? `lti-tool: ${error.message}` : error);
  process.exit(1);
}
