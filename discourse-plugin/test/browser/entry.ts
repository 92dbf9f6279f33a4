// The browser side of the render test: a real Ember owner with the plugin's service, and
// `window.cds.render(name, args, env)` rendering one of the plugin's components with the real
// Glimmer renderer (@ember/renderer renderComponent, RFC 1099).
import Application from '@ember/application';
import { renderComponent, renderSettled } from '@ember/renderer';
import CdsAdminStatus from '../../assets/javascripts/discourse/components/cds-admin-status';
import CdsCategoryStatus from '../../assets/javascripts/discourse/components/cds-category-status';
import CdsEntitySyncBadge from '../../assets/javascripts/discourse/components/cds-entity-sync-badge';
import CdsSyncBadge from '../../assets/javascripts/discourse/components/cds-sync-badge';
import initializer from '../../assets/javascripts/discourse/api-initializers/cds-sync';
import CdsSyncService from '../../assets/javascripts/discourse/services/cds-sync';

const COMPONENTS = { CdsAdminStatus, CdsCategoryStatus, CdsEntitySyncBadge, CdsSyncBadge };

interface Env {
  relayUrl: string;
  staff: boolean;
  /** A Discourse admin (reads the relay's links); moderators are staff without it. */
  admin?: boolean;
  /** No one is logged in (the initializer's getCurrentUser answers null). */
  anonymous?: boolean;
}

function ownerFor(env: Env) {
  const app = Application.create({ autoboot: false, modules: {} });
  const owner = app.buildInstance();
  owner.register('service:cds-sync', CdsSyncService);
  owner.register(
    'service:site-settings',
    { cds_sync_enabled: true, cds_sync_relay_url: env.relayUrl },
    { instantiate: false },
  );
  owner.register(
    'service:current-user',
    { staff: env.staff, admin: env.admin ?? false },
    { instantiate: false },
  );
  return owner;
}

/** Runs the api-initializer against a plugin API that records what it was asked to do. */
function initialize(env: Env): string[] {
  const calls: string[] = [];
  const owner = ownerFor(env);
  const api = {
    container: owner,
    getCurrentUser: () => (env.anonymous ? null : { staff: env.staff }),
    renderInOutlet: (name: string) => calls.push(`renderInOutlet ${name}`),
    renderAfterWrapperOutlet: (name: string) => calls.push(`renderAfterWrapperOutlet ${name}`),
    registerValueTransformer: (name: string, cb: (a: unknown) => unknown) => {
      const out = cb({ value: [], context: { post: { cds_sync: { state: 'failed' } } } });
      calls.push(`registerValueTransformer ${name} -> ${JSON.stringify(out)}`);
      return true;
    },
  };
  (initializer as unknown as { callback: (api: unknown) => void }).callback(api);
  return calls;
}

async function render(
  name: keyof typeof COMPONENTS,
  args: Record<string, unknown>,
  env: Env,
): Promise<void> {
  const into = document.createElement('div');
  into.className = 'cds-render';
  into.dataset.component = name;
  document.querySelector('#app')!.append(into);
  renderComponent(COMPONENTS[name] as object, { into, owner: ownerFor(env), args });
  await renderSettled();
}

/** Waits until Ember has rendered what pending promises changed. */
const settled = () => renderSettled();

// Requests the page has made and not yet read to the end, so a test can wait for the relay's
// answers to be handled before it asserts that something is absent.
let inflight = 0;
const pageFetch = window.fetch.bind(window);
window.fetch = async (...args: Parameters<typeof fetch>) => {
  inflight += 1;
  try {
    const response = await pageFetch(...args);
    await response.clone().text();
    return response;
  } finally {
    setTimeout(() => (inflight -= 1), 0);
  }
};

const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Waits until no request is in flight for two tasks in a row, then for Ember to render. */
async function idle(): Promise<void> {
  for (let quiet = 0; quiet < 2;) {
    await nextTask();
    quiet = inflight === 0 ? quiet + 1 : 0;
  }
  await renderSettled();
}

Object.assign(window, { cds: { render, settled, idle, initialize } });
