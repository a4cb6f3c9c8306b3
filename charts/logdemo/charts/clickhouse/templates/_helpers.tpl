{{/* clickhouse.config: the config.d override; ports come from global.clickhouse. */}}
{{- define "clickhouse.config" -}}
{{- $ch := .Values.global.clickhouse -}}
<clickhouse>
    <!-- Every interface; listen_try keeps the server up on a node without IPv6. -->
    <listen_host>::</listen_host>
    <listen_host>0.0.0.0</listen_host>
    <listen_try>1</listen_try>
    <http_port>{{ $ch.httpPort }}</http_port>
    <tcp_port>{{ $ch.nativePort }}</tcp_port>
    <prometheus>
        <endpoint>/metrics</endpoint>
        <port>{{ $ch.metricsPort }}</port>
        <metrics>true</metrics>
        <events>true</events>
        <asynchronous_metrics>true</asynchronous_metrics>
    </prometheus>
    <!-- Logs go to the console (kubectl logs); the root filesystem is read-only. -->
    <logger>
        <level>{{ .Values.logLevel }}</level>
        <console>1</console>
        <log remove="remove"/>
        <errorlog remove="remove"/>
    </logger>
    <path>/var/lib/clickhouse/</path>
    <tmp_path>/var/lib/clickhouse/tmp/</tmp_path>
    <user_files_path>/var/lib/clickhouse/user_files/</user_files_path>
    <format_schema_path>/var/lib/clickhouse/format_schemas/</format_schema_path>
</clickhouse>
{{- end -}}

{{/*
clickhouse.users: the users.d override. Names and database come from global.clickhouse; each
password is read by the server from its environment (from_env), filled from the Secret.
*/}}
{{- define "clickhouse.users" -}}
{{- $ch := .Values.global.clickhouse -}}
{{- $u := $ch.users -}}
<clickhouse>
    <profiles>
        <logdemo_admin/>
        <logdemo_ingest/>
        <!-- readonly 2: no writes and no DDL, but HyperDX may still change query settings. -->
        <logdemo_reader>
            <readonly>2</readonly>
        </logdemo_reader>
    </profiles>
    <users>
        <!-- No password-less default user. -->
        <default remove="remove"/>
        <{{ $u.admin }}>
            <password from_env="CLICKHOUSE_ADMIN_PASSWORD"/>
            <networks><ip>::/0</ip></networks>
            <profile>logdemo_admin</profile>
            <!-- What files/schema.sql runs, and no more: CREATE DATABASE and CREATE TABLE (IF NOT
                 EXISTS still needs them), ALTER ... MODIFY TTL and ALTER ... MODIFY COLUMN (the
                 codec). SELECT version() reads system.one, which every user may read. -->
            <grants>
                <query>GRANT CREATE DATABASE, CREATE TABLE, ALTER TTL, ALTER MODIFY COLUMN ON {{ $ch.database }}.*</query>
            </grants>
        </{{ $u.admin }}>
        <{{ $u.ingest }}>
            <password from_env="CLICKHOUSE_INGEST_PASSWORD"/>
            <networks><ip>::/0</ip></networks>
            <profile>logdemo_ingest</profile>
            <grants>
                <query>GRANT INSERT ON {{ $ch.database }}.*</query>
            </grants>
        </{{ $u.ingest }}>
        <{{ $u.reader }}>
            <password from_env="CLICKHOUSE_READER_PASSWORD"/>
            <networks><ip>::/0</ip></networks>
            <profile>logdemo_reader</profile>
            <grants>
                <query>GRANT SELECT ON {{ $ch.database }}.*</query>
                <query>GRANT SELECT ON system.*</query>
            </grants>
        </{{ $u.reader }}>
    </users>
</clickhouse>
{{- end -}}

{{/*
clickhouse.createReplicatedDatabase: with global.clickhouse.cluster set, the statement creating
the database ON CLUSTER with the Replicated engine; "" otherwise. Names are checked by
values.schema.json (identifiers, no quotes), so they can be written into the statement.
*/}}
{{- define "clickhouse.createReplicatedDatabase" -}}
{{- $ch := .Values.global.clickhouse -}}
{{- if $ch.cluster -}}
{{- $r := .Values.schema.replicated -}}
{{- $zooPath := $r.zooPath | default (printf "/clickhouse/databases/%s" $ch.database) -}}
{{- printf "CREATE DATABASE IF NOT EXISTS `%s` ON CLUSTER `%s` ENGINE = Replicated('%s', '%s', '%s')" $ch.database $ch.cluster $zooPath $r.shard $r.replica -}}
{{- end -}}
{{- end -}}
