{{/*
Names, labels and small helpers of the metronode chart.
*/}}

{{/* The chart name, overridable. */}}
{{- define "metronode.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The fully qualified resource name prefix, at most 52 characters so that suffixed names
("-federation", "-headless") and the StatefulSet's controller-revision label stay within 63.
*/}}
{{- define "metronode.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* chart-version for the helm.sh/chart label. */}}
{{- define "metronode.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels: stable for the life of the release. */}}
{{- define "metronode.selectorLabels" -}}
app.kubernetes.io/name: {{ include "metronode.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Kubernetes recommended labels. */}}
{{- define "metronode.labels" -}}
helm.sh/chart: {{ include "metronode.chart" . }}
{{ include "metronode.selectorLabels" . }}
app.kubernetes.io/version: {{ (default .Chart.AppVersion .Values.image.tag) | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/component: node
app.kubernetes.io/part-of: metronode
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The container image reference. */}}
{{- define "metronode.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* Resource names. */}}
{{- define "metronode.headlessName" -}}
{{- printf "%s-headless" (include "metronode.fullname" .) }}
{{- end }}
{{- define "metronode.federationName" -}}
{{- printf "%s-federation" (include "metronode.fullname" .) }}
{{- end }}
{{- define "metronode.configName" -}}
{{- printf "%s-config" (include "metronode.fullname" .) }}
{{- end }}
{{- define "metronode.cardsName" -}}
{{- printf "%s-cards" (include "metronode.fullname" .) }}
{{- end }}

{{/* The name of the Secret holding signing.key, tls.key and tls.crt. */}}
{{- define "metronode.keysSecretName" -}}
{{- if .Values.identity.existingSecret }}
{{- .Values.identity.existingSecret }}
{{- else }}
{{- printf "%s-keys" (include "metronode.fullname" .) }}
{{- end }}
{{- end }}

{{/*
A TOML basic string: JSON string escapes (\" \\ \n \uXXXX ...) are valid TOML escapes, and
Go's JSON encoder never emits the one JSON-only escape, "\/".
*/}}
{{- define "metronode.tomlString" -}}
{{- toJson (toString .) }}
{{- end }}

{{/* Fixed container ports: node.toml listens on all interfaces at these. */}}
{{- define "metronode.grpcPort" -}}7400{{- end }}
{{- define "metronode.federationPort" -}}7401{{- end }}
{{- define "metronode.httpPort" -}}7480{{- end }}

{{/*
Checks the values the schema cannot express; renders nothing. `required` and `fail` are
no-ops under `helm lint`, so the chart defaults (empty identity) still lint.
*/}}
{{- define "metronode.validate" -}}
{{- $_ := required "node.id is required: the city's member id (UN/LOCODE, e.g. BEBRU), as given to `metronode init --id`" .Values.node.id }}
{{- $_ = required "node.name is required: the city's name, e.g. Brussels" .Values.node.name }}
{{- $_ = required "node.endpoint is required: the https:// URL peers use to reach the federation Service" .Values.node.endpoint }}
{{- if not .Values.identity.existingSecret }}
{{- $k := .Values.identity.keys }}
{{- if not (and $k.signingKey $k.tlsKey $k.tlsCert) }}
{{- fail "the city's keys are required: set identity.existingSecret to a Secret with signing.key, tls.key and tls.crt, or all of identity.keys.signingKey, tlsKey and tlsCert (see `metronode init`)" }}
{{- end }}
{{- end }}
{{- if lt (int64 .Values.disclosure.flagBase) (int64 .Values.disclosure.minBase) }}
{{- fail "disclosure.flagBase must be at least disclosure.minBase" }}
{{- end }}
{{- if ge (int64 .Values.grpc.drainTimeoutSecs) (int64 .Values.terminationGracePeriodSeconds) }}
{{- fail "terminationGracePeriodSeconds must be larger than grpc.drainTimeoutSecs so the node can drain and flush" }}
{{- end }}
{{- end }}
