"""The Vault contract server as a process of its own, for the provisioning benchmark's workers.

`python -m tests.bench.provisioning_vault TOKEN` starts tests/contract_server.py's `VaultServer`
(KV v2 at secret/, the kubernetes auth method) on a free loopback port, prints its URL on one
line, and serves until it is terminated. A process rather than a thread of the benchmark, so
its answers do not wait on the benchmark's own work (the GIL).
"""

import signal
import sys
import threading

from tests.contract_server import VaultServer


class BenchVaultServer(VaultServer):
    """Keeps no call log: a thousand requests' worth of bodies is memory and time for nothing."""

    def respond(self, call):
        reply = super().respond(call)
        with self._lock:
            self.calls.clear()
        return reply


def main(argv: list[str]) -> int:
    token = argv[0] if argv else "hvs.bench-token"
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with BenchVaultServer(token) as server:
        print(server.url, flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
