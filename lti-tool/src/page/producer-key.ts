// The tool's producer key (LTI_TOOL_KEY): signs "Sync now" events and the course tokens the
// page reads the relay with. It stays on the server; the browser never sees it.
import { readFile } from 'node:fs/promises';
import { importSigner, InvalidConfig, type Signer } from '@cds/shared';

const HOW =
  'make it with `pnpm -s cds keys generate --producer lti-tool --sources canvas,manual` (it is trusted by the relay at once) and set LTI_TOOL_KEY to the private JWK file';

/** Loads the private JWK at `path`; InvalidConfig naming LTI_TOOL_KEY and the fix. */
export async function loadProducerSigner(path: string): Promise<Signer> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InvalidConfig(
      `LTI_TOOL_KEY: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)}): ${HOW}`,
    );
  }
  try {
    return await importSigner(JSON.parse(text) as Parameters<typeof importSigner>[0]);
  } catch (error) {
    throw new InvalidConfig(
      `LTI_TOOL_KEY: ${path} is not a private JWK (${(error as Error).message}): ${HOW}`,
    );
  }
}
