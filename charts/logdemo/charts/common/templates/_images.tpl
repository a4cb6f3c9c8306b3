{{/*
Images: each component has image.repository and image.tag (exact pins), and may override the
registry and pull policy that global.imageRegistry and global.imagePullPolicy set for all.
*/}}

{{/* common.image: "[registry/]repository:tag"; pass (dict "image" .Values.image "global" .Values.global). */}}
{{- define "common.image" -}}
{{- $registry := .image.registry | default .global.imageRegistry -}}
{{- if $registry -}}
{{- printf "%s/%s:%s" (trimSuffix "/" $registry) .image.repository (toString .image.tag) -}}
{{- else -}}
{{- printf "%s:%s" .image.repository (toString .image.tag) -}}
{{- end -}}
{{- end -}}

{{/* common.imagePullPolicy: the image's own policy, else the global one. */}}
{{- define "common.imagePullPolicy" -}}
{{- .image.pullPolicy | default .global.imagePullPolicy -}}
{{- end -}}

{{/* common.container.image: the image and imagePullPolicy lines of a container. */}}
{{- define "common.container.image" -}}
image: {{ include "common.image" . | quote }}
imagePullPolicy: {{ include "common.imagePullPolicy" . }}
{{- end -}}

{{/* common.imagePullSecrets: the pod's imagePullSecrets line, from global.imagePullSecrets. */}}
{{- define "common.imagePullSecrets" -}}
imagePullSecrets: {{ toJson (.global.imagePullSecrets | default list) }}
{{- end -}}
