{{/*
What the reconcile Job (templates/reconcile-job.yaml, files/reconcile.mjs) makes HyperDX hold,
through HyperDX 2.36's API. The payload shapes are the API's zod schemas
(packages/common-utils/src/types.ts: ConnectionSchema, LogSourceSchema, SavedSearchSchema,
DashboardSchema); the Job adds the password and the ids HyperDX assigns.
*/}}

{{/* hyperdx.connection: ClickHouse as the reader user; the Job adds the password from the Secret. */}}
{{- define "hyperdx.connection" -}}
{{- toJson (dict
    "name" "logdemo ClickHouse"
    "host" (include "common.clickhouse.httpUrl" .)
    "username" .Values.global.clickhouse.users.reader) -}}
{{- end -}}

{{/*
hyperdx.source: the Logs source on the logs table; the Job adds the connection's id. Every
expression names a column of the clickhouse chart's files/schema.sql (Timestamp is its
DateTime64 column); the chart's tests check them against the schema.
*/}}
{{- define "hyperdx.source" -}}
{{- $ch := .Values.global.clickhouse -}}
{{- toJson (dict
    "name" "Logs"
    "kind" "log"
    "from" (dict "databaseName" $ch.database "tableName" $ch.logsTable)
    "timestampValueExpression" "Timestamp"
    "displayedTimestampValueExpression" "Timestamp"
    "defaultTableSelectExpression" "Timestamp,ServiceName,SeverityText,Body"
    "implicitColumnExpression" "Body"
    "bodyExpression" "Body"
    "serviceNameExpression" "ServiceName"
    "severityTextExpression" "SeverityText"
    "eventAttributesExpression" "LogAttributes"
    "resourceAttributesExpression" "ResourceAttributes"
    "traceIdExpression" "TraceId"
    "spanIdExpression" "SpanId") -}}
{{- end -}}

{{/*
hyperdx.desired: the DESIRED variable of the reconcile Job. The saved search lists the rows,
the dashboard's table tile counts them per word; both carry the Lucene form, HyperDX's default.
*/}}
{{- define "hyperdx.desired" -}}
{{- $q := include "common.question" . | fromJson -}}
{{- $config := dict
    "name" $q.name
    "source" ""
    "displayType" "table"
    "select" (list (dict "aggFn" "count" "aggCondition" "" "aggConditionLanguage" "lucene" "valueExpression" "" "alias" "logs"))
    "where" $q.lucene
    "whereLanguage" "lucene"
    "groupBy" $q.groupBy -}}
{{- toJson (dict
    "connection" (include "hyperdx.connection" . | fromJson)
    "source" (include "hyperdx.source" . | fromJson)
    "savedSearch" (dict
        "name" "Logs with number 10"
        "select" "Timestamp,ServiceName,LogAttributes['word'],LogAttributes['number'],Body"
        "where" $q.lucene
        "whereLanguage" "lucene"
        "source" ""
        "tags" (list "logdemo"))
    "dashboard" (dict
        "name" $q.name
        "tags" (list "logdemo")
        "tiles" (list (dict "id" "number-10-per-word" "x" 0 "y" 0 "w" 12 "h" 10 "config" $config)))
    "check" (dict "service" $q.service "namespace" .Release.Namespace "instance" .Release.Name "where" $q.sql "groupBy" $q.groupBy)) -}}
{{- end -}}

{{/* hyperdx.apiUrl: the API inside the cluster. */}}
{{- define "hyperdx.apiUrl" -}}
{{- printf "http://%s:%v" (include "common.name" (dict "root" . "component" "hyperdx")) .Values.apiPort -}}
{{- end -}}

{{/* hyperdx.reconcileJob: the reconcile Job of this release revision (NOTES.txt prints it). */}}
{{- define "hyperdx.reconcileJob" -}}
{{- printf "%s-%d" (include "common.name" (dict "root" . "component" "hyperdx-reconcile")) (int .Release.Revision) -}}
{{- end -}}
