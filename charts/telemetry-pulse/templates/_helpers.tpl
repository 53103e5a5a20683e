{{/*
Names, labels and the pieces every pod shares. Component templates call these with
(dict "root" $ "component" "processor") where a component is involved.
*/}}

{{/* Chart name, 63 characters at most. */}}
{{- define "telemetry-pulse.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Object name prefix: <release>-<chart>, or the release name alone when it already contains the chart name. */}}
{{- define "telemetry-pulse.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Name of a component's objects: <fullname>-<component>. */}}
{{- define "telemetry-pulse.componentName" -}}
{{- printf "%s-%s" (include "telemetry-pulse.fullname" .root | trunc 50 | trimSuffix "-") .component }}
{{- end }}

{{- define "telemetry-pulse.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object. */}}
{{- define "telemetry-pulse.labels" -}}
helm.sh/chart: {{ include "telemetry-pulse.chart" . }}
{{ include "telemetry-pulse.selectorLabels" . }}
app.kubernetes.io/version: {{ (default .Chart.AppVersion .Values.image.tag) | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: telemetry-pulse
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Labels that select the release's pods; never changes across upgrades. */}}
{{- define "telemetry-pulse.selectorLabels" -}}
app.kubernetes.io/name: {{ include "telemetry-pulse.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of a component's objects. */}}
{{- define "telemetry-pulse.componentLabels" -}}
{{ include "telemetry-pulse.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Labels that select a component's pods. */}}
{{- define "telemetry-pulse.componentSelectorLabels" -}}
{{ include "telemetry-pulse.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
The component's image: <registry>/<repository>/<component>[:tag|@digest]. The registry is the component's
imageRegistry, else global.imageRegistry, else image.registry (Bitnami's order: the global value overrides the
chart's default registry, a component's own wins over both); none at all leaves the reference unqualified.
*/}}
{{- define "telemetry-pulse.image" -}}
{{- $image := .root.Values.image }}
{{- $values := index .root.Values .component }}
{{- $repository := default (printf "%s/%s" $image.repository .component) $values.image }}
{{- $registry := coalesce $values.imageRegistry (.root.Values.global).imageRegistry $image.registry | default "" }}
{{- $ref := printf "%s/%s" $registry $repository | trimPrefix "/" }}
{{- if $image.digest }}
{{- printf "%s@%s" $ref $image.digest }}
{{- else }}
{{- printf "%s:%s" $ref (default .root.Chart.AppVersion $image.tag) }}
{{- end }}
{{- end }}

{{/* Service account of the application pods. */}}
{{- define "telemetry-pulse.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "telemetry-pulse.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* "true" when the cluster serves an API version (or assumeApiVersions says so), else "". */}}
{{- define "telemetry-pulse.hasApi" -}}
{{- if or (.root.Capabilities.APIVersions.Has .api) (has .api .root.Values.assumeApiVersions) }}true{{ end }}
{{- end }}

{{/* Whether the processor, API or simulator is rendered: "true" or "". */}}
{{- define "telemetry-pulse.enabled" -}}
{{- if and .root.Values.components.enabled (index .root.Values .component).enabled }}true{{ end }}
{{- end }}

{{/* TLS to the brokers, as KEDA needs it spelled out: "true" or "". KAFKA_SSL=auto means on with SASL. */}}
{{- define "telemetry-pulse.kafkaTls" -}}
{{- $tls := toString .Values.kafka.tls }}
{{- if or (eq $tls "true") (and (eq $tls "auto") (ne .Values.kafka.sasl.mechanism "none")) }}true{{ end }}
{{- end }}

{{/*
Checks across values that the schema cannot express; run once, from validate.yaml.
Every message says which value to change.
*/}}
{{- define "telemetry-pulse.validate" -}}
{{- $v := .Values }}
{{- $partitions := int $v.kafka.topic.partitions }}
{{- if and $v.components.enabled (or $v.processor.enabled $v.api.enabled $v.simulator.enabled) (not $v.kafka.brokers) }}
{{- fail "kafka.brokers is required: the bootstrap brokers as host:port, comma-separated (e.g. --set kafka.brokers=kafka:9092)" }}
{{- end }}
{{- if and $v.components.enabled (or $v.processor.enabled $v.api.enabled) (not $v.database.existingSecret) }}
{{- fail "database.existingSecret is required: a Secret whose key database.urlKey holds DATABASE_URL (kubectl create secret generic telemetry-db --from-literal=url=postgres://...)" }}
{{- end }}
{{- if and (ne $v.kafka.sasl.mechanism "none") (not $v.kafka.sasl.existingSecret) }}
{{- fail (printf "kafka.sasl.existingSecret is required with kafka.sasl.mechanism=%s: a Secret with keys %s and %s" $v.kafka.sasl.mechanism $v.kafka.sasl.usernameKey $v.kafka.sasl.passwordKey) }}
{{- end }}
{{- if eq $v.autoscaling.mode "none" }}
{{- if gt (int $v.processor.replicaCount) $partitions }}
{{- fail (printf "processor.replicaCount (%d) exceeds kafka.topic.partitions (%d): the extra consumers would sit idle" (int $v.processor.replicaCount) $partitions) }}
{{- end }}
{{- else }}
{{- if gt (int $v.autoscaling.maxReplicas) $partitions }}
{{- fail (printf "autoscaling.maxReplicas (%d) exceeds kafka.topic.partitions (%d): the extra consumers would sit idle" (int $v.autoscaling.maxReplicas) $partitions) }}
{{- end }}
{{- if gt (int $v.autoscaling.minReplicas) (int $v.autoscaling.maxReplicas) }}
{{- fail (printf "autoscaling.minReplicas (%d) exceeds autoscaling.maxReplicas (%d)" (int $v.autoscaling.minReplicas) (int $v.autoscaling.maxReplicas)) }}
{{- end }}
{{- if and (eq $v.autoscaling.mode "hpa") (lt (int $v.autoscaling.minReplicas) 1) }}
{{- fail "autoscaling.minReplicas must be at least 1 with autoscaling.mode=hpa (only KEDA scales to zero)" }}
{{- end }}
{{- if and (eq $v.autoscaling.mode "keda") (not (include "telemetry-pulse.hasApi" (dict "root" . "api" "keda.sh/v1alpha1"))) }}
{{- fail "autoscaling.mode=keda needs KEDA: the cluster does not serve keda.sh/v1alpha1 (install KEDA, or for helm template add --api-versions keda.sh/v1alpha1 or assumeApiVersions)" }}
{{- end }}
{{- end }}
{{- $managed := include "telemetry-pulse.managedEnv" $ | fromYamlArray }}
{{- if $v.notifications.enabled }}
{{- range $name, $_ := $v.notifications.secretEnv }}
{{- if has $name $managed }}
{{- fail (printf "notifications.secretEnv.%s is set by the chart from other values: name the secret another variable" $name) }}
{{- end }}
{{- if hasKey $v.processor.env $name }}
{{- fail (printf "notifications.secretEnv.%s is also in processor.env: set it in one of them" $name) }}
{{- end }}
{{- range $v.processor.extraEnv }}
{{- if eq .name $name }}
{{- fail (printf "notifications.secretEnv.%s is also in processor.extraEnv: set it in one of them" $name) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- range $component := list "processor" "api" "simulator" "operator" }}
{{- $c := index $v $component }}
{{- range $name, $_ := $c.env }}
{{- if has $name $managed }}
{{- fail (printf "%s.env.%s is set by the chart from other values (see values.yaml); secrets come from existing Secrets, never from env" $component $name) }}
{{- end }}
{{- end }}
{{- range $c.extraEnv }}
{{- if has .name $managed }}
{{- fail (printf "%s.extraEnv %s is set by the chart from other values (see values.yaml): change that value instead" $component .name) }}
{{- end }}
{{- if hasKey $c.env .name }}
{{- fail (printf "%s.extraEnv %s is also in %s.env: set it in one of them" $component .name $component) }}
{{- end }}
{{- end }}
{{- $volumes := list "tmp" }}
{{- if and (eq $component "processor") $v.alertRules.enabled }}
{{- $volumes = append $volumes "alert-rules" }}
{{- end }}
{{- if and (eq $component "processor") $v.notifications.enabled }}
{{- $volumes = append $volumes "notifications" }}
{{- end }}
{{- range $c.extraVolumes }}
{{- $volumes = append $volumes .name }}
{{- end }}
{{- range $c.extraVolumeMounts }}
{{- if not (has .name $volumes) }}
{{- fail (printf "%s.extraVolumeMounts mounts volume %s, which the pod does not have: add it to %s.extraVolumes" $component .name $component) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* Environment variables the chart sets itself; components' `env` may not override them. */}}
{{- define "telemetry-pulse.managedEnv" -}}
{{- toYaml (list "KAFKA_BROKERS" "KAFKA_CLIENT_ID" "KAFKA_SSL" "KAFKA_SASL_MECHANISM" "KAFKA_SASL_USERNAME" "KAFKA_SASL_PASSWORD" "DATABASE_URL" "DATABASE_POOL_MAX" "API_KEYS" "API_INGEST_KEYS" "API_PORT" "PROCESSOR_PORT" "SIM_METRICS_PORT" "PROCESSOR_TOPIC" "PROCESSOR_DLQ_TOPIC" "PROCESSOR_GROUP_ID" "PROCESSOR_TOPIC_PARTITIONS" "SIM_TOPIC" "SIM_DLQ_TOPIC" "SIM_PARTITIONS" "SIM_CREATE_TOPICS" "ALERT_RULES_FILE" "NOTIFICATIONS_CONFIG" "LOG_LEVEL" "OTEL_EXPORTER_OTLP_ENDPOINT" "OTEL_TRACES_SAMPLER" "OTEL_TRACES_SAMPLER_ARG" "OTEL_RESOURCE_ATTRIBUTES" "OPERATOR_WATCH_NAMESPACE" "OPERATOR_LEADER_ELECTION" "OPERATOR_LEASE_NAME" "OPERATOR_LEASE_NAMESPACE" "OPERATOR_PORT" "POD_NAME" "POD_UID" "POD_NAMESPACE" "KUBECONFIG") }}
{{- end }}

{{/* Kafka connection variables; the SASL credentials come from the existing Secret. */}}
{{- define "telemetry-pulse.kafkaEnv" -}}
{{- $k := .Values.kafka }}
- name: KAFKA_BROKERS
  value: {{ $k.brokers | quote }}
{{- with $k.clientId }}
- name: KAFKA_CLIENT_ID
  value: {{ . | quote }}
{{- end }}
- name: KAFKA_SSL
  value: {{ $k.tls | toString | quote }}
- name: KAFKA_SASL_MECHANISM
  value: {{ $k.sasl.mechanism | quote }}
{{- if ne $k.sasl.mechanism "none" }}
- name: KAFKA_SASL_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ $k.sasl.existingSecret }}
      key: {{ $k.sasl.usernameKey }}
- name: KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $k.sasl.existingSecret }}
      key: {{ $k.sasl.passwordKey }}
{{- end }}
{{- end }}

{{/* PostgreSQL variables; the URL (with its password) comes from the existing Secret. */}}
{{- define "telemetry-pulse.databaseEnv" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.database.existingSecret }}
      key: {{ .Values.database.urlKey }}
- name: DATABASE_POOL_MAX
  value: {{ .Values.database.poolMax | toString | quote }}
{{- end }}

{{/* Log level and tracing variables (tracing only with an endpoint). */}}
{{- define "telemetry-pulse.commonEnv" -}}
- name: LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
{{- with .Values.tracing }}
{{- if .endpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ .endpoint | quote }}
{{- with .sampler }}
- name: OTEL_TRACES_SAMPLER
  value: {{ . | quote }}
{{- end }}
{{- with .samplerArg }}
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ . | toString | quote }}
{{- end }}
{{- $attrs := list (printf "k8s.namespace.name=%s" $.Release.Namespace) }}
{{- range $key, $value := .resourceAttributes }}
{{- $attrs = append $attrs (printf "%s=%s" $key (toString $value)) }}
{{- end }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ join "," $attrs | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* A component's own `env` map, names sorted. */}}
{{- define "telemetry-pulse.envMap" -}}
{{- range $name, $value := . }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end }}

{{/*
A user-supplied value rendered through tpl, so it may use `{{ .Release.Name }}` and the chart's templates: a
string is templated as it is, anything else as its YAML (Bitnami's common.tplvalues.render).
Called with (dict "value" … "root" $).
*/}}
{{- define "telemetry-pulse.tplValue" -}}
{{- if typeIs "string" .value }}
{{- tpl .value .root }}
{{- else }}
{{- tpl (toYaml .value) .root }}
{{- end }}
{{- end }}

{{/*
Items of a component's extra list (extraEnv, extraVolumes, extraVolumeMounts), templated, each on a new line
at `indent`, to follow the chart's own items; nothing when the list is empty.
Called with (dict "root" $ "values" .Values.<component> "key" "extraEnv" "indent" 12).
*/}}
{{- define "telemetry-pulse.extraItems" -}}
{{- with (index .values .key) }}
{{- include "telemetry-pulse.tplValue" (dict "value" . "root" $.root) | nindent $.indent }}
{{- end }}
{{- end }}

{{/* Pod-level fields every pod shares: service account, security context, pull secrets. */}}
{{- define "telemetry-pulse.podCommon" -}}
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .root.Values.podSecurityContext | nindent 2 }}
{{- with .values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Spread over zones and nodes unless the component sets its own constraints. */}}
{{- define "telemetry-pulse.topologySpread" -}}
topologySpreadConstraints:
{{- if .values.topologySpreadConstraints }}
  {{- toYaml .values.topologySpreadConstraints | nindent 2 }}
{{- else }}
{{- range $key := list "topology.kubernetes.io/zone" "kubernetes.io/hostname" }}
  - maxSkew: 1
    topologyKey: {{ $key }}
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "telemetry-pulse.componentSelectorLabels" $ | nindent 8 }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The container fields every container shares: image, security context, and the last log lines as the
termination message of a container that fails without writing one (a crash loop's cause in the pod's status).
*/}}
{{- define "telemetry-pulse.containerCommon" -}}
image: {{ include "telemetry-pulse.image" . }}
imagePullPolicy: {{ .root.Values.image.pullPolicy }}
securityContext:
  {{- toYaml .root.Values.containerSecurityContext | nindent 2 }}
terminationMessagePolicy: FallbackToLogsOnError
{{- end }}

{{/* The writable /tmp of a read-only root file system. */}}
{{- define "telemetry-pulse.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end }}

{{- define "telemetry-pulse.tmpMount" -}}
- name: tmp
  mountPath: /tmp
{{- end }}

{{/* Probes of a component, from its values. */}}
{{- define "telemetry-pulse.probes" -}}
{{- range $probe := list "livenessProbe" "readinessProbe" "startupProbe" }}
{{- with (index $.values $probe) }}
{{ $probe }}:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
{{- end }}

{{/* NetworkPolicy egress rule to DNS (UDP and TCP 53). */}}
{{- define "telemetry-pulse.dnsEgress" -}}
# DNS
- to:
    {{- toYaml .Values.networkPolicy.dns.to | nindent 4 }}
  ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- end }}

{{/* NetworkPolicy egress rule: TCP `ports` to the `to` peers, or to any destination when there are none. */}}
{{- define "telemetry-pulse.egressTo" -}}
# {{ .what }}
- ports:
    {{- range .ports }}
    - port: {{ . }}
      protocol: TCP
    {{- end }}
  {{- with .to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/* Service account of the operator. */}}
{{- define "telemetry-pulse.operatorServiceAccountName" -}}
{{- if .Values.operator.serviceAccount.create }}
{{- default (include "telemetry-pulse.componentName" (dict "root" . "component" "operator")) .Values.operator.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.operator.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Name of the operator's leader-election Lease. */}}
{{- define "telemetry-pulse.operatorLeaseName" -}}
{{- default (include "telemetry-pulse.componentName" (dict "root" . "component" "operator")) .Values.operator.leaseName }}
{{- end }}
