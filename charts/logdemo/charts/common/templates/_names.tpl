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
