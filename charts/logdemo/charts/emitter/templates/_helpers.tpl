{{/*
Helpers of the emitter chart. Named templates are global in Helm, so the umbrella's pipeline
test reads the emitter's word count from here (one home for the rule). Each takes the emitter's
values (.Values of this chart, .Values.emitter of the umbrella).
*/}}

{{/* emitter.wordCount: `words`, or the whole wordList when words is unset (null), as the binary does with --word-list. */}}
{{- define "emitter.wordCount" -}}
{{- if kindIs "invalid" .words -}}
{{- len .wordList -}}
{{- else -}}
{{- $words := int64 .words -}}
{{- if gt $words (int64 (len .wordList)) -}}
{{- fail (printf "emitter.words is %d but emitter.wordList holds %d words: lower words, add words, or unset words (words=null) to draw from the whole list" $words (len .wordList)) -}}
{{- end -}}
{{- $words -}}
{{- end -}}
{{- end -}}

{{/*
emitter.number: a whole number as the emitter reads it. A values file gives Helm float64s,
which print as 1e+06; --set gives int64s. int64 prints either as digits.
*/}}
{{- define "emitter.number" -}}
{{- int64 . -}}
{{- end -}}

{{/*
emitter.validate: values the schema cannot relate to each other, refused with the fix.
*/}}
{{- define "emitter.validate" -}}
{{- if gt (int64 .min) (int64 .max) }}
{{- fail (printf "emitter.min (%d) is greater than emitter.max (%d)" (int64 .min) (int64 .max)) }}
{{- end }}
{{- if has .logLevel (list "warn" "error" "off") }}
{{- fail (printf "emitter.logLevel=%s hides the tick lines (they are logged at info), so no row reaches ClickHouse and helm test fails: set emitter.logLevel to info, debug or trace" .logLevel) }}
{{- end }}
{{- end -}}
