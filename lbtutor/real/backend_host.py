"""The backends' process: N HTTP servers (aiohttp) on 127.0.0.1, each with W workers.

Run by `lbtutor.real.backends` as `python -m lbtutor.real.backend_host SETUP_JSON`. It binds
every server on a free port, prints one JSON line (`{"ports": {...}}`, or `{"error": ...}`),
then takes commands, one JSON object a line, on a Unix socket in the run's temp dir:

  {"op": "stats"}                       -> every server's live counters
  {"op": "mode", "server": "s1", "mode": "refuse"|"hang"|"app-error"|"slow"|"ok", "factor": 4}
  {"op": "stop"}

A request waits for a free worker (an asyncio semaphore), then sleeps its service time: the
`demand` the load generator put in the query (so the simulator beside it serves the very same
request sizes), else one drawn from the lab's distribution with the run's seed. `/health`
answers at once without a worker. Modes, switched live:

  refuse     the listener is closed and every open connection dropped: connections are refused,
             as when the process is gone but the host is up;
  hang       connections are accepted and requests read, and never answered (until the client
             gives up and closes; at most HANG_LIMIT);
  app-error  every request, /health too, gets a 500 at once;
  slow       service times x factor;
  ok         healthy again (a refused server listens on the same port again).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import time

from aiohttp import web

from lbtutor.sim.traffic import demand_sampler, stream

HANG_LIMIT = 900.0  # seconds a hung request is held at most (requests are bounded in time)
PROBES_KEPT = 64  # /health arrival times kept per server (the first ones: the probes' phase)
MODES = ("ok", "refuse", "hang", "app-error", "slow")
TIMER_BIAS_CAP = 0.005  # seconds: a bias above this is a busy machine, not the timer


class Backend:
    """One server: its listener, its workers and its counters."""

    def __init__(self, name: str, workers: int, dist: str, mean: float, seed: int) -> None:
        self.name = name
        self.workers = workers
        self.slots = asyncio.Semaphore(workers)
        self.draw = demand_sampler(dist, mean, stream(seed, f"backend:{name}"))
        self.mode = "ok"
        self.factor = 1.0
        self.port = 0
        self.sock: socket.socket | None = None
        self.listener: asyncio.AbstractServer | None = None
        self.http = web.Server(self.handle, handler_cancellation=True, access_log=None)
        self.in_service = 0
        self.queued = 0
        self.held = 0  # requests a hung server holds
        self.served = 0
        self.errors = 0  # 500s sent
        self.latency_sum = 0.0  # server side: waiting for a worker + service
        self.sleep_excess = 0.0  # how much longer the sleeps took than asked, after the bias
        self.timer_bias = 0.0005  # the event loop's mean lateness, learnt as it goes
        self.busy_seconds = 0.0  # worker-seconds of service completed (for utilisation)
        self.latencies: list[float] = []
        self.probes = 0
        self.probe_times: list[float] = []  # time.monotonic() of the first PROBES_KEPT probes

    # ------------------------------------------------------------------ the listener
    async def listen(self, port: int = 0) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            sock.close()
            raise
        sock.listen(1024)
        sock.setblocking(False)
        self.sock = sock
        self.port = sock.getsockname()[1]
        self.listener = await asyncio.get_running_loop().create_server(self.http, sock=sock)

    def drop_everything(self) -> None:
        """The process is gone: the port refuses connections, open ones are cut."""
        if self.listener is not None:
            self.listener.close()
            self.listener = None
            self.sock = None
        for handler in self.http.connections:
            transport = handler.transport
            if transport is not None:
                transport.abort()

    async def set_mode(self, mode: str, factor: float = 1.0) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        if mode == "refuse":
            self.drop_everything()
        elif self.listener is None:
            await self.listen(self.port)  # back on the same port: the balancer's config names it
        self.mode = mode
        self.factor = factor if mode == "slow" else 1.0

    # ------------------------------------------------------------------ requests
    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        mode = self.mode
        if request.path == "/health":
            self.probes += 1
            if len(self.probe_times) < PROBES_KEPT:
                self.probe_times.append(time.monotonic())
            if mode == "hang":
                return await self._hang()
            if mode == "app-error":
                return web.Response(status=500, text="app-error\n")
            return web.Response(text="ok\n")
        if mode == "app-error":
            self.errors += 1
            return web.Response(status=500, text=f"{self.name} app-error\n",
                                headers={"X-Server": self.name})
        if mode == "hang":
            return await self._hang()
        try:
            demand = float(request.query.get("demand", ""))
        except ValueError:
            demand = self.draw()
        if not 0 <= demand <= HANG_LIMIT:
            demand = self.draw()
        started = time.monotonic()
        self.queued += 1
        try:
            await self.slots.acquire()
        finally:
            self.queued -= 1
        self.in_service += 1
        asked = demand * self.factor
        slept_from = time.monotonic()
        try:
            # the event loop wakes late (epoll counts whole milliseconds, rounded up): ask for
            # that much less, so the service times keep the lab's mean
            await asyncio.sleep(max(0.0, asked - self.timer_bias))
            slept = time.monotonic() - slept_from
            excess = slept - asked
            self.sleep_excess += excess
            self.busy_seconds += slept
            self.timer_bias = min(TIMER_BIAS_CAP, max(0.0, self.timer_bias + 0.05 * excess))
        finally:
            self.in_service -= 1
            self.slots.release()
        latency = time.monotonic() - started
        self.served += 1
        self.latency_sum += latency
        self.latencies.append(latency)
        return web.Response(text=f"{self.name}\n", headers={"X-Server": self.name})

    async def _hang(self) -> web.StreamResponse:
        self.held += 1
        try:
            await asyncio.sleep(HANG_LIMIT)
        finally:
            self.held -= 1
        raise ConnectionResetError("held past the hang limit")

    def stats(self) -> dict:
        return {
            "name": self.name, "port": self.port, "mode": self.mode, "factor": self.factor,
            "workers": self.workers, "in_service": self.in_service, "queued": self.queued,
            "held": self.held, "served": self.served, "errors": self.errors,
            "latency_sum": self.latency_sum, "sleep_excess": self.sleep_excess,
            "busy_seconds": self.busy_seconds, "probes": self.probes,
            "probe_times": self.probe_times,
        }


class Host:
    def __init__(self, setup: dict) -> None:
        self.backends = {
            name: Backend(name, setup["workers"], setup["service_dist"], setup["service_mean"],
                          setup["seed"])
            for name in setup["names"]
        }
        self.control_path = setup["control"]
        self.stopped = asyncio.Event()

    async def command(self, cmd: dict) -> dict:
        op = cmd.get("op")
        if op == "stats":
            return {"now": time.monotonic(), "servers": [b.stats() for b in self.backends.values()]}
        if op == "latencies":
            return {"servers": {b.name: b.latencies for b in self.backends.values()}}
        if op == "mode":
            backend = self.backends.get(cmd.get("server"))
            if backend is None:
                return {"error": f"no server named {cmd.get('server')!r}"}
            try:
                await backend.set_mode(cmd.get("mode"), float(cmd.get("factor", 1.0)))
            except (ValueError, OSError) as exc:
                return {"error": str(exc)}
            return {"ok": True}
        if op == "stop":
            self.stopped.set()
            return {"ok": True}
        return {"error": f"unknown op {op!r}"}

    async def serve_control(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                try:
                    reply = await self.command(json.loads(line))
                except json.JSONDecodeError:
                    reply = {"error": "not JSON"}
                writer.write(json.dumps(reply).encode() + b"\n")
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def main(self) -> int:
        try:
            for backend in self.backends.values():
                await backend.listen()
            control = await asyncio.start_unix_server(self.serve_control, path=self.control_path)
        except OSError as exc:
            print(json.dumps({"error": f"a backend could not bind on 127.0.0.1: {exc}"}), flush=True)
            return 1
        print(json.dumps({"ports": {b.name: b.port for b in self.backends.values()},
                          "pid": os.getpid()}), flush=True)
        async with control:
            await self.stopped.wait()
        for backend in self.backends.values():
            backend.drop_everything()
        return 0


async def _serve(setup: dict) -> int:
    return await Host(setup).main()


def main(argv: list[str]) -> int:
    return asyncio.run(_serve(json.loads(argv[1])))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
