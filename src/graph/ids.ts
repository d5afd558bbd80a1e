/**
 * Identifiers of Universal Print resources as they appear in notifications and URLs.
 *
 * Graph's printer and task-definition ids are GUIDs, but job ids are short numeric strings
 * ("44353") and task ids are opaque, so those two are only checked to be one safe path segment:
 * letters, digits and hyphens. That rules out every path trick (`..`, `/`, `%2f`, `?`) while
 * costing nothing if Graph changes the format.
 */

import { isGuid } from '../config/guid';

// The GUID rule is the settings' too, so it lives in config/ (which may not import graph/).
export { GUID_PATTERN, isGuid } from '../config/guid';

/** One safe path segment (a task or job id): 1 to 128 letters, digits and hyphens. */
export const SAFE_SEGMENT_PATTERN = /^[A-Za-z0-9-]{1,128}$/;

export const isSafeSegment = (value: string): boolean => SAFE_SEGMENT_PATTERN.test(value);

export interface TaskRef {
  taskDefinitionId: string;
  taskId: string;
}

export interface JobRef {
  printerId: string;
  jobId: string;
}

/** `print/taskDefinitions/{definitionId}/tasks/{taskId}`, relative, as Graph puts it in `resource`. */
export function parseTaskResource(resource: string): TaskRef | undefined {
  const match = /^\/?print\/taskDefinitions\/([^/]+)\/tasks\/([^/]+)$/.exec(resource);
  if (!match) return undefined;
  const [, taskDefinitionId = '', taskId = ''] = match;
  if (!isGuid(taskDefinitionId) || !isSafeSegment(taskId)) return undefined;
  return { taskDefinitionId, taskId };
}

/**
 * The printer and job a task belongs to, from the task's `parentUrl`
 * (`https://graph.microsoft.com/v1.0/print/printers/{printerId}/jobs/{jobId}`). The host and
 * version are ignored: we only ever call Graph on our own configured host, built from these ids.
 */
export function parseJobUrl(parentUrl: string): JobRef | undefined {
  let path: string;
  try {
    path = new URL(parentUrl).pathname;
  } catch {
    return undefined;
  }
  const match = /\/print\/printers\/([^/]+)\/jobs\/([^/]+)$/.exec(path);
  if (!match) return undefined;
  const [, printerId = '', jobId = ''] = match;
  if (!isGuid(printerId) || !isSafeSegment(jobId)) return undefined;
  return { printerId, jobId };
}
