{{/*
Where ClickHouse is and how to log in, from global.clickhouse (the umbrella chart's values.yaml
is the one home of these defaults). Every part (fluent-bit, HyperDX, the schema Job, the tests)
reads them through these templates, so the bundled server and an external cluster are wired
the same way.
*/}}

{{/* common.clickhouse.check: fails, saying where global.clickhouse comes from, when it is missing. */}}
{{- define "common.clickhouse.check" -}}
{{- if not (and .Values.global .Values.global.clickhouse) -}}
{{- fail "global.clickhouse is not set: this chart is part of logdemo; install charts/logdemo, or pass the umbrella's global values (charts/logdemo/values.yaml, section global)" -}}
{{- end -}}
{{- end -}}

{{/* common.clickhouse.host: global.clickhouse.host, else the bundled server's Service. */}}
{{- define "common.clickhouse.host" -}}
{{- include "common.clickhouse.check" . -}}
{{- .Values.global.clickhouse.host | default (include "common.name" (dict "root" . "component" "clickhouse")) -}}
{{- end -}}

{{/* common.clickhouse.httpUrl: "http[s]://host:httpPort". */}}
{{- define "common.clickhouse.httpUrl" -}}
{{- $ch := .Values.global.clickhouse -}}
{{- printf "%s://%s:%v" (ternary "https" "http" $ch.tls) (include "common.clickhouse.host" .) $ch.httpPort -}}
{{- end -}}

{{/* common.clickhouse.secretName: the Secret holding the three ClickHouse passwords. */}}
{{- define "common.clickhouse.secretName" -}}
{{- include "common.clickhouse.check" . -}}
{{- .Values.global.clickhouse.auth.existingSecret | default (include "common.name" (dict "root" . "component" "clickhouse-auth")) -}}
{{- end -}}

{{/*
common.clickhouse.passwordEnv: an env entry reading one user's password from the Secret;
pass (dict "root" $ "name" "CLICKHOUSE_PASSWORD" "user" "ingest"), user one of admin, ingest, reader.
The Secret's keys are "<user>-password" (documented for global.clickhouse.auth.existingSecret).
*/}}
{{- define "common.clickhouse.passwordEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "common.clickhouse.secretName" .root }}
      key: {{ printf "%s-password" .user }}
{{- end -}}

{{/*
common.clickhouse.authChecksum: a pod annotation that changes when the passwords can change.
Generated passwords never change (they are kept across upgrades), so they need no roll; an
existing Secret the user manages is hashed as it is in the cluster, so rotating it and running
helm upgrade rolls the pods that read it.
*/}}
{{- define "common.clickhouse.authChecksum" -}}
{{- $ch := .Values.global.clickhouse -}}
{{- if $ch.auth.existingSecret -}}
{{- $live := lookup "v1" "Secret" .Release.Namespace $ch.auth.existingSecret -}}
checksum/clickhouse-auth: {{ toJson ($live.data | default dict) | sha256sum }}
{{- else -}}
checksum/clickhouse-auth: {{ printf "generated:%s" (include "common.clickhouse.secretName" .) | sha256sum }}
{{- end -}}
{{- end -}}

{{/*
common.clickhouse.clientEnv: the env entries the `ch` shell function (common.shell.functions)
reads to reach ClickHouse over the native protocol as one user; pass (dict "root" $ "user" "admin").
*/}}
{{- define "common.clickhouse.clientEnv" -}}
{{- $ch := .root.Values.global.clickhouse -}}
- name: CLICKHOUSE_HOST
  value: {{ include "common.clickhouse.host" .root | quote }}
- name: CLICKHOUSE_NATIVE_PORT
  value: {{ $ch.nativePort | quote }}
- name: CLICKHOUSE_SECURE
  value: {{ ternary "--secure" "" $ch.tls | quote }}
- name: CLICKHOUSE_USER
  value: {{ index $ch.users .user | quote }}
{{ include "common.clickhouse.passwordEnv" (dict "root" .root "name" "CLICKHOUSE_PASSWORD" "user" .user) }}
{{- end -}}

{{/*
common.shell.functions: shell functions of the Jobs and test pods (POSIX sh, busybox-compatible).
  ch ARGS...                  clickhouse client on CLICKHOUSE_HOST as CLICKHOUSE_USER
  retry SECONDS WHAT CMD...   runs CMD until it succeeds; after SECONDS prints its last output
                              and "FAILED: WHAT", and returns 1
*/}}
{{- define "common.shell.functions" -}}
ch() {
  clickhouse client --host "$CLICKHOUSE_HOST" --port "$CLICKHOUSE_NATIVE_PORT" $CLICKHOUSE_SECURE \
    --user "$CLICKHOUSE_USER" --password "$CLICKHOUSE_PASSWORD" "$@"
}
retry() {
  budget=$1 what=$2
  shift 2
  deadline=$(( $(date +%s) + budget ))
  last=$(mktemp)
  until "$@" >"$last" 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      cat "$last" >&2
      echo "FAILED: $what (still failing after ${budget}s)" >&2
      return 1
    fi
    sleep 5
  done
  cat "$last"
}
{{- end -}}
