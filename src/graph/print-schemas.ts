import { z } from 'zod';

/**
 * The Universal Print resources as Graph returns them. Tolerant by design: unknown fields pass
 * through, and an enum member Graph adds later becomes `unknownFutureValue` instead of an error.
 */
function tolerantEnum<const T extends readonly [string, ...string[]]>(values: T) {
  return z.union([z.enum(values), z.string().transform(() => 'unknownFutureValue' as const)]);
}

export const printTaskStateSchema = tolerantEnum(['pending', 'processing', 'completed', 'aborted']);
export type PrintTaskState = z.infer<typeof printTaskStateSchema>;

export const printTaskSchema = z.looseObject({
  id: z.string(),
  parentUrl: z.string().optional(),
  status: z.looseObject({ state: printTaskStateSchema, description: z.string().nullish() }),
});
export type PrintTask = z.infer<typeof printTaskSchema>;

export const printJobStateSchema = tolerantEnum([
  'unknown',
  'pending',
  'processing',
  'paused',
  'stopped',
  'completed',
  'canceled',
  'aborted',
]);

const integerRangeSchema = z.looseObject({ start: z.number().int().nullish(), end: z.number().int().nullish() });

export const printJobConfigurationSchema = z.looseObject({
  copies: z.number().int().nullish(),
  colorMode: tolerantEnum(['blackAndWhite', 'grayscale', 'color', 'auto']).nullish(),
  duplexMode: tolerantEnum(['flipOnLongEdge', 'flipOnShortEdge', 'oneSided']).nullish(),
  mediaSize: z.string().nullish(),
  pagesPerSheet: z.number().int().nullish(),
  pageRanges: z.array(integerRangeSchema).nullish(),
  orientation: z.string().nullish(),
  quality: z.string().nullish(),
  dpi: z.number().int().nullish(),
});

/** What we may send back in PATCH job / redirect: Graph's own enum strings only. */
export interface PrintJobConfigurationChange {
  copies?: number;
  colorMode?: 'blackAndWhite' | 'grayscale' | 'color' | 'auto';
  duplexMode?: 'flipOnLongEdge' | 'flipOnShortEdge' | 'oneSided';
  mediaSize?: string;
  pagesPerSheet?: number;
}

export const printDocumentSchema = z.looseObject({
  id: z.string(),
  displayName: z.string().nullish(),
  contentType: z.string().nullish(),
  size: z.number().nullish(),
});

export const printJobSchema = z.looseObject({
  id: z.string(),
  createdDateTime: z.string().nullish(),
  createdBy: z
    .looseObject({
      id: z.string().nullish(),
      displayName: z.string().nullish(),
      userPrincipalName: z.string().nullish(),
    })
    .nullish(),
  status: z.looseObject({
    state: printJobStateSchema,
    description: z.string().nullish(),
    details: z.array(z.string()).nullish(),
  }),
  configuration: printJobConfigurationSchema.nullish(),
  documents: z.array(printDocumentSchema).nullish(),
  tasks: z.array(printTaskSchema).nullish(),
  isFetchable: z.boolean().nullish(),
  redirectedFrom: z.string().nullish(),
  redirectedTo: z.string().nullish(),
});
export type PrintJob = z.infer<typeof printJobSchema>;

export const printerLocationSchema = z.looseObject({
  site: z.string().nullish(),
  building: z.string().nullish(),
  floor: z.string().nullish(),
  floorDescription: z.string().nullish(),
  roomName: z.string().nullish(),
  city: z.string().nullish(),
});

/**
 * Graph's printerStatus: `state` idle | processing | stopped | unknown (| unknownFutureValue) and
 * `details`, printerProcessingStateDetail values (mediaEmpty, mediaJam, tonerLow…; the enum grows,
 * so both are kept as strings). Read by src/release/printer-readiness.ts.
 */
export const printerStatusSchema = z.looseObject({
  state: z.string().nullish(),
  details: z.array(z.string()).nullish(),
  description: z.string().nullish(),
});
export type PrinterStatus = z.infer<typeof printerStatusSchema>;

export const printerSchema = z.looseObject({
  id: z.string(),
  displayName: z.string().nullish(),
  location: printerLocationSchema.nullish(),
  isShared: z.boolean().nullish(),
  hasPhysicalDevice: z.boolean().nullish(),
  isAcceptingJobs: z.boolean().nullish(),
  status: printerStatusSchema.nullish(),
  // What a printer's attributes become in Graph's JSON; set-up reads them back (pull-queue-attributes.ts).
  capabilities: z
    .looseObject({
      contentTypes: z.array(z.string()).nullish(),
      copiesPerJob: z.looseObject({ start: z.number(), end: z.number() }).nullish(),
      dpis: z.array(z.number()).nullish(),
    })
    .nullish(),
  defaults: z.looseObject({ contentType: z.string().nullish() }).nullish(),
});
export type Printer = z.infer<typeof printerSchema>;

/** A long-running printer registration (`printers/create`), as `GET /print/operations/{id}` returns it. */
export const printOperationSchema = z.looseObject({
  id: z.string(),
  status: z.looseObject({
    state: z.string(), // notStarted | running | needsAction | succeeded | failed | unknownFutureValue
    description: z.string().nullish(),
  }),
  printer: printerSchema.nullish(),
});
export type PrintOperation = z.infer<typeof printOperationSchema>;

/** What makes a printer visible to users (at most one per printer). */
export const printerShareSchema = z.looseObject({
  id: z.string(),
  displayName: z.string().nullish(),
  allowAllUsers: z.boolean().nullish(),
});
export type PrinterShare = z.infer<typeof printerShareSchema>;

export const printTaskDefinitionSchema = z.looseObject({
  id: z.string(),
  displayName: z.string().nullish(),
  createdBy: z.looseObject({ appId: z.string().nullish(), displayName: z.string().nullish() }).nullish(),
});
export type PrintTaskDefinition = z.infer<typeof printTaskDefinitionSchema>;

export const printTaskTriggerSchema = z.looseObject({
  id: z.string(),
  event: z.string().nullish(),
  definition: printTaskDefinitionSchema.nullish(),
});
export type PrintTaskTrigger = z.infer<typeof printTaskTriggerSchema>;

export const subscriptionSchema = z.looseObject({
  id: z.string(),
  resource: z.string(),
  changeType: z.string(),
  notificationUrl: z.string(),
  lifecycleNotificationUrl: z.string().nullish(),
  expirationDateTime: z.string(),
  clientState: z.string().nullish(),
  applicationId: z.string().nullish(),
});
export type Subscription = z.infer<typeof subscriptionSchema>;

export const collectionOf = <T extends z.ZodType>(item: T) =>
  z.looseObject({ value: z.array(item), '@odata.nextLink': z.string().nullish() });

/** A service principal, as much as `npm run doctor` reads of it. */
export const servicePrincipalSchema = z.looseObject({
  id: z.string(),
  appId: z.string(),
  displayName: z.string().nullish(),
});
export type ServicePrincipal = z.infer<typeof servicePrincipalSchema>;

/** An application permission granted to a service principal (appRoleId on the resource's service principal). */
export const appRoleAssignmentSchema = z.looseObject({
  id: z.string(),
  appRoleId: z.string(),
  principalId: z.string().nullish(),
  resourceId: z.string(),
  resourceDisplayName: z.string().nullish(),
});
export type AppRoleAssignment = z.infer<typeof appRoleAssignmentSchema>;
