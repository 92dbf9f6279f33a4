// A relay worker in a process of its own, for tests that kill it with -9: the settings come from
// the environment, as for `relay/src/main.ts --role=worker`; test timings (sweeper, webhook
// timeout, backoff) come as JSON RelayOptions in CDS_TEST_WORKER_OPTIONS.
import { loadConfig, startRelay, type RelayOptions } from '@cds/relay';

const options = JSON.parse(process.env.CDS_TEST_WORKER_OPTIONS ?? '{}') as Partial<RelayOptions>;
const relay = await startRelay({ ...options, config: loadConfig(), role: 'worker' });
process.once('SIGTERM', () => {
  relay.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
