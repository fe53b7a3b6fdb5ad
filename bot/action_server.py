"""The action server: rasa-sdk's executor behind a small, closed HTTP front.

    python -m bot.action_server --port 5055

What differs from `python -m rasa_sdk` (same `/webhook` protocol, so Rasa needs no change):
- it listens on 127.0.0.1 only (rasa-sdk binds 0.0.0.0);
- every call but `/health` needs the header `X-Stadtlotse-Action-Secret` with the shared secret
  `ACTION_SERVER_SECRET`, which Rasa sends from endpoints.yml; without a secret it refuses to start;
- bodies are bounded before they are parsed, compressed bodies too (rasa-sdk inflates a deflate
  body without limit: a few KB can take gigabytes);
- errors never echo the request (rasa-sdk's 500 answer carries the whole tracker) and no action
  list is served.
"""

from __future__ import annotations

import argparse
import hmac
import json
import logging
import os
import sys
import zlib

from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.log_redaction import install_log_redaction

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Stadtlotse-Action-Secret"
# A tracker of a long conversation is a few hundred KB of JSON; 2 MB leaves room and bounds RAM.
MAX_BODY_BYTES = int(os.environ.get("ACTION_SERVER_MAX_BODY", "") or 2 * 1024 * 1024)


class BodyTooLarge(ValueError):
    pass


def inflate(body: bytes, limit: int = MAX_BODY_BYTES) -> bytes:
    """A deflate (zlib) body, inflated to at most `limit` bytes."""
    inflater = zlib.decompressobj()
    data = inflater.decompress(body, limit)
    if inflater.unconsumed_tail or len(data) > limit:
        raise BodyTooLarge(f"inflated body over {limit} bytes")
    return data


def create_app(secret: str, package: str = "actions") -> Sanic:
    if not secret:
        raise SystemExit(
            "ERROR: ACTION_SERVER_SECRET is not set. Fix: start through `make run` (it creates "
            "one) or set the same secret for Rasa and the action server."
        )
    app = Sanic("stadtlotse_actions", configure_logging=False)
    app.config.REQUEST_MAX_SIZE = MAX_BODY_BYTES
    executor = ActionExecutor()
    executor.register_package(package)
    expected = secret.encode()

    @app.get("/health")
    async def health(_: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    @app.post("/webhook")
    async def webhook(request: Request) -> HTTPResponse:
        given = (request.headers.get(SECRET_HEADER) or "").encode()
        if not hmac.compare_digest(given, expected):
            return response.json({"error": "forbidden"}, status=403)
        encoding = (request.headers.get("content-encoding") or "identity").lower()
        try:
            if encoding == "deflate":
                raw = inflate(request.body)
            elif encoding == "identity":
                raw = request.body
            else:
                return response.json({"error": "unsupported content encoding"}, status=415)
            action_call = json.loads(raw)
        except BodyTooLarge:
            return response.json({"error": "body too large"}, status=413)
        except (zlib.error, ValueError):
            return response.json({"error": "invalid body"}, status=400)
        if not isinstance(action_call, dict):
            return response.json({"error": "invalid body"}, status=400)
        try:
            result = await executor.run(action_call)  # type: ignore[arg-type]
        except ActionExecutionRejection as error:
            return response.json(
                {"error": error.message, "action_name": error.action_name}, status=400
            )
        except ActionNotFoundException as error:
            return response.json(
                {"error": error.message, "action_name": error.action_name}, status=404
            )
        except Exception:
            log.exception("action failed (request not logged)")
            return response.json({"error": "action failed"}, status=500)
        return response.json(result)

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Stadtlotse action server")
    parser.add_argument("--port", type=int, default=int(os.environ.get("ACTION_SERVER_PORT", 5055)))
    parser.add_argument("--actions", default="actions")
    args = parser.parse_args(argv)
    install_log_redaction()
    logging.basicConfig(
        level=os.environ.get("ACTION_SERVER_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)-8s %(name)s - %(message)s",
    )
    # httpx logs every request URL at INFO: query strings carry what citizens typed (stop and
    # place names), and a line per API call costs time. Failures are logged by the clients.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    app = create_app(os.environ.get("ACTION_SERVER_SECRET", "").strip(), args.actions)
    print(f"Action server on http://127.0.0.1:{args.port}", file=sys.stderr, flush=True)
    app.run("127.0.0.1", args.port, access_log=False, workers=1)


if __name__ == "__main__":
    main()
