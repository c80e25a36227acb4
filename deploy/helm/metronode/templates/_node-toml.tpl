{{/*
node.toml, in the structure of deploy/node.example.toml (the node refuses unknown fields).
Listen addresses are fixed: all interfaces at the container ports. Paths are relative to /data.
*/}}
{{- define "metronode.nodeToml" -}}
# metronode node configuration, rendered by the metronode Helm chart from the release values.
# The init container copies it to /data/node.toml at every pod start: change the values,
# not this file.

[node]
id = {{ include "metronode.tomlString" .Values.node.id }}
name = {{ include "metronode.tomlString" .Values.node.name }}
endpoint = {{ include "metronode.tomlString" .Values.node.endpoint }}

[grpc]
listen = "0.0.0.0:{{ include "metronode.grpcPort" . }}"
drain_timeout_secs = {{ int64 .Values.grpc.drainTimeoutSecs }}

[federation]
listen = "0.0.0.0:{{ include "metronode.federationPort" . }}"
sync_interval_ms = {{ int64 .Values.federation.syncIntervalMs }}
peer_timeout_ms = {{ int64 .Values.federation.peerTimeoutMs }}
stale_after_ms = {{ int64 .Values.federation.staleAfterMs }}
peers_per_round = {{ int64 .Values.federation.peersPerRound }}
include_members_with_evidence = {{ if .Values.federation.includeMembersWithEvidence }}true{{ else }}false{{ end }}

[http]
listen = "0.0.0.0:{{ include "metronode.httpPort" . }}"
open_on_loopback = {{ if .Values.http.openOnLoopback }}true{{ else }}false{{ end }}
public = {{ if .Values.http.public }}true{{ else }}false{{ end }}
{{- range .Values.http.tokens }}

[[http.tokens]]
name = {{ include "metronode.tomlString" .name }}
sha256 = {{ include "metronode.tomlString" (lower .sha256) }}
{{- end }}

[artefacts]
max_bytes = {{ int64 .Values.artefacts.maxBytes }}

[keys]
signing_key = "keys/signing.key"
tls_key = "keys/tls.key"
tls_cert = "keys/tls.crt"
allow_loose_permissions = false

[store]
path = "store"

[logging]
filter = {{ include "metronode.tomlString" .Values.logging.filter }}
format = {{ include "metronode.tomlString" .Values.logging.format }}

[disclosure]
min_base = {{ int64 .Values.disclosure.minBase }}
flag_base = {{ int64 .Values.disclosure.flagBase }}
min_count = {{ int64 .Values.disclosure.minCount }}
{{- range $dataset, $p := .Values.privacy }}

[privacy.{{ $dataset }}]
mechanism = {{ include "metronode.tomlString" (default "discrete_gaussian" $p.mechanism) }}
per_release = {{ include "metronode.tomlString" $p.perRelease }}
budget = {{ include "metronode.tomlString" $p.budget }}
weight_clip = {{ int64 $p.weightClip }}
{{- end }}
{{- end }}
