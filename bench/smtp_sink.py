"""An aiosmtpd server in a process of its own that accepts everything and only counts.

    python -m bench.smtp_sink [PORT]      # PORT 0 or none: any free port

Prints ``ready <port>`` once listening, then answers lines on stdin:
``stats`` → one JSON line {"messages", "distinct_ids", "duplicates", "connections", "bytes",
"bodies"} (bodies: messages per MAIL FROM BODY= value, "7BIT" when none was given);
``reset`` → zero the counts. It exits when stdin closes.
Message-IDs are read with a regular expression on the raw bytes, so counting costs the server
next to nothing and the figures measure the client. Like any aiosmtpd server that keeps the
bytes as they come (``decode_data=False``, the default) it announces 8BITMIME, so senders use
the 8-bit form; ``bodies`` shows which form arrived.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import threading
from collections import Counter

from aiosmtpd.smtp import SMTP

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)


class CountingHandler:
    def __init__(self) -> None:
        self.ids: Counter[bytes] = Counter()
        self.messages = 0
        self.connections = 0
        self.bytes = 0
        self.bodies: Counter[str] = Counter()

    async def handle_DATA(self, server, session, envelope) -> str:
        raw = envelope.original_content or envelope.content
        head = raw.split(b"\r\n\r\n", 1)[0]
        found = MESSAGE_ID.search(head)
        self.messages += 1
        self.ids[found.group(1) if found else b""] += 1
        self.bytes += len(raw)
        body = next((o[5:] for o in envelope.mail_options if o.startswith("BODY=")), "7BIT")
        self.bodies[body] += 1
        return "250 2.0.0 OK"

    def stats(self) -> dict:
        return {"messages": self.messages, "distinct_ids": len(self.ids),
                "duplicates": sum(n - 1 for n in self.ids.values() if n > 1),
                "connections": self.connections, "bytes": self.bytes, "bodies": dict(self.bodies)}


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    handler = CountingHandler()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    def factory() -> SMTP:
        handler.connections += 1
        return SMTP(handler, hostname="sink.bench.local", data_size_limit=None)

    server = loop.run_until_complete(loop.create_server(factory, "127.0.0.1", port))
    print(f"ready {server.sockets[0].getsockname()[1]}", flush=True)

    def stats() -> dict:
        done = threading.Event()
        result: dict = {}

        def collect() -> None:
            result.update(handler.stats())
            done.set()

        loop.call_soon_threadsafe(collect)
        done.wait()
        return result

    def commands() -> None:
        for line in sys.stdin:
            command = line.strip()
            if command == "stats":
                print(json.dumps(stats()), flush=True)
            elif command == "reset":
                loop.call_soon_threadsafe(handler.__init__)
        loop.call_soon_threadsafe(loop.stop)

    threading.Thread(target=commands, daemon=True).start()
    loop.run_forever()
    server.close()


if __name__ == "__main__":
    main()
