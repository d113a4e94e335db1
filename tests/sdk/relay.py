"""A TCP relay between the SDK and a real server that can lose what the server answers: the
answer to a create that the server did commit, or the rest of an event stream. It is what a
network failure looks like from the client; the server underneath is real."""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass, field


@dataclass
class Relay:
    upstream_port: int
    # The next this-many connections: the request reaches the server, its answer is dropped.
    lose_answers: int = 0
    # The next connection that streams events: cut after its first complete event.
    cut_stream_after_first_event: bool = False
    requests: list[bytearray] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        with self._lock:
            lose = self.lose_answers > 0
            self.lose_answers -= 1 if lose else 0
            request = bytearray()
            self.requests.append(request)

        def forward_requests() -> None:
            try:
                while data := client.recv(65536):
                    request.extend(data)
                    upstream.sendall(data)
            except OSError:
                pass

        threading.Thread(target=forward_requests, daemon=True).start()
        answered = bytearray()
        try:
            while data := upstream.recv(65536):
                if lose:
                    break
                answered.extend(data)
                first_event_end = self._first_event_end(answered)
                if first_event_end is not None:
                    client.sendall(data[: len(data) - (len(answered) - first_event_end)])
                    break
                client.sendall(data)
        except OSError:
            pass
        finally:
            for end in (client, upstream):  # shutdown first: it wakes the other thread's recv
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()

    def _first_event_end(self, answered: bytearray) -> int | None:
        """Where the stream's first complete event ends, once, if a cut is asked for."""
        if not self.cut_stream_after_first_event or b"text/event-stream" not in answered:
            return None
        start = answered.find(b"event:")
        ends = [answered.find(blank, start) for blank in (b"\r\n\r\n", b"\n\n")]
        found = [end for end in ends if end >= 0]
        if start < 0 or not found:
            return None
        with self._lock:
            if not self.cut_stream_after_first_event:
                return None
            self.cut_stream_after_first_event = False
        return min(found) + (4 if min(found) == ends[0] else 2)
