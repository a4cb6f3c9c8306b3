{{/*
Security contexts. Every container runs with no capabilities, no privilege escalation, the
runtime's default seccomp profile and, unless its chart documents why not, a read-only root
filesystem; pods run as a fixed non-root user unless the chart documents the exception.
*/}}

{{/* common.podSecurityContext: pass (dict "uid" 101 "runAsNonRoot" true); fsGroup follows the uid. */}}
{{- define "common.podSecurityContext" -}}
securityContext:
  runAsNonRoot: {{ ternary .runAsNonRoot true (hasKey . "runAsNonRoot") }}
  runAsUser: {{ .uid }}
  runAsGroup: {{ .uid }}
  fsGroup: {{ .uid }}
  fsGroupChangePolicy: OnRootMismatch
  seccompProfile:
    type: RuntimeDefault
{{- end -}}

{{/*
common.containerSecurityContext: pass (dict "readOnlyRootFilesystem" true); with "uid", the
container runs as that non-root user whatever its pod's user (an init container of another image).
*/}}
{{- define "common.containerSecurityContext" -}}
securityContext:
  {{- with .uid }}
  runAsNonRoot: true
  runAsUser: {{ . }}
  runAsGroup: {{ . }}
  {{- end }}
  allowPrivilegeEscalation: false
  privileged: false
  readOnlyRootFilesystem: {{ ternary .readOnlyRootFilesystem true (hasKey . "readOnlyRootFilesystem") }}
  capabilities:
    drop: ["ALL"]
  seccompProfile:
    type: RuntimeDefault
{{- end -}}
