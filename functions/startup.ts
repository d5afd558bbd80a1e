import { app } from '@azure/functions';
import { settings } from '../src/config/load-settings';

/**
 * Not a function: validates every setting when the worker starts, so a missing or unresolved
 * setting is one clear error in the logs at start-up (listing every problem), not a surprise on
 * the first notification. Handlers parse the same settings and fail with the same message.
 */
app.hook.appStart(() => {
  settings();
});
