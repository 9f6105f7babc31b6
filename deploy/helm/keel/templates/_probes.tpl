{{/*
Probes per process kind. Liveness never looks at dependencies (a database outage must not
restart every pod): it asks only whether the process answers. Readiness may.
*/}}
{{- define "keel.ports" -}}
{{- $metrics := include "keel.metricsPort" . | fromJson -}}
{{- if eq .kind "web" -}}
- name: http
  containerPort: 8080
  protocol: TCP
{{- else if eq .kind "grpc" -}}
- name: grpc
  containerPort: 50051
  protocol: TCP
{{- if .root.Values.grpcTls.enabled }}
- name: grpc-health
  containerPort: {{ .root.Values.grpcTls.healthPort }}
  protocol: TCP
{{- end }}
- name: {{ $metrics.name }}
  containerPort: {{ $metrics.port }}
  protocol: TCP
{{- else -}}
- name: {{ $metrics.name }}
  containerPort: {{ $metrics.port }}
  protocol: TCP
{{- end -}}
{{- end -}}

{{- define "keel.probes" -}}
{{- if eq .kind "web" -}}
startupProbe:
  httpGet: {path: /healthz, port: http}
  periodSeconds: 2
  failureThreshold: 30
livenessProbe:
  httpGet: {path: /healthz, port: http}
  periodSeconds: 10
  timeoutSeconds: 2
  failureThreshold: 3
readinessProbe:
  httpGet: {path: /readyz, port: http}
  periodSeconds: 5
  timeoutSeconds: 2
  failureThreshold: 2
{{- else if eq .kind "grpc" -}}
startupProbe:
  tcpSocket: {port: grpc}
  periodSeconds: 2
  failureThreshold: 30
livenessProbe:
  tcpSocket: {port: grpc}
  periodSeconds: 10
  timeoutSeconds: 2
  failureThreshold: 3
readinessProbe:
  {{- /* The kubelet holds no client certificate: with mTLS it asks the health-only port. */}}
  grpc: {port: {{ if .root.Values.grpcTls.enabled }}{{ .root.Values.grpcTls.healthPort }}{{ else }}50051{{ end }}}
  periodSeconds: 5
  timeoutSeconds: 2
  failureThreshold: 2
{{- else -}}
{{- /* A worker serves no traffic; its metrics endpoint shows the process is alive. */ -}}
{{- $metrics := include "keel.metricsPort" . | fromJson -}}
startupProbe:
  httpGet: {path: /metrics, port: {{ $metrics.name }}}
  periodSeconds: 2
  failureThreshold: 30
livenessProbe:
  httpGet: {path: /metrics, port: {{ $metrics.name }}}
  periodSeconds: 15
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet: {path: /metrics, port: {{ $metrics.name }}}
  periodSeconds: 15
  timeoutSeconds: 3
  failureThreshold: 3
{{- end -}}
{{- end -}}
