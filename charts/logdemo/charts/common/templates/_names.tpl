{{/*
Names and labels. Every object is named "<release>-<component>" so that the parts find each
other (the fluent-bit config, HyperDX and the tests reach ClickHouse at "<release>-clickhouse")
without knowing which chart rendered the object.
*/}}

{{/* common.name: "<release>-<component>"; pass (dict "root" $ "component" "clickhouse"). */}}
{{- define "common.name" -}}
{{- printf "%s-%s" .root.Release.Name .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* common.selectorLabels: the labels a Service or controller selects on; pass (dict "root" $ "component" ...). */}}
{{- define "common.selectorLabels" -}}
app.kubernetes.io/name: {{ .component }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{/* common.labels: selector labels plus the chart and manager; pass (dict "root" $ "component" ...). */}}
{{- define "common.labels" -}}
{{ include "common.selectorLabels" . }}
app.kubernetes.io/part-of: logdemo
app.kubernetes.io/version: {{ .root.Chart.AppVersion | default .root.Chart.Version | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{/*
common.emitterService: the ServiceName of the emitter's rows: its pods' app.kubernetes.io/name,
which fluent-bit's Lua filter makes the ServiceName. The helm test and HyperDX's question read it.
*/}}
{{- define "common.emitterService" -}}emitter{{- end -}}

{{/*
common.question: the demo's question, "how many logs carry the number 10, per word", as typed
in HyperDX. LogAttributes is a Map(String, String): in Lucene (HyperDX's default language) only
the quoted LogAttributes.number:"10" is an exact match (queryParser.ts renders a quoted term
with eq(), LogAttributes['number'] = '10'); unquoted, 10 is a substring search (ILIKE '%10%',
which 100 matches too). In SQL mode and in Group By the Map needs a subscript. The rows come
from the emitter (common.emitterService). HyperDX's reconcile Job and NOTES.txt read it (a
library chart's templates load even when the hyperdx subchart is off).
*/}}
{{- define "common.question" -}}
{{- $service := include "common.emitterService" . -}}
{{- toJson (dict
    "name" "Logs with number 10, per word"
    "lucene" (printf "ServiceName:\"%s\" LogAttributes.number:\"10\"" $service)
    "sql" (printf "ServiceName = '%s' AND LogAttributes['number'] = '10'" $service)
    "groupBy" "LogAttributes['word']"
    "service" $service) -}}
{{- end -}}
