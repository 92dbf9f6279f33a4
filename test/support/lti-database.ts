// The LTI tool's ltijs database in tests: its setup, without the migrations' chatter.
import type { openLtiDatabase } from '../../lti-tool/src/db/database.js';

/**
 * Runs ltijs-sequelize's setup (its migrations, then the models defined on it so far). Umzug, which
 * runs the migrations, reports on console.info: kept off the test output.
 */
export async function setUpQuietly(lti: ReturnType<typeof openLtiDatabase>): Promise<void> {
  const info = console.info;
  console.info = () => undefined;
  try {
    await lti.setup();
  } finally {
    console.info = info;
  }
}
