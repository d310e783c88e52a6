"""A local Slack incoming webhook: records each POSTed body and answers the statuses queued in
``Webhook.answers`` (200 once they run out). Use the ``webhook`` fixture for its URL."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Webhook(BaseHTTPRequestHandler):
    answers: list = []
    bodies: list = []

    def do_POST(self):
        Webhook.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        status = Webhook.answers.pop(0) if Webhook.answers else 200
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Webhook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Webhook.bodies, Webhook.answers = [], []
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
