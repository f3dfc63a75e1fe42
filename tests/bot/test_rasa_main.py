"""bot/rasa_main.py: Rasa checks the action server's answers as before, with a validator built once."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"

pytestmark = pytest.mark.skipif(not RASA_PYTHON.exists(), reason=f"no Rasa at {RASA_PYTHON} (make setup builds it)")

# Run in Rasa's environment: each answer checked by Rasa's own method, then by Muni's, and how many
# times the schema itself was checked against the meta-schema while Muni's method ran.
SCRIPT = r"""
import json, runpy, sys
from jsonschema import ValidationError, validators
from rasa.core.actions.action import RemoteAction

answers = json.loads(sys.argv[1])
action = RemoteAction("action_finish_booking", None)

def outcome(method, answer):
    try:
        return method(action, answer)
    except ValidationError as error:
        return "invalid: " + error.message

rasas = [outcome(RemoteAction._validate_action_result, answer) for answer in answers]
runpy.run_path(sys.argv[2])["install"]()
checked = []
kind = validators.validator_for(RemoteAction.action_response_format_spec())
original = kind.check_schema
kind.check_schema = classmethod(lambda cls, schema, **kw: (checked.append(1), original(schema, **kw))[1])
munis = [outcome(RemoteAction._validate_action_result, answer) for answer in answers * 3]
print(json.dumps({"rasa": rasas, "muni": munis, "schema_checks": len(checked)}))
"""

ANSWERS = [
    {"events": [{"event": "slot", "name": "booking_hold", "value": "h-1", "timestamp": None}],
     "responses": [{"text": "Din tid er bestilt", "buttons": [{"title": "Ja", "payload": "/affirm"}]}]},
    {"events": [], "responses": []},
    {"events": "not a list", "responses": []},
    {"events": [{"event": "no_such_event"}], "responses": []},
    {"events": [], "responses": ["not an object"]},
]


def test_answers_are_judged_as_rasa_judges_them_with_the_schema_checked_once() -> None:
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", SCRIPT, json.dumps(ANSWERS), str(ROOT / "bot" / "rasa_main.py")],
        cwd=ROOT, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"), capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    judged = json.loads(result.stdout.strip().splitlines()[-1])
    assert judged["rasa"][:2] == [True, True]
    assert all(str(verdict).startswith("invalid: ") for verdict in judged["rasa"][2:])
    assert judged["muni"] == judged["rasa"] * 3  # the same verdicts and messages, Rasa's hint included
    assert "Failed to validate Action server response" in judged["muni"][2]
    assert judged["schema_checks"] == 1  # once for fifteen answers, not once per answer


# DIET's prediction through the traced graph: the same intents and confidences as through tf.function.
PREDICTION_SCRIPT = r"""
import asyncio, json, runpy, sys
import numpy as np, tensorflow as tf
from rasa.core.agent import Agent
from rasa.utils.tensorflow.models import RasaModel

messages = json.loads(sys.argv[1])
main = runpy.run_path(sys.argv[2])

async def run():
    agent = Agent.load(sys.argv[3])
    parse = lambda: asyncio.gather(*(agent.parse_message(text) for text in messages))
    rankings = lambda parsed: [[(i["name"], i["confidence"]) for i in p["intent_ranking"]] for p in parsed]
    rasas = rankings(await parse())
    models = []
    main["install_traced_prediction"]()
    patched = RasaModel._rasa_predict
    RasaModel._rasa_predict = lambda self, batch: (models.append(self), patched(self, batch))[1]
    munis = rankings(await parse())
    direct = sum({id(m): m._tf_predict_step.direct for m in models}.values())

    step = tf.function(lambda batch: {"sum": tf.reduce_sum(batch[0])},
                       input_signature=[[tf.TensorSpec([None, None], tf.float32)]])
    step((np.ones((1, 2), np.float32),))
    traced = main["TracedPrediction"](step)
    fits = float(traced((np.full((2, 3), 2.0, np.float32),))["sum"])
    other = float(traced(([[1.0, 2.0]],))["sum"])  # a list, not an array of the traced type: tf.function's way
    print(json.dumps({"rasa": rasas, "muni": munis, "direct": direct, "fits": fits, "other": other,
                      "toy_direct": traced.direct}))

asyncio.run(run())
"""

MESSAGES = ["hvad koster et pas", "hvornår hentes skraldet", "jeg vil bestille en tid", "hej", "what does a passport cost",
            "asdf qwerty", "flytning"]
MODEL = ROOT / "models" / "muni.tar.gz"


@pytest.mark.skipif(not MODEL.exists(), reason=f"no trained model at {MODEL} (make setup trains it)")
def test_diet_predicts_through_the_traced_graph_exactly_as_through_tf_function() -> None:
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", PREDICTION_SCRIPT, json.dumps(MESSAGES), str(ROOT / "bot" / "rasa_main.py"), str(MODEL)],
        cwd=ROOT, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"), capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(seen["muni"]) == len(MESSAGES)
    for rasas, munis in zip(seen["rasa"], seen["muni"], strict=True):
        assert [name for name, _ in munis] == [name for name, _ in rasas]
        assert [confidence for _, confidence in munis] == pytest.approx([confidence for _, confidence in rasas], abs=1e-6)
    assert seen["direct"] >= len(MESSAGES)  # every message went to the graph directly
    assert (seen["fits"], seen["other"], seen["toy_direct"]) == (12.0, 3.0, 1)


# The loaded model's objects frozen out of the collector: what a full collection still has to walk.
FREEZE_SCRIPT = r"""
import asyncio, gc, json, runpy, sys
if sys.argv[3] == "muni":
    runpy.run_path(sys.argv[1])["install"]()
from rasa.core.agent import Agent

async def run():
    agent = Agent.load(sys.argv[2])
    intents = [(await agent.parse_message(text))["intent"]["name"] for text in json.loads(sys.argv[4])]
    print(json.dumps({"frozen": gc.get_freeze_count(), "tracked": len(gc.get_objects()), "intents": intents}))

asyncio.run(run())
"""


@pytest.mark.skipif(not MODEL.exists(), reason=f"no trained model at {MODEL} (make setup trains it)")
def test_the_loaded_model_is_frozen_out_of_the_garbage_collectors_walk() -> None:
    seen = {}
    for how in ("rasa", "muni"):
        result = subprocess.run(
            [str(RASA_PYTHON), "-c", FREEZE_SCRIPT, str(ROOT / "bot" / "rasa_main.py"), str(MODEL), how, json.dumps(MESSAGES)],
            cwd=ROOT, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"), capture_output=True, text=True, timeout=300,
        )
        assert result.returncode == 0, result.stderr[-4000:]
        seen[how] = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["rasa"]["frozen"] == 0 and seen["rasa"]["tracked"] > 100_000  # Rasa's own: every collection walks the model
    assert seen["muni"]["frozen"] > 100_000
    assert seen["muni"]["tracked"] < seen["muni"]["frozen"] / 100  # what a full collection still walks
    assert seen["muni"]["intents"] == seen["rasa"]["intents"]


# Rasa's calls to an endpoint, by Rasa's own request and by Muni's: what each call got, what the server
# saw (the client's port tells its TCP connection apart), and how an error status came back.
POOL_SCRIPT = r"""
import asyncio, json, runpy, sys
from aiohttp import web
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

async def run(how):
    seen = []

    async def answer(request):
        seen.append({"port": request.transport.get_extra_info("peername")[1], "query": dict(request.query),
                     "header": request.headers.get("X-Muni"), "type": request.headers.get("Content-Type"),
                     "auth": request.headers.get("Authorization"), "body": await request.json()})
        if request.path.endswith("/missing"):
            return web.json_response({"error": "no such thing"}, status=404)
        if request.path.endswith("/text"):
            return web.Response(text="not json")
        return web.json_response({"events": [], "asked": len(seen)})

    app = web.Application()
    app.router.add_post("/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook", headers={"X-Muni": "1"}, token="t0k",
                              basic_auth={"username": "u", "password": "p"})
    got = [await endpoint.request(json={"n": n}, method="post", timeout=10) for n in range(3)]
    got.append(await endpoint.request(json={"n": 3}, method="post", subpath="text"))
    try:
        await endpoint.request(json={"n": 4}, method="post", subpath="missing")
        got.append("no error")
    except ClientResponseError as error:
        got.append([error.status, json.loads(error.text)])
    await runner.cleanup()
    return {"got": got, "seen": seen}

out = {"rasa": asyncio.run(run("rasa"))}
runpy.run_path(sys.argv[1])["install_pooled_endpoints"]()
out["muni"] = asyncio.run(run("muni"))
out["muni_again"] = asyncio.run(run("muni"))  # a new event loop gets a session of its own
print(json.dumps(out))
"""


def test_rasas_calls_to_the_action_server_reuse_one_connection_and_behave_as_rasas_own() -> None:
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", POOL_SCRIPT, str(ROOT / "bot" / "rasa_main.py")],
        cwd=ROOT, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"), capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    rasa, muni = out["rasa"], out["muni"]
    assert len({call["port"] for call in rasa["seen"]}) == 5  # Rasa's own: a new connection for every call
    assert len({call["port"] for call in muni["seen"]}) == 1  # Muni's: one kept-alive connection
    assert len({call["port"] for call in out["muni_again"]["seen"]}) == 1
    assert muni["got"] == rasa["got"] == out["muni_again"]["got"]
    assert muni["got"][:3] == [{"events": [], "asked": n} for n in (1, 2, 3)]
    assert muni["got"][3:] == [None, [404, {"error": "no such thing"}]]
    strip = [{key: value for key, value in call.items() if key != "port"} for call in muni["seen"]]
    assert strip == [{key: value for key, value in call.items() if key != "port"} for call in rasa["seen"]]
    assert strip[0] == {"query": {"token": "t0k"}, "header": "1", "type": "application/json",
                        "auth": "Basic dTpw", "body": {"n": 0}}


# The model's graph run by Rasa's DaskGraphRunner and by Muni's DirectGraphRunner, side by side: the
# parse of each message, the next action predicted after it, and a toy graph's calls and errors.
GRAPH_SCRIPT = r"""
import asyncio, json, runpy, sys
from pathlib import Path
from rasa.core import processor
from rasa.core.agent import Agent
from rasa.engine.exceptions import GraphComponentException, GraphRunError
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

messages, storage = json.loads(sys.argv[1]), Path(sys.argv[4])
calls = []

class Step(GraphComponent):
    @classmethod
    def create(cls, config, model_storage, resource, execution_context):
        return cls()

    def add(self, **values):
        calls.append(sorted(values))
        if values.get("left") == "boom":
            raise RuntimeError("boom")
        return sum(v for v in values.values() if isinstance(v, int)) + 1

# A diamond: "top" needs "left" and "right", both need "base", which needs the input "__number__";
# each node adds 1 to the sum of what it gets (1 -> base 2 -> left 3, right 3 -> top 7).
toy = GraphSchema({
    "base": SchemaNode({"n": "__number__"}, Step, "create", "add", {}),
    "left": SchemaNode({"base": "base"}, Step, "create", "add", {}),
    "right": SchemaNode({"base": "base"}, Step, "create", "add", {}),
    "top": SchemaNode({"left": "left", "right": "right"}, Step, "create", "add", {}, is_target=True),
})

def outcome(runner, inputs, targets=None):
    calls.clear()
    try:
        return {"result": runner.run(inputs, targets), "calls": list(calls)}
    except (GraphRunError, GraphComponentException) as error:
        return {"error": type(error).__name__, "message": str(error), "calls": list(calls)}

def toy_outcomes(runner_class):
    runner = runner_class(toy, LocalModelStorage(storage), ExecutionContext(toy, "toy"))
    return [
        outcome(runner, {"__number__": 1}),
        outcome(runner, {"__number__": 1}, ["left", "right"]),
        outcome(runner, {"__number__": 1, "left": "boom"}),  # an input of a node's name stands in for it
        outcome(runner, {"__number__": "base"}),  # an input naming a node
        outcome(runner, {}),  # the input missing
    ]

async def seen(agent):
    parsed, predicted = [], []
    for text in messages:
        parse = await agent.parse_message(text)
        parsed.append(parse)
        tracker = DialogueStateTracker.from_events("t", [
            ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
            UserUttered(text, parse["intent"], parse["entities"], parse),
        ], slots=agent.domain.slots)
        prediction = agent.processor.predict_next_with_tracker(tracker)
        best = max(prediction["scores"], key=lambda score: score["score"])
        predicted.append([best["action"], prediction["policy"], prediction["confidence"], prediction["scores"]])
    return {"runner": type(agent.processor.graph_runner).__name__, "parsed": parsed, "predicted": predicted}

out = {"rasa": asyncio.run(seen(Agent.load(sys.argv[3]))), "rasa_toy": toy_outcomes(DaskGraphRunner)}
runpy.run_path(sys.argv[2])["install_direct_graph_runner"]()
out["muni"] = asyncio.run(seen(Agent.load(sys.argv[3])))
out["muni_toy"] = toy_outcomes(processor.DaskGraphRunner)
print(json.dumps(out, default=str))
"""


@pytest.mark.skipif(not MODEL.exists(), reason=f"no trained model at {MODEL} (make setup trains it)")
def test_the_model_graph_runs_in_its_order_worked_out_once_exactly_as_through_dask(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", GRAPH_SCRIPT, json.dumps(MESSAGES), str(ROOT / "bot" / "rasa_main.py"), str(MODEL),
         str(tmp_path)],
        cwd=ROOT, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"), capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    rasa, muni = out["rasa"], out["muni"]
    assert (rasa["runner"], muni["runner"]) == ("DaskGraphRunner", "DirectGraphRunner")
    assert muni["parsed"] == rasa["parsed"]
    assert len({parse["intent"]["name"] for parse in muni["parsed"]}) > 2  # the messages are told apart
    assert muni["predicted"] == rasa["predicted"]
    assert len({best for best, _, _, _ in muni["predicted"]}) > 1  # the messages lead to different actions
    toy, rasa_toy = out["muni_toy"], out["rasa_toy"]
    # Node by node, the calls' order may differ from dask's where the graph leaves it open; each node runs once.
    assert [(o.get("result"), o.get("error"), o.get("message"), sorted(map(str, o["calls"]))) for o in toy] == [
        (o.get("result"), o.get("error"), o.get("message"), sorted(map(str, o["calls"]))) for o in rasa_toy]
    assert toy[0] == {"result": {"top": 7}, "calls": [["n"], ["base"], ["base"], ["left", "right"]]}
    assert toy[1]["result"] == {"left": 3, "right": 3} and len(toy[1]["calls"]) == 3
    assert toy[2]["error"] == "GraphComponentException" and toy[2]["calls"][-1] == ["left", "right"]
    assert toy[3]["error"] == "GraphRunError" and "clashes with a node name" in toy[3]["message"]
    assert toy[4]["error"] == "GraphRunError" and "Missing input" in toy[4]["message"] and toy[4]["calls"] == []
