"""Rasa 3.6's own `rasa` command, with the six changes Muni makes to Rasa at run time.

1. Rasa checks every answer of the action server against its JSON schema with `jsonschema.validate`,
which first checks the schema itself against the JSON Schema meta-schema and then builds a new
validator, on every call: some 30 ms of CPU for each action the action server runs, and a chat turn
runs one to four. That was more than half of the CPU a turn cost Rasa (`make bench-load` prints the
CPU a turn costs each process). Here the validator is built once, for the same schema; an answer
that does not fit it raises the same ValidationError, with Rasa's own hint, as before.

2. Rasa's SQL tracker store (`type: SQL` in the endpoints files) is `CachedSQLTrackerStore`
(bot/cached_tracker_store.py): the tracker saved at the end of a turn is handed out at the start of
the next while the database holds nothing newer for the conversation, instead of being rebuilt
from every event of it. That was some 28 % of the CPU a turn cost Rasa after the first change.
On SQLite (`make run`) the store also keeps its connections open, in WAL mode, instead of opening
one for every query and syncing the disk at every commit: some 3 ms of Rasa's CPU a turn.

3. DIET's prediction (one call a message) goes to the graph TensorFlow traced for it, with the
message's tensors in the traced order, instead of through `tf.function`, which matches every call's
inputs against the signature again (TensorFlow 2.12's Python side: some 2 ms of CPU a message, more
than the graph itself). Inputs whose types or ranks differ from the traced ones go to `tf.function`
as before.

4. The objects of a loaded model (TensorFlow's, spaCy's, the domain's: some 600,000, all alive as
long as the model is) are moved out of the garbage collector's reach with `gc.freeze()` once the
model is loaded. Python's full collections walk every tracked object: with the model among them
each took 300 to 500 ms on Rasa's one event-loop thread, every few minutes under load, and every
turn waiting then waited as long; without, well under a millisecond.

5. Rasa's calls to the action server (`EndpointConfig.request`) go over one pool of kept-alive
connections per event loop, instead of a new `aiohttp.ClientSession`, and so a new TCP connection,
for every call: some 5 % of Rasa's time a turn (py-spy). An idle connection is dropped after
KEEPALIVE_S, before any server's keep-alive timeout could close it under a request. Headers, the
token, basic auth, the CA file, the timeout and the errors are Rasa's, as before.

6. The model's graph (the NLU pipeline for each message, the policies for each action predicted) runs
node after node in an order worked out once for each set of targets, instead of through dask, which
Rasa's DaskGraphRunner asks to order a newly built graph of the targets' nodes on every run: on the
trained model, 4.7 -> 4.1 ms a message parsed and 0.76 -> 0.51 ms an action predicted, one process
alone; under load, Rasa's CPU a chat turn went from 22-24 to 18-21 ms (two stacks started ten minutes
apart: part of that may be the machine). The nodes, their inputs, the results and the errors are
DaskGraphRunner's.

Run it as Rasa's command (Python 3.10, Rasa's environment; of Muni's it imports only the module beside it):
`python bot/rasa_main.py run --model …` (ops/supervisor.py, deploy/rasa/serve.py).
"""

from __future__ import annotations

import functools
import gc
import sys
from pathlib import Path
from typing import Any


def install() -> None:
    """The six changes: the validator built once, the cached SQL tracker store, DIET's traced graph called
    directly, the model's objects frozen out of the garbage collector, pooled connections to the endpoints,
    the model's graph run in an order worked out once."""
    install_validator()
    install_tracker_store()
    install_traced_prediction()
    install_frozen_model()
    install_pooled_endpoints()
    install_direct_graph_runner()


def install_validator() -> None:
    """Let RemoteAction check the action server's answers with a validator built once."""
    from jsonschema import validators
    from jsonschema.exceptions import best_match
    from rasa.core.actions import action

    @functools.cache
    def validator() -> Any:
        schema = action.RemoteAction.action_response_format_spec()
        cls = validators.validator_for(schema)
        cls.check_schema(schema)  # what jsonschema.validate does on each call, done once
        return cls(schema)

    def validate_action_result(self: action.RemoteAction, result: dict[str, Any]) -> bool:
        error = best_match(validator().iter_errors(result))  # as jsonschema.validate picks the error
        if error is None:
            return True
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            "For more information about the format visit "
            f"{action.DOCS_BASE_URL}/custom-actions"
        )
        raise error

    action.RemoteAction._validate_action_result = validate_action_result


def install_tracker_store() -> None:
    """`type: SQL` in an endpoints file makes a CachedSQLTrackerStore (Rasa looks the class up when it reads the file)."""
    from rasa.core import tracker_store

    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:  # run as a script, this folder is already first
        sys.path.insert(0, here)
    from cached_tracker_store import CachedSQLTrackerStore

    tracker_store.SQLTrackerStore = CachedSQLTrackerStore  # type: ignore[misc]


class TracedPrediction:
    """A `tf.function` with an input signature, called as the graph it traced when the inputs fit it."""

    def __init__(self, function: Any) -> None:
        import tensorflow as tf

        self.function = function
        self._graph = function.get_concrete_function()  # traced already: the signature is fixed
        specs = tf.nest.flatten(self._graph.structured_input_signature)
        self._fits = [(spec.dtype.as_numpy_dtype, spec.shape.rank) for spec in specs]
        self._convert = tf.convert_to_tensor
        self._flatten = tf.nest.flatten
        self.direct = 0  # calls that went to the graph directly

    def __call__(self, batch_in: Any) -> Any:
        flat = self._flatten(batch_in)
        if len(flat) != len(self._fits) or any(
            getattr(value, "dtype", None) != dtype or getattr(value, "ndim", None) != rank
            for value, (dtype, rank) in zip(flat, self._fits, strict=True)
        ):
            return self.function(batch_in)
        self.direct += 1
        return self._graph._call_flat([self._convert(value) for value in flat], self._graph.captured_inputs)


def install_traced_prediction() -> None:
    """Let Rasa's models call the graph their prediction step traced on the first message, directly."""
    from rasa.utils.tensorflow.models import RasaModel

    rasa_predict = RasaModel._rasa_predict

    def traced_predict(self: Any, batch_in: Any) -> Any:
        step = self._tf_predict_step
        if step is not None and not self._run_eagerly and not isinstance(step, TracedPrediction):
            self._tf_predict_step = TracedPrediction(step)
        return rasa_predict(self, batch_in)

    RasaModel._rasa_predict = traced_predict


def install_frozen_model() -> None:
    """Let the agent freeze what it loaded: collect the old model's garbage once, then move every object left
    to the permanent generation, which Python's collections no longer walk."""
    from rasa.core.agent import Agent

    rasa_load_model = Agent.load_model

    def load_model(self: Any, *args: Any, **kwargs: Any) -> None:
        rasa_load_model(self, *args, **kwargs)
        gc.collect()
        gc.freeze()

    Agent.load_model = load_model


KEEPALIVE_S = 3.0  # under the keep-alive timeout of the servers Rasa calls (Sanic's: 5 s in 21.12, 120 s in 25)


def install_pooled_endpoints() -> None:
    """Let `EndpointConfig.request` send through one client session per event loop, kept for the process's life."""
    import asyncio
    import os
    import ssl

    import aiohttp
    from aiohttp import ContentTypeError
    from rasa.shared.exceptions import FileNotFoundException
    from rasa.utils import endpoints

    sessions: dict[asyncio.AbstractEventLoop, aiohttp.ClientSession] = {}

    def pooled() -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        session = sessions.get(loop)
        if session is None or session.closed:
            for stale in [other for other in sessions if other.is_closed()]:
                del sessions[stale]  # a loop that ended (tests run several)
            session = sessions[loop] = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_S),
                timeout=aiohttp.ClientTimeout(total=endpoints.DEFAULT_REQUEST_TIMEOUT),
            )
        return session

    async def request(
        self: endpoints.EndpointConfig,
        method: str = "post",
        subpath: str | None = None,
        content_type: str | None = "application/json",
        compress: bool = False,
        **kwargs: Any,
    ) -> Any:
        # As Rasa's EndpointConfig.request, with the session's headers and auth given to each request.
        headers = {"Content-Type": content_type} if content_type else {}
        headers.update(kwargs.pop("headers", None) or {})
        headers.update(self.headers)
        auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
        sslcontext = None
        if self.cafile:
            try:
                sslcontext = ssl.create_default_context(cafile=self.cafile)
            except FileNotFoundError as e:
                raise FileNotFoundException(
                    f"Failed to find certificate file, '{os.path.abspath(self.cafile)}' does not exist."
                ) from e
        params = self.combine_parameters(kwargs)
        async with pooled().request(
            method,
            endpoints.concat_url(self.url, subpath),
            headers=headers,
            auth=auth,
            params=params,
            compress=compress,
            ssl=sslcontext,
            **kwargs,
        ) as response:
            if response.status >= 400:
                raise endpoints.ClientResponseError(response.status, response.reason, await response.content.read())
            try:
                return await response.json()
            except ContentTypeError:
                return None

    endpoints.EndpointConfig.request = request


def install_direct_graph_runner() -> None:
    """Let the processor run the model's graph with DirectGraphRunner instead of DaskGraphRunner."""
    from rasa.core import processor
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner

    class DirectGraphRunner(DaskGraphRunner):
        """DaskGraphRunner's nodes, called in an order worked out once for each set of targets.

        DaskGraphRunner works out the targets' nodes (a walk that visits a node once for every path to
        it), builds a dask graph of them, and lets dask order and call them, on every run: one a message
        and one for every action Rasa predicts. Here the nodes are called one after the other, each once,
        each after the nodes it needs, with what they returned; the results, the inputs' checks and the
        errors are DaskGraphRunner's.
        """

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            # For each set of targets: (node name, node, what it needs) in calling order, and the node names.
            self._known_steps: dict[tuple[str, ...], tuple[list[tuple[str, Any, list[str]]], frozenset[str]]] = {}

        def run(self, inputs: dict[str, Any] | None = None, targets: list[str] | None = None) -> dict[str, Any]:
            run_targets = targets if targets else self._graph_schema.target_names
            steps, names = self._steps(tuple(run_targets))
            values: dict[str, Any] = {}
            for name, value in (inputs or {}).items():
                if isinstance(value, str) and (value in names or value in values):
                    raise GraphRunError(
                        f"Input value '{value}' clashes with a node name. Make sure that none of the input "
                        f"names passed to the `run` method are the same as node names in the graph schema."
                    )
                values[name] = (name, value)
            try:
                # As in dask, an input of a node's name stands in for the node, and a need that is
                # neither a node nor an input reaches the node as its name.
                for name, node, needs in steps:
                    if name not in values:
                        values[name] = node(*(values.get(need, need) for need in needs))
            except RuntimeError as error:
                raise GraphRunError("Error running runner.") from error
            return dict(values[target] for target in run_targets)

        def _steps(self, targets: tuple[str, ...]) -> tuple[list[tuple[str, Any, list[str]]], frozenset[str]]:
            known = self._known_steps
            if targets not in known:
                nodes = self._graph_schema.nodes
                steps: list[tuple[str, Any, list[str]]] = []
                seen: set[str] = set()

                def visit(name: str) -> None:
                    if name in seen or name not in nodes:
                        return
                    seen.add(name)
                    needs = list(nodes[name].needs.values())
                    for need in needs:
                        visit(need)
                    steps.append((name, self._instantiated_nodes[name], needs))

                for target in targets:
                    visit(target)
                known[targets] = (steps, frozenset(seen))
            return known[targets]

    processor.DaskGraphRunner = DirectGraphRunner  # type: ignore[misc]


def main() -> int:
    install()
    from rasa.__main__ import main as rasa

    sys.argv[0] = "rasa"
    rasa()
    return 0


if __name__ == "__main__":
    sys.exit(main())
