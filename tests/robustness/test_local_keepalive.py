"""Issue 28: the local server (`make run`, local/server.py) keeps a kept-alive connection in step.

A request it answers without the app (a 405 for TRACE, a static file) used to leave its body unread; on a
kept-alive connection those bytes were then read as the next request, which got a 400 `text/html` "Bad request
syntax". Here over a real socket: local/server.py's Handler on a loopback port, one HTTP/1.1 connection."""
import functools
import http.client
import json
import socket
import threading

import pytest
from chalice.config import Config

from app import app as chalice_app
from local import server as local_server


@pytest.fixture(scope="module")
def base():
    local_server._ROUTES.update({path: entry.keys() for path, entry in chalice_app.routes.items()})
    handler = functools.partial(local_server.Handler, app_object=chalice_app, config=Config(chalice_stage="dev"))
    httpd = local_server.BackloggedHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("method, path, status", [("TRACE", "/v1/stores", 405), ("QUERY", "/v1/stores", 405),
                                                  ("PROPFIND", "/v1/no-such-thing", 404), ("GET", "/", 200)])
def test_an_unread_body_does_not_spill_into_the_next_request(base, method, path, status):
    connection = http.client.HTTPConnection(*base, timeout=10)
    try:
        body = b'{"GET /v1/openapi.json HTTP/1.1": "not a request line"}' * 20
        connection.request(method, path, body=body, headers={"Content-Type": "application/json"})
        first = connection.getresponse()
        first.read()
        assert first.status == status
        assert first.getheader("Connection") != "close"  # the connection stays open ...
        connection.request("GET", "/v1/openapi.json")  # ... and the next request on it is read as sent
        second = connection.getresponse()
        document = json.loads(second.read())
        assert (second.status, second.getheader("Content-Type")) == (200, "application/json")
        assert document["openapi"].startswith("3.1")
    finally:
        connection.close()


def test_a_body_of_unknown_length_closes_the_connection(base):
    """Chunked (Chalice reads Content-Length bytes only): answered, then the connection is closed, never
    left with the chunks in it."""
    with socket.create_connection(base, timeout=10) as sock:
        sock.sendall(b"TRACE /v1/stores HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"8\r\n{\"a\": 1}\r\n0\r\n\r\n")
        received = b""
        while chunk := sock.recv(65536):  # ends when the server closes the connection
            received += chunk
    head = received.split(b"\r\n\r\n", 1)[0].decode()
    assert head.startswith("HTTP/1.1 405"), head
    assert "Connection: close" in head, head
    assert received.count(b"HTTP/1.1") == 1  # the chunks were not answered as a request of their own
