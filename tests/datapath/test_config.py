"""The chart's fluent-bit.yaml says what the design contracts and docs/interfaces.md require."""

import fnmatch
import re
import urllib.parse

import fluentbit as fb

INTERFACES = fb.ROOT / "docs" / "interfaces.md"


def interface_env_vars():
    """The variables docs/interfaces.md says the fluent-bit config reads."""
    text = INTERFACES.read_text(encoding="utf-8")
    section = text.split("## fluent-bit", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip() for line in section.splitlines() if line.strip().startswith("| `")]
    names = {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}
    assert len(names) >= 10, f"found only {sorted(names)} in {INTERFACES}"
    return names


def env_refs(value):
    return set(re.findall(r"\$\{([A-Za-z0-9_]+)\}", str(value)))


def test_reads_exactly_the_documented_environment():
    text = fb.FLUENT_BIT_CONFIG.read_text(encoding="utf-8")
    used = env_refs(text)
    assert used == interface_env_vars()


def tail_glob(namespace):
    """The tail path with FLUENT_BIT_TAIL_NAMESPACE set as the DaemonSet sets it."""
    return fb.plugin("inputs", "tail")["path"].replace("${FLUENT_BIT_TAIL_NAMESPACE}", namespace)


# Files as the kubelet names them: <pod>_<namespace>_<container>-<container id>.log
LOG_FILES = {
    "logdemo": ["logdemo-emitter-5d8f7b9c4d-x7k2p_logdemo_emitter-" + "3f9a" * 16 + ".log",
                "logdemo-clickhouse-0_logdemo_clickhouse-" + "ab" * 32 + ".log"],
    "logdemo2": ["logdemo2-emitter-6c9d8e7f5a-q2w3e_logdemo2_emitter-" + "cd" * 32 + ".log"],
    # a namespace whose name ends like another's
    "x-logdemo": ["web-0_x-logdemo_nginx-" + "ef" * 32 + ".log"],
    "kube-system": ["coredns-7db6d8ff4d-abcde_kube-system_coredns-" + "01" * 32 + ".log"],
}


def test_tail_reads_its_namespace_or_every_namespace():
    # fluent-bit expands the path with glob(3), which fnmatch follows for names without "/".
    every = {f for files in LOG_FILES.values() for f in files}
    for namespace, files in LOG_FILES.items():
        matched = {f for f in every if fnmatch.fnmatchcase("/var/log/containers/" + f, tail_glob(namespace))}
        assert matched == set(files), namespace
    assert {f for f in every if fnmatch.fnmatchcase("/var/log/containers/" + f, tail_glob("*"))} == every


def test_tail_skips_only_fluent_bits_own_container():
    # fluent-bit 5.1.1 tests every file the path matches with fnmatch(exclude_path, path, 0)
    # (plugins/in_tail/tail_scan_glob.c, tail_is_excluded), which fnmatchcase follows.
    exclude = fb.plugin("inputs", "tail")["exclude_path"]
    own = "logdemo-fluent-bit-9xk2q_logdemo_fluent-bit-" + "7e" * 32 + ".log"
    kept = [f for files in LOG_FILES.values() for f in files] + [
        # a namespace and a pod whose names start like the container's
        "logdemo-emitter-5d8f7b9c4d-x7k2p_fluent-bit-demo_emitter-" + "5a" * 32 + ".log",
        "fluent-bit-docs-0_web_nginx-" + "6b" * 32 + ".log",
    ]
    assert fnmatch.fnmatchcase("/var/log/containers/" + own, exclude), exclude
    skipped = [f for f in kept if fnmatch.fnmatchcase("/var/log/containers/" + f, exclude)]
    assert not skipped, f"exclude_path {exclude} skips {skipped}"


def test_tail_reads_both_runtimes_and_keeps_its_place():
    tail = fb.plugin("inputs", "tail")
    assert tail["path"].startswith("/var/log/containers/")
    assert [p.strip() for p in tail["multiline.parser"].split(",")] == ["docker", "cri"]
    assert "fluent-bit" in tail["exclude_path"]
    assert tail["db"].startswith("${FLUENT_BIT_STATE_DIR}/")
    assert tail["storage.type"] == "filesystem"
    assert fb._on(tail["read_from_head"])


def test_kubernetes_filter_merges_json_lines():
    k8s = fb.plugin("filters", "kubernetes")
    merge_log, merge_key, keep_log, trim = fb.merge_settings()
    assert merge_log and merge_key
    # fluent-bit merges `{"a":1} text` as {"a":1} and `{}` as nothing: the Lua filter
    # needs the raw line beside the merged map to keep such lines whole.
    assert keep_log, "keep_log must be on"
    assert not trim, "merge_log_trim would cut trailing newlines off logged values"
    assert fb._on(k8s["labels"])  # ServiceName comes from the pod's labels
    size = str(k8s["buffer_size"])
    assert size == "0" or size.upper().endswith(("M", "MB")), "Buffer_Size must fit whole pod specs"


def test_lua_filter_is_the_charts_file_with_time_as_table():
    lua = fb.plugin("filters", "lua")
    assert (fb.FLUENT_BIT_CONFIG.parent / lua["script"]).resolve() == fb.LUA_FILTER.resolve()
    assert lua["call"] == "to_otel"
    assert fb._on(lua["time_as_table"])
    assert re.search(r"^function to_otel\(tag, timestamp, record\)", fb.LUA_FILTER.read_text(), re.M)


def test_http_output_inserts_json_lines_as_the_ingest_user():
    http = fb.plugin("outputs", "http")
    assert http["format"] == "json_lines"
    assert str(http["json_date_key"]).lower() == "false"
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(http["uri"]).query)["query"][0]
    assert query == "INSERT INTO ${CLICKHOUSE_DATABASE}.${CLICKHOUSE_LOGS_TABLE} FORMAT JSONEachRow"
    for key in ("host", "port", "tls", "http_user", "http_passwd", "retry_limit", "storage.total_limit_size"):
        assert env_refs(http[key]) and str(http[key]).startswith("${"), f"{key} must come from the environment"
    assert http["http_passwd"] == "${CLICKHOUSE_PASSWORD}"


def test_service_serves_health_and_buffers_on_the_host():
    service = fb.pipeline_config()["service"]
    assert fb._on(service["http_server"]) and fb._on(service["health_check"])
    assert service["http_port"] == "${FLUENT_BIT_HTTP_PORT}"
    assert service["storage.path"].startswith("${FLUENT_BIT_STATE_DIR}/")


# What docs/data-path.md (Outages) promises: a ClickHouse outage this long loses no chunk to
# the retry limit, and a chunk is tried again this soon after ClickHouse answers.
PROMISED_OUTAGE_S = 360
RETRY_AFTER_RECOVERY_MAX_S = 7


def retry_wait_bounds(base, cap):
    """Shortest and longest wait fluent-bit 5.1.1 picks before a retry: uniform(base,
    min(cap, base * 2^n)) + 1 s, n >= 1 (src/flb_scheduler.c, backoff_full_jitter and
    flb_sched_request_create)."""
    return base + 1, max(base, cap) + 1


def test_retries_outlast_the_promised_outage_and_resume_soon_after():
    service = fb.pipeline_config()["service"]
    base, cap = int(service["scheduler.base"]), int(service["scheduler.cap"])
    shortest, longest = retry_wait_bounds(base, cap)
    values = fb.yaml.safe_load((fb.CHART / "charts" / "fluent-bit" / "values.yaml").read_text())
    retry_limit = values["retryLimit"]
    assert isinstance(retry_limit, int), "a finite retry limit (the design contracts: fluent-bit retries, then drops)"
    assert retry_limit * shortest >= PROMISED_OUTAGE_S, (
        f"{retry_limit} retries of at least {shortest} s cover only {retry_limit * shortest} s")
    assert longest <= RETRY_AFTER_RECOVERY_MAX_S, f"a retry may wait {longest} s"


def test_tail_leaves_the_runtimes_page_cache_alone():
    # file_cache_advise (default on) makes every read flush the runtime's dirty pages.
    assert not fb._on(fb.plugin("inputs", "tail")["file_cache_advise"])
