// A workbook that shows what Release Gate decided: by rule, printer, user and time, from the
// structured `task.finished` events.
param location string
param tags object
param appInsightsId string
param resourceToken string

var decisions = 'traces | where message has \'"event":"task.finished"\' | extend e = parse_json(message) | extend action = tostring(e.action), rule = tostring(e.rule), outcome = tostring(e.outcome), printer = tostring(e.printerId), user = tostring(e.user)'

// Every fail-safe decision, by printer: those made when the policy failed for good (task.finished with a
// fail-safe rule) and those made after a task failed every try or Graph refused (task.failed-safe). Both
// events carry printerId (src/processor/process-task.ts, fail-safe.ts).
var failSafe = 'union (traces | where message has \'"event":"task.failed-safe"\'), (traces | where message has \'"event":"task.finished"\' and message has \'"rule":"fail-safe\') | extend e = parse_json(message) | extend printer = tostring(e.printerId), action = tostring(e.action), why = tostring(e.why)'

var content = {
  version: 'Notebook/1.0'
  items: [
    { type: 1, content: { json: '## Release Gate decisions\nEvery print task Release Gate decided on, from its structured logs.' } }
    {
      type: 3
      content: {
        version: 'KqlItem/1.0'
        title: 'Decisions over time by action'
        query: '${decisions} | summarize count() by action, bin(timestamp, 1h) | render timechart'
        queryType: 0
        resourceType: 'microsoft.insights/components'
        timeContext: { durationMs: 604800000 }
      }
    }
    {
      type: 3
      content: {
        version: 'KqlItem/1.0'
        title: 'By rule'
        query: '${decisions} | summarize decisions = count() by rule, action | order by decisions desc'
        queryType: 0
        resourceType: 'microsoft.insights/components'
        timeContext: { durationMs: 604800000 }
      }
    }
    {
      type: 3
      content: {
        version: 'KqlItem/1.0'
        title: 'By printer'
        query: '${decisions} | summarize decisions = count() by printer, action | order by decisions desc'
        queryType: 0
        resourceType: 'microsoft.insights/components'
        timeContext: { durationMs: 604800000 }
      }
    }
    {
      type: 3
      content: {
        version: 'KqlItem/1.0'
        title: 'Fail-safe decisions by printer'
        query: '${failSafe} | summarize failSafe = count(), released = countif(action == "release"), denied = countif(action == "deny") by printer | order by failSafe desc'
        queryType: 0
        resourceType: 'microsoft.insights/components'
        timeContext: { durationMs: 604800000 }
      }
    }
    {
      type: 3
      content: {
        version: 'KqlItem/1.0'
        title: 'By user'
        query: '${decisions} | summarize decisions = count(), denied = countif(action == "deny") by user | order by decisions desc'
        queryType: 0
        resourceType: 'microsoft.insights/components'
        timeContext: { durationMs: 604800000 }
      }
    }
  ]
}

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(appInsightsId, 'release-gate-decisions', resourceToken)
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'Release Gate decisions'
    category: 'workbook'
    sourceId: appInsightsId
    serializedData: string(content)
  }
}
