/**
 * A preload (`node --require tsx/cjs --require ./sandbox/host/provide-functions-core.ts …`) for a plain
 * Node process that loads function files, as a cold worker would: `@azure/functions` finds its host.
 */
import { provideFunctionsCore } from './functions-core';

provideFunctionsCore();
