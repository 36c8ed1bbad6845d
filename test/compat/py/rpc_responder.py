"""RPC responder role: SUBSCRIBE to the request queue, answer --count requests by SENDing
"pong:<body>" to each request's reply-to header with its correlation-id, DISCONNECT.
Events: connected, subscribed, request (headers, body), replied (destination), done."""

from compat import (Listener, base_args, connect, disconnect, emit, fail, message_event,
                    send_confirmed, subscribe_confirmed)


def main():
    p = base_args(__doc__)
    p.add_argument("--dest", default="/queue/rpc")
    p.add_argument("--count", type=int, default=1)
    args = p.parse_args()

    listener = Listener()
    conn = connect(args, listener)
    emit("connected", headers=listener.connected_headers)
    subscribe_confirmed(conn, listener, args.dest, "requests", "auto", {}, args.timeout)
    emit("subscribed", destination=args.dest)

    for i in range(args.count):
        listener.wait_messages(i + 1, args.timeout)
        request = listener.messages[i]
        emit("request", **message_event(request))
        reply_to = request.headers.get("reply-to")
        if not reply_to:
            fail("request without reply-to: %s" % dict(request.headers))
        headers = {}
        if "correlation-id" in request.headers:
            headers["correlation-id"] = request.headers["correlation-id"]
        send_confirmed(conn, listener, reply_to, "pong:" + request.body, headers, args.timeout)
        emit("replied", destination=reply_to)

    disconnect(conn, listener, args.timeout)
    emit("done", count=args.count)


if __name__ == "__main__":
    main()
