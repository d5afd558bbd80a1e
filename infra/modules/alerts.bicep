// Alerts an admin needs: a task fell into the poison queue, the app is failing, and the Graph
// subscription is unhealthy or close to expiry (no subscription, no notifications, every job waits).
param location string
param tags object
param appInsightsId string
param alertEmail string

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: 'ag-release-gate'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'releasegate'
    enabled: true
    emailReceivers: [{ name: 'admin', emailAddress: alertEmail, useCommonAlertSchema: true }]
  }
}

var actions = empty(alertEmail) ? {} : { actionGroups: [actionGroup.id] }

// The subscription keeper records the metric release_gate.subscription.healthy after each check that
// leaves a healthy subscription (src/observability/metrics.ts). Metrics are not sampled, unlike traces,
// so counting them is safe; summarize without `by` gives one row even when there are none, so the
// absence of any check (keeper failing, function key missing, app not running) returns a row and fires.
var healthyMetric = 'release_gate.subscription.healthy'

var rules = [
  {
    name: 'poisoned-task'
    description: 'A print task failed every retry and went to the poison queue; the fail-safe action was applied.'
    severity: 1
    query: 'traces | where message has \'"event":"task.poisoned"\''
    threshold: 0
    windowSize: 'PT15M'
    evaluationFrequency: 'PT5M'
  }
  {
    name: 'failure-rate'
    description: 'More than 5% of function invocations failed in the last 15 minutes.'
    severity: 2
    query: 'requests | summarize failed = countif(success == false), total = count() | where total > 20 | extend rate = todouble(failed) / total | where rate > 0.05'
    threshold: 0
    windowSize: 'PT15M'
    evaluationFrequency: 'PT5M'
  }
  {
    name: 'subscription-unhealthy'
    description: 'No healthy check of the Graph subscription in 2 hours (the keeper runs every 30 minutes): it could not be created or renewed, e.g. the function key secret is missing (see subscription.function-key-missing). Without it no notification arrives.'
    severity: 1
    query: 'customMetrics | where name == \'${healthyMetric}\' and valueSum > 0 | summarize healthyChecks = count() | where healthyChecks == 0'
    threshold: 0
    windowSize: 'PT2H'
    evaluationFrequency: 'PT15M'
  }
  {
    name: 'subscription-expiring'
    description: 'The Graph subscription for print tasks has less than 12 hours left; renewal is failing.'
    severity: 1
    query: 'traces | where message has \'"event":"subscription.checked"\' | extend e = parse_json(message) | summarize minutesLeft = min(toint(e.minutesLeft)) | where minutesLeft < 720'
    threshold: 0
    windowSize: 'PT15M'
    evaluationFrequency: 'PT5M'
  }
  {
    name: 'fail-safe-by-printer'
    description: 'Release Gate could not decide on jobs and the fail-safe released or denied them; one row per printer (printerId) and action. A release on a printer that should be protected means RELEASE_GATE_FAIL_SAFE_PRINTERS needs it.'
    severity: 2
    query: 'traces | where message has \'"event":"task.failed-safe"\' | extend e = parse_json(message) | summarize failSafe = count() by printer = tostring(e.printerId), action = tostring(e.action)'
    threshold: 0
    windowSize: 'PT15M'
    evaluationFrequency: 'PT5M'
  }
  {
    name: 'policy-error'
    description: 'The release policy failed for good (invalid, a plug-in that did not load, a look-up Graph refuses such as a missing GroupMember.Read.All); jobs are getting the fail-safe decision. Throttling and time limits are retried, logged as policy.unavailable.'
    severity: 2
    query: 'traces | where message has \'"event":"policy.failed"\''
    threshold: 0
    windowSize: 'PT15M'
    evaluationFrequency: 'PT5M'
  }
]

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2023-03-15-preview' = [
  for rule in rules: {
    name: 'alert-release-gate-${rule.name}'
    location: location
    tags: tags
    properties: {
      displayName: 'Release Gate: ${rule.name}'
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [appInsightsId]
      evaluationFrequency: rule.evaluationFrequency
      windowSize: rule.windowSize
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: 'Count'
            operator: 'GreaterThan'
            threshold: rule.threshold
            failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
          }
        ]
      }
      actions: actions
    }
  }
]
