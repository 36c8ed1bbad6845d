"""RPC requester role (ActiveMQ style): SUBSCRIBE to the temp queue first, SEND the request to
--dest with reply-to and correlation-id, wait for the reply, DISCONNECT.
Events: connected, subscribed, sent, reply (headers, body), done."""

from compat import (Listener, base_args, connect, disconnect, emit, message_event, send_confirmed,
                    subscribe_confirmed)


def main():
    p = base_args(__doc__)
    p.add_argument("--dest", default="/queue/rpc")
    p.add_argument("--reply-to", default="/temp-queue/replies")
    p.add_argument("--correlation-id", default="corr-1")
    p.add_argument("--body", default="ping")
    args = p.parse_args()

    listener = Listener()
    conn = connect(args, listener)
    emit("connected", headers=listener.connected_headers)
    subscribe_confirmed(conn, listener, args.reply_to, "replies", "auto", {}, args.timeout)
    emit("subscribed", destination=args.reply_to)
    send_confirmed(conn, listener, args.dest, args.body,
                   {"reply-to": args.reply_to, "correlation-id": args.correlation_id},
                   args.timeout)
    emit("sent")
    listener.wait_messages(1, args.timeout)
    emit("reply", **message_event(listener.messages[0]))
    disconnect(conn, listener, args.timeout)
    emit("done")


if __name__ == "__main__":
    main()
