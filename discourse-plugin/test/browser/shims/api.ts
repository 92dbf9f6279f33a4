// Stands in for Discourse's discourse/lib/api in the browser test: the initializer's callback is
// kept so the test can run it against a recording plugin API.
export type ApiCallback = (api: unknown) => void;

export function apiInitializer(callback: ApiCallback) {
  return { name: 'cds-sync-test', after: 'inject-objects', callback };
}
