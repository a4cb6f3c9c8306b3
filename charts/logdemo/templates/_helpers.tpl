{{/* Templates of the umbrella chart itself: the helm tests and NOTES.txt. */}}

{{/* logdemo.words: the emitter's configured word set (its rule lives in the emitter chart) as a ClickHouse Array(String) literal. */}}
{{- define "logdemo.words" -}}
{{- $words := slice .Values.emitter.wordList 0 (int (include "emitter.wordCount" .Values.emitter)) -}}
{{- $quoted := list -}}
{{- range $words }}{{ $quoted = append $quoted (squote .) }}{{ end -}}
{{- printf "[%s]" (join "," $quoted) -}}
{{- end -}}

{{/*
logdemo.testPod: a helm test pod running a shell script in the ClickHouse image (its client
for SQL, `clickhouse local` with url() for HTTP checks, so every test needs one image only).
Pass (dict "root" $ "name" "pipeline" "script" "..." "env" "<env entries YAML>" "volumes" ...).
*/}}
{{- define "logdemo.testPod" -}}
{{- $root := .root -}}
{{- $labels := dict "root" $root "component" (printf "test-%s" .name) -}}
apiVersion: v1
kind: Pod
metadata:
  name: {{ include "common.name" $labels }}
  labels:
    {{- include "common.labels" $labels | nindent 4 }}
    # Selects every test pod of the release: they outlive `helm uninstall` (README, Uninstall).
    app.kubernetes.io/component: helm-test
  annotations:
    "helm.sh/hook": test
    # Kept after the run, so `helm test --logs` and kubectl logs show the report: Helm reads
    # each test pod's log by name after the run (pkg/action/release_testing.go, GetPodLogs),
    # which fails for a pod hook-succeeded has deleted. The next `helm test` replaces them;
    # `helm uninstall` deletes only the release's manifest, not its hooks.
    "helm.sh/hook-delete-policy": before-hook-creation
spec:
  restartPolicy: Never
  automountServiceAccountToken: false
  {{- include "common.imagePullSecrets" (dict "global" $root.Values.global) | nindent 2 }}
  {{- include "common.podSecurityContext" (dict "uid" $root.Values.global.clickhouse.image.uid) | nindent 2 }}
  containers:
    - name: {{ .name }}
      {{- include "common.container.image" (dict "image" $root.Values.global.clickhouse.image "global" $root.Values.global) | nindent 6 }}
      # clickhouse local and client may write beside them; /tmp is the writable place.
      workingDir: /tmp
      command:
        - sh
        - -c
        - |
          set -eu
          {{- include "common.shell.functions" $root | nindent 10 }}
          {{- .script | nindent 10 }}
      env:
        # A writable home on the read-only root filesystem.
        - name: HOME
          value: /tmp
        {{- with .env }}
        {{- . | nindent 8 }}
        {{- end }}
      {{- include "common.containerSecurityContext" dict | nindent 6 }}
      resources:
        {{- toYaml $root.Values.tests.resources | nindent 8 }}
      volumeMounts:
        - name: tmp
          mountPath: /tmp
        {{- with .mounts }}
        {{- . | nindent 8 }}
        {{- end }}
  volumes:
    - name: tmp
      emptyDir: {}
    {{- with .volumes }}
    {{- . | nindent 4 }}
    {{- end }}
{{- end -}}

{{/*
logdemo.healthTest: a test pod that GETs an HTTP endpoint until it answers 2xx (within
tests.healthWaitSeconds); pass (dict "root" $ "name" "clickhouse" "url" "http://...").
*/}}
{{- define "logdemo.healthTest" -}}
{{- $script := printf "retry \"$WAIT_SECONDS\" \"GET $URL answers 2xx\" clickhouse local --query \"SELECT * FROM url('$URL', LineAsString)\"\necho \"healthy: $URL\"" -}}
{{- $env := printf "- name: URL\n  value: %s\n- name: WAIT_SECONDS\n  value: %s" (quote .url) (quote .root.Values.tests.healthWaitSeconds) -}}
{{- include "logdemo.testPod" (dict "root" .root "name" (printf "%s-health" .name) "script" $script "env" $env) -}}
{{- end -}}
