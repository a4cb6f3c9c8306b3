"""The emitter's values typed the way users type them on the command line (`--set`, where
Helm turns digits into numbers and `{a,b}` into a list), and the rendered environment the
emitter reads: what helm-unittest's typed `set:` cannot show."""

import pytest

import chart


def emitter_env(*set_args):
    """The emitter container's environment, by name, as `helm template --set ...` renders it."""
    args = [a for s in set_args for a in ("--set", s)]
    docs = chart.documents(chart.template(*args))
    deployment = chart.find(docs, "Deployment", name=f"{chart.RELEASE}-emitter")
    env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    return {e["name"]: e.get("value") for e in env}


def pipeline_words(*set_args):
    args = [a for s in set_args for a in ("--set", s)]
    docs = chart.documents(chart.template(*args))
    pod = chart.find(docs, "Pod", name=f"{chart.RELEASE}-test-pipeline")
    return {e["name"]: e.get("value") for e in pod["spec"]["containers"][0]["env"]}["WORDS"]


def test_seed_and_interval_typed_as_numbers_are_accepted():
    env = emitter_env("emitter.seed=42", "emitter.interval=0")
    assert env["EMITTER_SEED"] == "42"
    assert env["EMITTER_INTERVAL"] == "0"


def test_a_word_list_alone_is_drawn_from_whole():
    env = emitter_env("emitter.wordList={a,b}")
    assert (env["EMITTER_WORD_LIST"], env["EMITTER_WORDS"]) == ("a,b", "2")
    assert pipeline_words("emitter.wordList={a,b}") == "['a','b']"


def test_rate_and_replicas_for_a_load_test():
    args = ["emitter.rate=5000", "emitter.replicas=3"]
    env = emitter_env(*args)
    assert env["EMITTER_RATE"] == "5000" and "EMITTER_INTERVAL" not in env
    docs = chart.documents(chart.template(*[a for s in args for a in ("--set", s)]))
    assert chart.find(docs, "Deployment", name=f"{chart.RELEASE}-emitter")["spec"]["replicas"] == 3


@pytest.mark.parametrize("setting,message", [
    ("emitter.logLevel=warn", "emitter.logLevel=warn hides the tick lines"),
    ("emitter.logLevel=error", "set emitter.logLevel to info, debug or trace"),
    ("emitter.rate=0", "at '/rate': minimum: got 0, want 1"),
    ("emitter.interval=5", "at '/interval': value must be 0"),
    ("emitter.words=3,emitter.wordList={a,b}", "emitter.words is 3 but emitter.wordList holds 2 words"),
])
def test_contradictory_values_are_refused_naming_the_fix(setting, message):
    proc = chart.run("helm", "template", chart.RELEASE, chart.CHART, "--set", setting)
    assert proc.returncode != 0, f"helm template accepted --set {setting}"
    assert message in chart.output(proc), chart.output(proc)
