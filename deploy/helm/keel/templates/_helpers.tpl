{{/*
Names, labels and the pieces every workload shares. Templates range over
"keel.pods" so one template serves every service and process kind.
*/}}

{{- define "keel.fullname" -}}
{{- if contains "keel" .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-keel" .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/*
"true" for an enabled service with a backend of its own: a database (migrations), gRPC (a
certificate, a peer entry), a broker user. Apps (services.<name>.app, the console) have none.
*/}}
{{- define "keel.hasBackend" -}}
{{- $svc := index .root.Values.services .service -}}
{{- if and $svc.enabled (not $svc.app) -}}true{{- end -}}
{{- end -}}

{{/* <fullname>-<service>, e.g. keel-auth: ServiceAccount, ConfigMap, Secret */}}
{{- define "keel.serviceName" -}}
{{- printf "%s-%s" (include "keel.fullname" .root) .service -}}
{{- end -}}

{{/* <fullname>-<service>-<kind>, e.g. keel-auth-web: Deployment, Service, HPA, PDB */}}
{{- define "keel.processName" -}}
{{- printf "%s-%s-%s" (include "keel.fullname" .root) .service .kind -}}
{{- end -}}

{{- define "keel.selectorLabels" -}}
app.kubernetes.io/name: {{ .service }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .kind }}
{{- end -}}

{{- define "keel.commonLabels" -}}
app.kubernetes.io/part-of: keel
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* Labels of an object that belongs to one service (and maybe one process kind). */}}
{{- define "keel.labels" -}}
{{ include "keel.commonLabels" .root }}
app.kubernetes.io/name: {{ .service }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- with .kind }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end -}}

{{/* Labels of a platform-wide object (ingress, policies, monitoring). */}}
{{- define "keel.platformLabels" -}}
{{ include "keel.commonLabels" . }}
app.kubernetes.io/name: keel
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Selects every pod of this release. */}}
{{- define "keel.releasePods" -}}
app.kubernetes.io/part-of: keel
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
The pods as a JSON list of {service, kind, kinds, configs, config}: kinds are the process
kinds whose containers the pod runs, configs their settings (defaults.<kind> deep-merged with
services.<service>.<kind>), config the pod's own (replicas, autoscaling, grace period). A
pod's kind is its process kind, or "combined" when the service sets colocate.enabled: then
one pod runs all its processes around the shared volume, one replica, no HPA.
*/}}
{{- define "keel.pods" -}}
{{- $out := list -}}
{{- range $service := keys .Values.services | sortAlpha -}}
{{- $svc := index $.Values.services $service -}}
{{- if $svc.enabled -}}
{{- $kinds := list -}}
{{- $configs := dict -}}
{{- range $kind := list "web" "grpc" "worker" -}}
{{- $config := mergeOverwrite (deepCopy (index $.Values.defaults $kind)) (deepCopy (index $svc $kind | default dict)) -}}
{{- if $config.enabled -}}
{{- $kinds = append $kinds $kind -}}
{{- $_ := set $configs $kind $config -}}
{{- end -}}
{{- end -}}
{{- $colocate := $svc.colocate | default dict -}}
{{- if and $colocate.enabled $kinds -}}
{{- $grace := 0 -}}
{{- range $kind := $kinds -}}
{{- $grace = max $grace (index $configs $kind).terminationGracePeriodSeconds -}}
{{- end -}}
{{- $config := dict "replicas" 1 "autoscaling" (dict "enabled" false) "terminationGracePeriodSeconds" $grace -}}
{{- $out = append $out (dict "service" $service "kind" "combined" "kinds" $kinds "configs" $configs "config" $config) -}}
{{- else -}}
{{- range $kind := $kinds -}}
{{- $out = append $out (dict "service" $service "kind" $kind "kinds" (list $kind) "configs" (dict $kind (index $configs $kind)) "config" (index $configs $kind)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/*
A process's metrics port: 9100, except a worker sharing a pod with a gRPC server (both
serve metrics, and containers of one pod share the network namespace).
*/}}
{{- define "keel.metricsPort" -}}
{{- if and (eq .kind "worker") (has "grpc" .kinds) -}}
{"name": "worker-metrics", "port": 9101}
{{- else -}}
{"name": "metrics", "port": 9100}
{{- end -}}
{{- end -}}

{{- define "keel.image" -}}
{{- $img := .root.Values.image -}}
{{- printf "%s/%s-%s:%s" $img.registry $img.repositoryPrefix .service ($img.tag | default .root.Chart.AppVersion) -}}
{{- end -}}

{{- define "keel.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "keel.containerSecurityContext" -}}
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
{{- end -}}

{{/* Environment of every Keel container: the service's ConfigMap and Secret. */}}
{{- define "keel.envFrom" -}}
- configMapRef:
    name: {{ include "keel.serviceName" . }}
- secretRef:
    name: {{ include "keel.serviceName" . }}
{{- end -}}

{{/* The pod's own address, for registering with Consul. */}}
{{- define "keel.podEnv" -}}
- name: POD_IP
  valueFrom:
    fieldRef:
      fieldPath: status.podIP
{{- end -}}

{{/* The service's plain settings, as a map (ConfigMap data and the migration Job's env). */}}
{{- define "keel.config" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $full := include "keel.fullname" $root -}}
{{- $cfg := deepCopy $v.config -}}
{{- $_ := set $cfg "SERVICE_NAME" .service -}}
{{- $_ = set $cfg "HTTP_PORT" "8080" -}}
{{- $_ = set $cfg "GRPC_PORT" "50051" -}}
{{- $_ = set $cfg "METRICS_PORT" "9100" -}}
{{- $_ = set $cfg "JWKS_URL" (printf "http://%s-auth-web:8080/.well-known/jwks.json" $full) -}}
{{- $_ = set $cfg "DISCOVERY" $v.discovery.mode -}}
{{- if include "keel.grpcTlsOn" . -}}
{{- $_ = set $cfg "GRPC_TLS_CERT_FILE" (printf "%s/tls.crt" $v.grpcTls.mountPath) -}}
{{- $_ = set $cfg "GRPC_TLS_KEY_FILE" (printf "%s/tls.key" $v.grpcTls.mountPath) -}}
{{- $_ = set $cfg "GRPC_TLS_CA_FILE" (printf "%s/ca.crt" $v.grpcTls.mountPath) -}}
{{- $_ = set $cfg "GRPC_HEALTH_PORT" (toString $v.grpcTls.healthPort) -}}
{{- end -}}
{{- if eq $v.discovery.mode "consul" -}}
{{- $_ = set $cfg "CONSUL_HTTP_ADDR" $v.discovery.consulAddr -}}
{{- else -}}
{{- $peers := list -}}
{{- range $name := keys $v.services | sortAlpha -}}
{{- if include "keel.hasBackend" (dict "root" $root "service" $name) -}}
{{- $peers = append $peers (printf "%s=%s-%s-grpc:50051" $name $full $name) -}}
{{- end -}}
{{- end -}}
{{- $_ = set $cfg "STATIC_SERVICES" (join "," $peers) -}}
{{- end -}}
{{- $svc := index $v.services .service -}}
{{- range $k, $val := $svc.env -}}
{{- $_ = set $cfg $k (toString $val) -}}
{{- end -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/* preStop sleep: the endpoints controller and kube-proxy drop the pod before it stops. */}}
{{- define "keel.lifecycle" -}}
{{- /* Flip readiness first (/readyz answers 503 once DRAIN_FILE exists), then keep serving
while the endpoints and the ingress drop the pod; SIGTERM (gunicorn's graceful stop) comes
after the sleep. */ -}}
preStop:
  exec:
    command: ["sh", "-c", "touch /tmp/keel-draining; sleep {{ .preStopSleepSeconds }}"]
{{- end -}}

{{- define "keel.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 256Mi
{{- end -}}

{{/*
The service's gRPC certificate (templates/certificates.yaml), mounted read-only in every
container of the service: servers present it, clients (any process kind, CronJobs) present
it too. Not in the migration hook: it runs before cert-manager issues anything and calls no
service. Needs the context of one service (.root, .service).
*/}}
{{/* "true" when the service's processes hold a gRPC certificate (not an app's). */}}
{{- define "keel.grpcTlsOn" -}}
{{- if and .root.Values.grpcTls.enabled (include "keel.hasBackend" .) -}}true{{- end -}}
{{- end -}}

{{- define "keel.grpcTlsSecret" -}}
{{- printf "%s-grpc-tls" (include "keel.serviceName" .) -}}
{{- end -}}

{{- define "keel.grpcTlsMount" -}}
{{- if include "keel.grpcTlsOn" . -}}
- name: grpc-tls
  mountPath: {{ .root.Values.grpcTls.mountPath }}
  readOnly: true
{{- end -}}
{{- end -}}

{{- define "keel.grpcTlsVolume" -}}
{{- if include "keel.grpcTlsOn" . -}}
- name: grpc-tls
  secret:
    secretName: {{ include "keel.grpcTlsSecret" . }}
    defaultMode: 0440
{{- end -}}
{{- end -}}

{{- define "keel.topologySpread" -}}
- maxSkew: 1
  topologyKey: topology.kubernetes.io/zone
  whenUnsatisfiable: {{ .root.Values.topologySpread.zone }}
  labelSelector:
    matchLabels:
      {{- include "keel.selectorLabels" . | nindent 6 }}
- maxSkew: 1
  topologyKey: kubernetes.io/hostname
  whenUnsatisfiable: {{ .root.Values.topologySpread.hostname }}
  labelSelector:
    matchLabels:
      {{- include "keel.selectorLabels" . | nindent 6 }}
{{- end -}}

{{/*
Refuse values that would run search's embedded index with several writers or readers that
cannot see it: the embedded engine needs colocate (one pod, one volume, one worker).
*/}}
{{- define "keel.checkSearchIndex" -}}
{{- $search := .Values.services.search -}}
{{- if $search.enabled -}}
{{- $env := $search.env | default dict -}}
{{- $engine := $env.SEARCH_ENGINE | default (ternary "opensearch" "embedded" (hasKey $env "OPENSEARCH_URL")) -}}
{{- if and (eq $engine "embedded") (not ($search.colocate | default dict).enabled) -}}
{{- fail "services.search: SEARCH_ENGINE=embedded keeps the index on local disk with one writer; set services.search.colocate.enabled, or SEARCH_ENGINE=opensearch with OPENSEARCH_URL" -}}
{{- end -}}
{{- end -}}
{{- end -}}
