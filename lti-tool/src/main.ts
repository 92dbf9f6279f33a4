// The LTI tool on its own: settings, build, listen, stop on a signal (CONVENTIONS.md #3).
import { loadLtiSettings } from './settings.js';
import { createLtiTool } from './tool.js';
import { loadProducerSigner } from './page/producer-key.js';
import { loadCanvasCaptureSettings } from './intake/settings.js';

const settings = loadLtiSettings();
const signer = await loadProducerSigner(settings.toolKeyPath);
const { shardId } = loadCanvasCaptureSettings();
const tool = await createLtiTool({
  ...settings,
  page: { relayUrl: settings.relayUrl, signer, shardId },
});
await tool.listen(settings.port, '0.0.0.0');
process.stdout.write(`lti-tool listening on :${settings.port} as ${settings.publicUrl}\n`);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void tool.close().then(() => process.exit(0)));
