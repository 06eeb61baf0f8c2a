"""The open-loop load generator: Poisson arrivals sent on time, from many client addresses.

Arrival times, request sizes and client choices come from the simulator's own `Traffic` with the
run's seed, so the simulator beside the real run sees the very same requests. Each request is sent
at its planned time on a running clock, whether or not earlier ones have finished (open loop);
the generator measures how late it was (`lateness`), and counts what its safety cap on requests
in flight refused instead of sending late. A request is one HTTP/1.1 exchange on its own
connection (`Connection: close`) from client address 127.a.b.c, bound before connecting:
all of 127.0.0.0/8 is loopback on Linux, and the third octet varies, because nginx's ip_hash keys
on the first three. The response names the server that answered (X-Server).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from dataclasses import dataclass

from lbtutor.sim.metrics import percentile
from lbtutor.sim.traffic import Traffic

MAX_IN_FLIGHT = 4000  # requests open at once: protects the machine's sockets
TIMEOUT_MARGIN = 2.0  # the client waits this much longer than the balancer's own timeout
# outcomes
OK, HTTP_ERROR, CONNECT_ERROR, TIMEOUT = "ok", "http-error", "connect-error", "timeout"


def client_address(index: int) -> str:
    """Client `index`'s source address in 127.0.0.0/8: 127.(1+i/256).(i%256).(1+i%254)."""
    return f"127.{1 + index // 256}.{index % 256}.{1 + index % 254}"


@dataclass(slots=True)
class Outcome:
    """One request as the client saw it (times in seconds since the run started)."""

    planned: float
    sent: float
    done: float
    status: int  # HTTP status, 0 when there was none
    server: str  # X-Server, "" when no server answered
    kind: str  # OK, HTTP_ERROR, CONNECT_ERROR, TIMEOUT
    client: int  # index of the client address it came from

    @property
    def latency(self) -> float:
        return self.done - self.sent


class _Exchange(asyncio.Protocol):
    """Writes one request, collects the response until the server closes."""

    __slots__ = ("request", "chunks", "done", "transport")

    def __init__(self, request: bytes, done: asyncio.Future) -> None:
        self.request = request
        self.chunks: list[bytes] = []
        self.done = done
        self.transport = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)

    def connection_lost(self, exc) -> None:
        if not self.done.done():
            self.done.set_result(b"".join(self.chunks))


def _parse(response: bytes) -> tuple[int, str]:
    """(status, X-Server) of a raw HTTP response; (0, "") if it is not one."""
    head, _, _body = response.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    try:
        status = int(lines[0].split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0, ""
    server = ""
    for line in lines[1:]:
        if line[:9].lower() == b"x-server:":
            server = line[9:].strip().decode()
            break
    return status, server


def request_bytes(demand: float) -> bytes:
    return (f"GET /?demand={demand:.6f} HTTP/1.1\r\nHost: lab\r\n"
            "Connection: close\r\n\r\n").encode()


async def one_request(port: int, *, demand: float = 0.0, source: str = "127.0.0.1",
                      timeout: float = 5.0) -> tuple[int, str]:
    """One request on its own connection, waited for: (status, X-Server)."""
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    async with asyncio.timeout(timeout):
        transport, _ = await loop.create_connection(
            lambda: _Exchange(request_bytes(demand), done), "127.0.0.1", port, local_addr=(source, 0))
        try:
            return _parse(await done)
        finally:
            transport.abort()


class LoadGenerator:
    """Sends `traffic`'s requests to 127.0.0.1:`port` on time; `outcomes` holds what came back."""

    def __init__(self, traffic: Traffic, *, port: int, timeout: float, clients: int,
                 keep: int | None = None) -> None:
        """`keep`: remember only the last `keep` outcomes and lateness figures (a live run that
        may go on for hours); None keeps them all (a headless run, bounded by its duration)."""
        self.traffic = traffic
        self.port = port
        self.timeout = timeout + TIMEOUT_MARGIN
        self.addresses = [client_address(i) for i in range(clients)]
        self.outcomes: list[Outcome] | deque[Outcome] = [] if keep is None else deque(maxlen=keep)
        self.lateness: list[float] | deque[float] = [] if keep is None else deque(maxlen=keep)
        self.ok = 0  # successes so far (the outcomes kept may be fewer)
        self.failed = 0
        self.sent = 0
        self.capped = 0  # arrivals the in-flight cap refused
        self.in_flight = 0
        self.paused = False
        self.t0 = 0.0
        self.stop_at = math.inf
        self._next = 0.0  # planned time of the next arrival, seconds since t0
        self._handle: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task] = set()
        self._cpu0 = 0.0
        self._wall0 = 0.0
        self.cpu_seconds = 0.0
        self.send_span = 0.0  # seconds from the first planned arrival to the last

    # ---------------------------------------------------------------- the clock
    def start(self, t0: float, duration: float) -> None:
        """Begin at loop time `t0`; the last arrival is planned before `duration` seconds."""
        self.loop = asyncio.get_running_loop()
        self.t0 = t0
        self.stop_at = duration
        self._cpu0 = time.process_time()
        self._next = self.traffic.next_gap(0.0)
        self._arm()

    def _arm(self) -> None:
        if self.paused or self._next >= self.stop_at:
            self._handle = None
            return
        self._handle = self.loop.call_at(self.t0 + self._next, self._pump)

    def _pump(self) -> None:
        """Send every arrival that is due, then sleep until the next one."""
        now = self.loop.time() - self.t0
        traffic = self.traffic
        while self._next <= now and self._next < self.stop_at:
            planned = self._next
            self._next = planned + traffic.next_gap(planned)
            self._send(planned, now)
        self._arm()

    def elapsed(self) -> float:
        return self.loop.time() - self.t0

    def set_rate(self, rate: float) -> None:
        """A new arrival rate from now on (memoryless: the next gap is drawn afresh from now)."""
        self.traffic.rate = rate
        self.traffic.rate_max = rate
        if self._handle is not None:
            self._handle.cancel()
        now = self.elapsed()
        self._next = now + self.traffic.next_gap(now)
        self._arm()

    def pause(self) -> None:
        self.paused = True
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def resume(self) -> None:
        if not self.paused:
            return
        self.paused = False
        now = self.elapsed()
        self._next = now + self.traffic.next_gap(now)
        self._arm()

    # ---------------------------------------------------------------- requests
    def _send(self, planned: float, now: float) -> None:
        req = self.traffic.make_request(self.sent, planned)
        self.sent += 1
        self.send_span = planned
        if self.in_flight >= MAX_IN_FLIGHT:
            self.capped += 1
            return
        self.lateness.append(now - planned)
        source = self.addresses[req.client]
        request = request_bytes(req.demand)
        self.in_flight += 1
        task = self.loop.create_task(self._exchange(planned, now, req.client, source, request))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _exchange(self, planned: float, sent: float, client: int, source: str, request: bytes) -> None:
        loop = self.loop
        done = loop.create_future()
        transport = None
        status, server, kind = 0, "", CONNECT_ERROR
        try:
            async with asyncio.timeout(self.timeout):
                transport, _ = await loop.create_connection(
                    lambda: _Exchange(request, done), "127.0.0.1", self.port, local_addr=(source, 0))
                response = await done
            status, server = _parse(response)
            kind = OK if 200 <= status < 300 else HTTP_ERROR
        except TimeoutError:
            kind = TIMEOUT
        except OSError:
            kind = CONNECT_ERROR
        finally:
            if transport is not None:
                transport.abort()
            self.in_flight -= 1
        self.outcomes.append(Outcome(planned, sent, loop.time() - self.t0, status, server, kind, client))
        if kind == OK:
            self.ok += 1
        else:
            self.failed += 1

    async def drain(self, wait: float) -> int:
        """Stop sending; wait up to `wait` seconds for the requests in flight. Returns how many
        were still open (they are cancelled and not counted)."""
        self.pause()
        self.cpu_seconds = time.process_time() - self._cpu0
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=wait)
        left = len(self._tasks)
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=1.0)
        return left

    # ---------------------------------------------------------------- figures
    def figures(self, duration: float) -> dict:
        lateness = sorted(self.lateness)
        return {
            "asked_rate": self.traffic.rate,
            "achieved_rate": len(self.lateness) / duration if duration > 0 else 0.0,
            "lateness_p99": percentile(lateness, 99) if lateness else None,
            "lateness_mean": math.fsum(lateness) / len(lateness) if lateness else None,
            "lateness_max": lateness[-1] if lateness else None,
            "sent": len(self.lateness),
            "capped": self.capped,
            "cpu_seconds": self.cpu_seconds,
        }
