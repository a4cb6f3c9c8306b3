"""The emitter's values typed the way users type them on the command line (`--set`, where
Helm turns digits into numbers and `{a,b}` into a list), and the rendered environment the
emitter reads: what helm-unittest's typed `set:` cannot show."""

import chart


def rendered(*set_args):
    """The objects `helm template --set a --set b ...` renders."""
    return chart.documents(chart.template(*[a for s in set_args for a in ("--set", s)]))


def emitter_env(*set_args):
    """The emitter container's environment, by name, as `helm template --set ...` renders it."""
    deployment = chart.find(rendered(*set_args), "Deployment", name=f"{chart.RELEASE}-emitter")
    return chart.env(chart.pod_spec(deployment)["containers"][0])


def pipeline_words(*set_args):
    pod = chart.find(rendered(*set_args), "Pod", name=f"{chart.RELEASE}-test-pipeline")
    return chart.env(chart.pod_spec(pod)["containers"][0])["WORDS"]


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
    assert chart.find(rendered(*args), "Deployment", name=f"{chart.RELEASE}-emitter")["spec"]["replicas"] == 3
