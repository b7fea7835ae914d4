"""The stage's webhook receiver: livekit-server's webhook URL for the whole session.

Each delivery is kept as it arrived (body and Authorization header, verified by the tests with livekit-api's
``WebhookReceiver``) and, when a test has set ``forward_to`` (the dialer under test), passed on to it byte for byte
with the same headers, so the dialer verifies LiveKit's own signature.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Delivery:
    body: bytes
    authorization: str
    content_type: str
    forward_status: int | None


class WebhookRelay:
    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self.forward_to: str | None = None
        self._changed = threading.Condition()
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                auth = self.headers.get("Authorization", "")
                ctype = self.headers.get("Content-Type", "")
                status = relay._forward(body, auth, ctype)
                with relay._changed:
                    relay.deliveries.append(Delivery(body, auth, ctype, status))
                    relay._changed.notify_all()
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_args: object) -> None:  # no access log on stderr
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook-relay", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/webhook"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _forward(self, body: bytes, auth: str, ctype: str) -> int | None:
        target = self.forward_to
        if not target:
            return None
        request = urllib.request.Request(
            target, data=body, method="POST", headers={"Authorization": auth, "Content-Type": ctype},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)
        except OSError:
            return None

    def count(self) -> int:
        with self._changed:
            return len(self.deliveries)

    def since(self, index: int) -> list[Delivery]:
        with self._changed:
            return list(self.deliveries[index:])

    def wait(self, predicate: Callable[[list[Delivery]], bool], timeout_s: float) -> list[Delivery]:
        """Blocks until ``predicate(deliveries)`` holds; TimeoutError with what arrived otherwise."""
        with self._changed:
            if not self._changed.wait_for(lambda: predicate(self.deliveries), timeout_s):
                raise TimeoutError(f"webhook condition not met in {timeout_s} s ({len(self.deliveries)} received)")
            return list(self.deliveries)

