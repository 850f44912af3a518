#!/usr/bin/env python3
"""A minimal fake AWS STS endpoint for scripts/bench (Python 3 stdlib only).

Answers every POST with a successful GetSessionToken response whose
credentials expire 12 hours from now (UTC). Listens on 127.0.0.1 only.

    python3 scripts/fake_sts.py --port 0 [--tls CERT KEY] --port-file F

The chosen port is written to F (atomically) once the server is listening.
Each response goes out in a single send with TCP_NODELAY, so no Nagle /
delayed-ACK stall is added to the client's timing.
"""

import argparse
import datetime
import os
import socket
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BODY_TEMPLATE = (
    '<GetSessionTokenResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
    "<GetSessionTokenResult><Credentials>"
    "<AccessKeyId>ASIABENCHFAKE{n:07d}</AccessKeyId>"
    "<SecretAccessKey>benchSecretAccessKey0123456789abcdefghijkl</SecretAccessKey>"
    "<SessionToken>FwoGZXIvYXdzEBenchSessionToken{n:07d}</SessionToken>"
    "<Expiration>{exp}</Expiration>"
    "</Credentials></GetSessionTokenResult>"
    "<ResponseMetadata><RequestId>{n}</RequestId></ResponseMetadata>"
    "</GetSessionTokenResponse>"
)

_counter = 0
_lock = threading.Lock()


def _next_n():
    global _counter
    with _lock:
        _counter += 1
        return _counter


def _body():
    exp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=12)
    return BODY_TEMPLATE.format(
        n=_next_n(), exp=exp.strftime("%Y-%m-%dT%H:%M:%SZ")
    ).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-sts"
    sys_version = ""

    def setup(self):
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def log_message(self, *args):  # quiet: the bench reads our stdout/stderr only on failure
        pass

    def _send(self, status, reason, body, content_type="text/xml"):
        head = (
            f"HTTP/1.1 {status} {reason}\r\n"
            f"Content-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n"
            "x-amzn-RequestId: 1\r\n"
            "\r\n"
        ).encode("ascii")
        self.wfile.write(head + body)  # one send: no Nagle stall
        self.wfile.flush()

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)  # the form body; its content does not matter here
        self._send(200, "OK", _body())

    def do_GET(self):
        self._send(405, "Method Not Allowed", b"POST only\n", "text/plain")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, handler, tls_ctx=None):
        super().__init__(addr, handler)
        self.tls_ctx = tls_ctx

    def get_request(self):
        sock, addr = self.socket.accept()
        if self.tls_ctx is not None:
            # Handshake lazily, in the handler thread, so a slow client cannot block accept().
            sock = self.tls_ctx.wrap_socket(
                sock, server_side=True, do_handshake_on_connect=False
            )
        return sock, addr

    def handle_error(self, request, client_address):
        # Clients that drop the connection (or fail TLS verification) are not our problem.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=0, help="port to listen on (0: any free port)")
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"), help="serve HTTPS with this PEM cert and key")
    p.add_argument("--port-file", help="write the chosen port to this file once listening")
    args = p.parse_args()

    ctx = None
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls[0], args.tls[1])

    srv = Server(("127.0.0.1", args.port), Handler, ctx)
    port = srv.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{port}\n")
        os.replace(tmp, args.port_file)
    else:
        print(port, flush=True)
    try:
        srv.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()


if __name__ == "__main__":
    main()
