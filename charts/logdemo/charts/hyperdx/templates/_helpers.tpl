{{/* hyperdx.connectionName: the provisioned connection, which the Logs source names. */}}
{{- define "hyperdx.connectionName" -}}logdemo ClickHouse{{- end -}}

{{/*
hyperdx.connections: DEFAULT_CONNECTIONS, ClickHouse as the reader user. The password is the
container's CLICKHOUSE_READER_PASSWORD (from the Secret), put in by Kubernetes' $(VAR)
expansion, so it never appears in the rendered manifest.
*/}}
{{- define "hyperdx.connections" -}}
{{- toJson (list (dict
    "name" (include "hyperdx.connectionName" .)
    "host" (include "common.clickhouse.httpUrl" .)
    "username" .Values.global.clickhouse.users.reader
    "password" "$(CLICKHOUSE_READER_PASSWORD)")) -}}
{{- end -}}

{{/*
hyperdx.sources: DEFAULT_SOURCES, one Logs source on the logs table. Every expression names a
column of the clickhouse chart's files/schema.sql (Timestamp is its DateTime64 column); the
chart's tests check them against the schema.
*/}}
{{- define "hyperdx.sources" -}}
{{- $ch := .Values.global.clickhouse -}}
{{- toJson (list (dict
    "name" "Logs"
    "kind" "log"
    "connection" (include "hyperdx.connectionName" .)
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
    "spanIdExpression" "SpanId")) -}}
{{- end -}}

{{/* hyperdx.apiUrl: the API inside the cluster. */}}
{{- define "hyperdx.apiUrl" -}}
{{- printf "http://%s:%v" (include "common.name" (dict "root" . "component" "hyperdx")) .Values.apiPort -}}
{{- end -}}
