import type { Settings } from '../config/settings';
import { graphEndpoints } from '../graph/graph-endpoints';
import { releasePageConfig, type ReleasePageConfig } from '../release/release-page';

/** The release page's sign-in settings from the app settings (the cloud's authority, the app, the scope). */
export function releasePageConfigFromSettings(config: Settings): ReleasePageConfig {
  return releasePageConfig({
    authorityHost: graphEndpoints(config).authorityHost,
    tenantId: config.RELEASE_GATE_TENANT_ID,
    clientId: config.RELEASE_GATE_APP_CLIENT_ID,
    scope: config.RELEASE_GATE_RELEASE_PAGE_SCOPE,
    pinMinLength: config.RELEASE_GATE_PIN_MIN_LENGTH,
  });
}
