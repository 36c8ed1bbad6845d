"""Producer role: CONNECT, SEND each message of --messages (JSON list of {"body", "headers"}) with a
receipt, DISCONNECT. Events: connected, sent (index), done (count)."""

import json

from compat import Listener, base_args, connect, disconnect, emit, send_confirmed


def main():
    p = base_args(__doc__)
    p.add_argument("--dest", required=True)
    p.add_argument("--messages", required=True, help='JSON: [{"body": "...", "headers": {...}}]')
    args = p.parse_args()
    messages = json.loads(args.messages)

    listener = Listener()
    conn = connect(args, listener)
    emit("connected", headers=listener.connected_headers)
    for i, m in enumerate(messages):
        send_confirmed(conn, listener, args.dest, m.get("body", ""), m.get("headers", {}),
                       args.timeout)
        emit("sent", index=i)
    disconnect(conn, listener, args.timeout)
    emit("done", count=len(messages))


if __name__ == "__main__":
    main()
