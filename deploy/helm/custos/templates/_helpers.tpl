{{/* Name of every object: the release name, plus the chart name unless the release already contains it. */}}
{{- define "custos.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "custos.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "custos.labels" -}}
{{ include "custos.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "custos.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "custos.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "custos.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* custos.yaml: the config map with the listener, data directory and the Service's host names set by the chart. */}}
{{- define "custos.config" -}}
{{- $cfg := deepCopy .Values.config -}}
{{- $server := default dict $cfg.server -}}
{{- $name := include "custos.fullname" . -}}
{{- $svc := list $name (printf "%s.%s" $name .Release.Namespace) (printf "%s.%s.svc" $name .Release.Namespace) (printf "%s.%s.svc.cluster.local" $name .Release.Namespace) -}}
{{- $_ := set $server "host" "0.0.0.0" -}}
{{- $_ := set $server "port" (int .Values.containerPort) -}}
{{- $_ := set $server "allowedHosts" (concat (default list $server.allowedHosts) $svc | uniq) -}}
{{- $_ := set $cfg "server" $server -}}
{{- $_ := set $cfg "dataDir" "/data" -}}
{{- if .Values.postgres.enabled -}}
{{- $_ := set $cfg "database" (dict "jdbcUrl" .Values.postgres.jdbcUrl "user" .Values.postgres.user "passwordFile" "/etc/custos/postgres/password") -}}
{{- end -}}
{{- toYaml $cfg -}}
{{- end -}}
