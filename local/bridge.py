"""Answers moto's Step Functions Lambda calls in process (there is no Docker to run real Lambdas).

A `before-call.lambda.Invoke` handler on the default boto3 session (moto's interpreter creates its
clients there) calls the Chalice @app.lambda_function by name and returns its payload, or a
FunctionError whose errorType is the exception's class name, so that the ASL's Retry and Catch match.
An asynchronous invocation (InvocationType Event: POST /v1/audit/runs) is answered 202 with no payload,
as Lambda does; the function runs in a thread when `background` is set (`make run`), else before the
answer (the tests: deterministic, and moto's in-process DynamoDB is not thread-safe).
"""
import contextvars
import io
import json
import logging
import threading
import traceback
from urllib.parse import unquote

import boto3
from botocore.awsrequest import AWSResponse

log = logging.getLogger("local.bridge")
APP_NAME, STAGE = "pos-backoffice", "dev"
ACCOUNT = "123456789012"


def function_arn(name: str, region: str) -> str:
    return f"arn:aws:lambda:{region}:{ACCOUNT}:function:{APP_NAME}-{STAGE}-{name}"


def _function_name(function_name: str) -> str:
    name = function_name.rsplit(":function:", 1)[-1].split(":")[0]
    return name.removeprefix(f"{APP_NAME}-{STAGE}-")


class LambdaBridge:
    def __init__(self, chalice_app):
        self.functions = {f.name: f.func for f in chalice_app.pure_lambda_functions}
        self.calls: list[tuple[str, dict]] = []
        self._session = None
        self.background = False  # run asynchronous invocations in a thread (local/server.py)
        self.threads: list[threading.Thread] = []
        # A list: asynchronous invocations wait in it, (name, event), until a test runs them (`invoke`): Lambda's
        # queue, between the 202 and the run.
        self.held: list[tuple[str, dict]] | None = None

    def invoke(self, name: str, event: dict) -> tuple[dict | None, dict | None]:
        """(payload, None) on success, (None, error payload) when the function raised."""
        function = self.functions.get(name)
        if function is None:
            return None, {"errorType": "ResourceNotFoundException", "errorMessage": f"no function {name}"}
        self.calls.append((name, event))
        try:
            return function(event, None), None
        except Exception as exc:  # noqa: BLE001 - every error goes back to the state machine
            log.info("task %s raised %s: %s", name, type(exc).__name__, exc)
            return None, {"errorType": type(exc).__name__, "errorMessage": str(exc),
                          "stackTrace": traceback.format_exception(exc)[-3:]}

    def resolve(self, function_name: str) -> str:
        """The chalice name behind a function name or ARN: `chalice deploy` names functions
        pos-backoffice-dev-<name>, the packaged stack <stack>-<name> (infra/functions.yml)."""
        name = _function_name(function_name)
        if name in self.functions:
            return name
        matches = [known for known in self.functions if name.endswith("-" + known)]
        return max(matches, key=len) if matches else name

    def _handle(self, params, **_kwargs):
        # before-call sees the serialized request: the function is in the URL, the event in the body.
        path = unquote(params["url_path"])
        name = self.resolve(path.split("/functions/", 1)[1].rsplit("/invocations", 1)[0])
        raw = params.get("body") or b"{}"
        event = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
        if (params.get("headers") or {}).get("X-Amz-Invocation-Type") == "Event":
            if self.held is not None:
                self.held.append((name, event))
            elif self.background:
                thread = threading.Thread(target=self.invoke, args=(name, event), name=f"lambda-{name}", daemon=True)
                self.threads.append(thread)
                thread.start()
            else:  # its outcome is not the caller's, nor its request's context (budget, language): a fresh one
                contextvars.Context().run(self.invoke, name, event)
            response = {"StatusCode": 202, "Payload": io.BytesIO(b"")}
            return AWSResponse(url=path, status_code=202, headers={}, raw=None), response
        payload, error = self.invoke(name, event)
        body = json.dumps(error if error else payload).encode()
        response = {"StatusCode": 200, "ExecutedVersion": "$LATEST", "Payload": io.BytesIO(body)}
        if error:
            response["FunctionError"] = "Unhandled"
        return AWSResponse(url=path, status_code=200, headers={}, raw=None), response

    def register(self) -> "LambdaBridge":
        """Call after the moto mock has started: moto resets boto3's default session."""
        boto3.setup_default_session()
        self._session = boto3.DEFAULT_SESSION
        self._session.events.register("before-call.lambda.Invoke", self._handle, unique_id="pos-lambda-bridge")
        return self

    def unregister(self) -> None:
        if self._session is not None:
            self._session.events.unregister("before-call.lambda.Invoke", unique_id="pos-lambda-bridge")
