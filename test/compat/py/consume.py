"""Consumer role: CONNECT, SUBSCRIBE (receipt-confirmed), take --expect messages, ACK some, DISCONNECT.

Events: connected, subscribed, message (headers, body, index), acked (index), extra (messages that
arrived during --quiet-ms after the expected ones), done (count).
"""

import time

from compat import (Listener, ack, base_args, connect, disconnect, emit, fail, header_pairs,
                    message_event, subscribe_confirmed)


def main():
    p = base_args(__doc__)
    p.add_argument("--dest", required=True)
    p.add_argument("--sub-id", default="sub-1")
    p.add_argument("--ack", default="auto", choices=["auto", "client", "client-individual"])
    p.add_argument("--selector", default=None)
    p.add_argument("--sub-name", default=None, help="activemq.subscriptionName (durable topic sub)")
    p.add_argument("--header", action="append", help="extra SUBSCRIBE header name=value")
    p.add_argument("--expect", type=int, required=True, help="messages to wait for (0: none)")
    p.add_argument("--ack-indexes", default=None,
                   help="comma-separated 0-based indexes to ACK; default all (non-auto modes)")
    p.add_argument("--quiet-ms", type=int, default=0,
                   help="after the expected messages, keep listening this long for extras")
    args = p.parse_args()

    listener = Listener(on_message=lambda f: emit("message", **message_event(
        f, index=len(listener.messages) - 1)))
    conn = connect(args, listener)
    emit("connected", headers=listener.connected_headers)

    headers = header_pairs(args.header)
    if args.selector is not None:
        headers["selector"] = args.selector
    if args.sub_name is not None:
        headers["activemq.subscriptionName"] = args.sub_name
    subscribe_confirmed(conn, listener, args.dest, args.sub_id, args.ack, headers, args.timeout)
    emit("subscribed", destination=args.dest)

    listener.wait_messages(args.expect, args.timeout)
    if args.quiet_ms > 0:
        time.sleep(args.quiet_ms / 1000.0)
    with listener.cond:
        received = list(listener.messages)
    if len(received) > args.expect:
        emit("extra", count=len(received) - args.expect)

    if args.ack != "auto":
        if args.ack_indexes is None:
            indexes = range(len(received))
        else:
            indexes = [int(i) for i in args.ack_indexes.split(",") if i != ""]
        for i in indexes:
            if i >= len(received):
                fail("cannot ACK message %d: only %d received" % (i, len(received)))
            ack(conn, received[i])
            emit("acked", index=i, body=received[i].body)

    disconnect(conn, listener, args.timeout)
    emit("done", count=len(received))


if __name__ == "__main__":
    main()
