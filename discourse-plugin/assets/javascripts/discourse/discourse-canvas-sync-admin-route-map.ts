// The admin page's route: /admin/plugins/discourse-canvas-sync/status, under the plugin's own
// admin page (plugin.rb: add_admin_route ... use_new_show_route: true). `resource` must be
// "admin.adminPlugins.show", as Discourse's bundled plugins do (e.g. data-explorer's
// explorer-route-map.js); its template is templates/admin-plugins/show/cds-sync-status.gts.
export default {
  resource: 'admin.adminPlugins.show',
  path: '/plugins',
  map(this: { route: (name: string, options: { path: string }) => void }) {
    this.route('cds-sync-status', { path: 'status' });
  },
};
