{{- define "k8s-advisor.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "k8s-advisor.fullname" -}}
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

{{- define "k8s-advisor.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "k8s-advisor.selectorLabels" -}}
app.kubernetes.io/name: {{ include "k8s-advisor.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: {{ .Values.mode }}
{{- end }}

{{- define "k8s-advisor.labels" -}}
helm.sh/chart: {{ include "k8s-advisor.chart" . }}
{{ include "k8s-advisor.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "k8s-advisor.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "k8s-advisor.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "k8s-advisor.configMapName" -}}
{{- default (include "k8s-advisor.fullname" .) .Values.existingConfigMap }}
{{- end }}

{{/*
Namespaces where a probe dry-run-creates objects, as a JSON list per kind:
values (rbac.admissionNamespaces / rbac.networkPolicyNamespaces) plus every
environments.*.checks.<kind>.namespace of a `config` given as a map.
Usage: include "k8s-advisor.dryRunNamespaces" (dict "root" . "kind" "admission")
*/}}
{{- define "k8s-advisor.dryRunNamespaces" -}}
{{- $root := .root -}}
{{- $list := list -}}
{{- if eq .kind "admission" }}{{ $list = concat $list $root.Values.rbac.admissionNamespaces }}{{ end -}}
{{- if eq .kind "networkPolicy" }}{{ $list = concat $list $root.Values.rbac.networkPolicyNamespaces }}{{ end -}}
{{- if kindIs "map" $root.Values.config -}}
{{- range $env, $settings := ($root.Values.config.environments | default dict) -}}
{{- $checks := (default dict $settings).checks | default dict -}}
{{- $probe := get $checks $.kind | default dict -}}
{{- with $probe.namespace }}{{ $list = append $list . }}{{ end -}}
{{- end -}}
{{- end -}}
{{- $list | uniq | sortAlpha | toJson -}}
{{- end }}

{{/* The Secret and key the Redis URL comes from, or nothing (plain value). */}}
{{- define "k8s-advisor.redisEnv" -}}
{{- if .Values.redis.existingSecret }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef: { name: {{ .Values.redis.existingSecret | quote }}, key: {{ .Values.redis.existingSecretKey | quote }} }
{{- else }}
- name: REDIS_URL
  value: {{ .Values.redis.url | quote }}
{{- end }}
{{- end }}

{{/* checksum/config: of the rendered config, or of the existing ConfigMap's data (looked up at install/upgrade). */}}
{{- define "k8s-advisor.configChecksum" -}}
{{- if .Values.existingConfigMap -}}
{{- $cm := lookup "v1" "ConfigMap" .Release.Namespace .Values.existingConfigMap | default dict -}}
{{- printf "%s/%s" .Values.existingConfigMap (toJson ($cm.data | default dict)) | sha256sum -}}
{{- else -}}
{{- toJson .Values.config | sha256sum -}}
{{- end -}}
{{- end }}
