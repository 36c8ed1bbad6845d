"""Shared plumbing for the stomp.py compatibility scripts (test/compat/stomppy.test.ts).

Every script prints one JSON object per line on stdout ({"event": ...}); the test parses them.
All waits are bounded: a script that cannot finish prints {"event": "error"} and exits 1.
"""

import argparse
import json
import sys
import threading
import time

import stomp


_emit_lock = threading.Lock()


def emit(event, **fields):
    """One JSON line on stdout (listener callbacks run on stomp.py's receiver thread)."""
    fields["event"] = event
    with _emit_lock:
        sys.stdout.write(json.dumps(fields) + "\n")
        sys.stdout.flush()


def fail(message):
    emit("error", message=message)
    sys.exit(1)


def header_pairs(values):
    """--header name=value (repeatable) to a dict."""
    out = {}
    for item in values or []:
        name, sep, value = item.partition("=")
        if not sep:
            fail("--header wants name=value, got %r" % item)
        out[name] = value
    return out


def base_args(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--client-id", default=None, help="client-id header on CONNECT (durable subs)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds for every bounded wait")
    p.add_argument("--stomp-version", choices=["default", "1.0", "1.1", "1.2"], default="default",
                   help="default = stomp.Connection, which is STOMP 1.1 in stomp.py 8")
    return p


class Listener(stomp.ConnectionListener):
    """Records MESSAGE, RECEIPT and ERROR frames and lets the script wait on them."""

    def __init__(self, on_message=None):
        self.cond = threading.Condition()
        self.messages = []
        self.receipts = set()
        self.errors = []
        self.disconnected = False
        self.connected = False
        self.connected_headers = {}
        self._on_message = on_message

    def on_connected(self, frame):
        with self.cond:
            self.connected = True
            self.connected_headers = dict(frame.headers)
            self.cond.notify_all()

    def on_message(self, frame):
        with self.cond:
            self.messages.append(frame)
            self.cond.notify_all()
        if self._on_message is not None:
            self._on_message(frame)

    def on_receipt(self, frame):
        with self.cond:
            self.receipts.add(frame.headers.get("receipt-id"))
            self.cond.notify_all()

    def on_error(self, frame):
        with self.cond:
            self.errors.append(frame)
            self.cond.notify_all()
        emit("stomp-error", headers=dict(frame.headers), body=frame.body)

    def on_disconnected(self):
        with self.cond:
            self.disconnected = True
            self.cond.notify_all()

    def wait(self, predicate, timeout, what):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate():
                if self.errors:
                    fail("ERROR frame while waiting for %s: %s" % (what, self.errors[0].headers))
                left = deadline - time.monotonic()
                if left <= 0:
                    fail("timed out after %.1fs waiting for %s" % (timeout, what))
                self.cond.wait(left)

    def wait_receipt(self, receipt, timeout):
        self.wait(lambda: receipt in self.receipts, timeout, "RECEIPT %s" % receipt)

    def wait_messages(self, n, timeout):
        self.wait(lambda: len(self.messages) >= n, timeout,
                  "%d message(s), have %d" % (n, len(self.messages)))


_receipt_seq = [0]


def next_receipt(prefix):
    _receipt_seq[0] += 1
    return "%s-%d" % (prefix, _receipt_seq[0])


CONNECTION_CLASSES = {
    "default": stomp.Connection,
    "1.0": stomp.Connection10,
    "1.1": stomp.Connection11,
    "1.2": stomp.Connection12,
}


def connect(args, listener):
    """A stomp.py connection (stomp.Connection unless --stomp-version), CONNECTed, `listener` attached."""
    cls = CONNECTION_CLASSES[args.stomp_version]
    # No `timeout=`: stomp.py also applies it as the socket's read timeout, which would drop a
    # connection that is merely idle for that long. Waits are bounded below instead.
    if cls is stomp.Connection10:
        conn = cls([(args.host, args.port)])
    else:
        conn = cls([(args.host, args.port)], heartbeats=(0, 0))
    conn.set_listener("compat", listener)
    headers = {}
    if args.client_id:
        headers["client-id"] = args.client_id
    # wait=True would wait for CONNECTED without a bound; wait here, bounded, instead.
    conn.connect(wait=False, headers=headers)
    listener.wait(lambda: listener.connected, args.timeout, "CONNECTED")
    return conn


def send_confirmed(conn, listener, destination, body, headers, timeout):
    """SEND with a receipt and wait for it: the broker has taken the message."""
    receipt = next_receipt("send")
    h = dict(headers)
    h["receipt"] = receipt
    conn.send(destination, body, headers=h)
    listener.wait_receipt(receipt, timeout)


def subscribe_confirmed(conn, listener, destination, sub_id, ack, headers, timeout):
    receipt = next_receipt("sub")
    h = dict(headers)
    h["receipt"] = receipt
    conn.subscribe(destination, sub_id, ack=ack, headers=h)
    listener.wait_receipt(receipt, timeout)


def disconnect(conn, listener, timeout):
    """Graceful DISCONNECT. stomp.py adds a receipt and closes the socket when the broker answers;
    wait (bounded) for that, so the broker has processed every earlier ACK."""
    conn.disconnect()
    listener.wait(lambda: listener.disconnected, timeout, "DISCONNECT receipt / socket close")


def ack(conn, frame):
    """ACK one MESSAGE the way the connection's STOMP version wants (1.2: `ack` header id)."""
    h = frame.headers
    if isinstance(conn, stomp.Connection12):
        conn.ack(h["ack"])
    elif isinstance(conn, stomp.Connection11):
        conn.ack(h["message-id"], h["subscription"])
    else:
        conn.ack(h["message-id"])


def message_event(frame, **extra):
    return dict(headers=dict(frame.headers), body=frame.body, **extra)
