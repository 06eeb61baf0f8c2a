"""Scenario codes: a short string that reproduces a lab run exactly, e.g. ``LB-0A2C-1M8H-Q4RT``.

An instructor writes one on the board and thirty students open the very same run. A code holds
a lab setup (traffic preset, algorithms, arrival rate, service distribution, servers, seed) or a
named scenario with its changed parameters and seed. Layout (format 1):

    version byte · kind byte · payload (unsigned LEB128 varints) · 2-byte BLAKE2b checksum

written in Crockford's base32 (no I, L, O or U; case and dashes are ignored when reading, and
O/I/L are read as 0/1/1, so a code copied by hand still works). Numbers are kept to 1/100.
Tables below map names to small numbers; they only ever grow, so old codes keep working.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from lbtutor.sim.config import ConfigError

VERSION = 1
PREFIX = "LB-"
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_READ_AS = {"O": "0", "I": "1", "L": "1"}

# Append only: a code stores positions in these tables.
ALGORITHM_TABLE = (
    "random", "round-robin", "weighted-round-robin", "least-connections",
    "weighted-least-connections", "ip-hash", "least-response-time", "power-of-two-choices",
    "consistent-hash", "peak-ewma",
)
PRESET_TABLE = ("identical", "mixed-sizes", "long-lived", "heavy-clients", "bursts")
DIST_TABLE = ("exp", "det", "lognormal", "pareto", "bimodal")
SCENARIO_TABLE = (
    "lb-benefits", "tiers", "long-lived", "heterogeneous", "hash-remap", "ip-skew",
    "lrt-oscillation", "slow-start", "l4-vs-l7", "dns-ttl", "health-check", "gateway",
    "aggregation", "vertical-vs-horizontal", "autoscale", "sticky-sessions", "lb-ha",
    "herding", "slow-server", "black-hole", "retry-storm",
)
INT, FLOAT, BOOL, TEXT = range(4)  # kinds of scenario parameter values

SANDBOX, SCENARIO = 0, 1
HAS_RATE, HAS_SERVERS, HAS_SHAPE = 1, 2, 4
SHAPE_FIELDS = ("workers", "service_rate", "queue_limit", "clients", "zipf")  # ints or hundredths


class ScenarioCodeError(ValueError):
    """A code that cannot be read; the message says what is wrong with it."""


@dataclass(frozen=True)
class ScenarioSpec:
    """A named scenario with the parameters that differ from its defaults, and a seed."""

    name: str
    params: dict
    seed: int = 1


# ------------------------------------------------------------------------ encode
def encode(item) -> str:
    """The code for a `LabSetup` or a `ScenarioSpec`."""
    from lbtutor.sim.presets import LabSetup

    out = bytearray([VERSION])
    if isinstance(item, LabSetup):
        out.append(SANDBOX)
        _encode_setup(item, out)
    elif isinstance(item, ScenarioSpec):
        out.append(SCENARIO)
        _encode_scenario(item, out)
    else:
        raise TypeError(f"cannot make a code for {type(item).__name__}")
    out += _checksum(bytes(out))
    text = _b32encode(bytes(out))
    return PREFIX + "-".join(text[i:i + 4] for i in range(0, len(text), 4))


def _encode_setup(setup, out: bytearray) -> None:
    from lbtutor.sim.presets import LabSetup

    default = LabSetup.from_preset(setup.preset, setup.algorithms, setup.seed)
    flags = (HAS_RATE if setup.arrival_rate != default.arrival_rate else 0) | (
        HAS_SERVERS if setup.servers != default.servers else 0
    ) | (HAS_SHAPE if any(getattr(setup, f) is not None for f in SHAPE_FIELDS) else 0)
    values = [
        _index(PRESET_TABLE, setup.preset, "traffic preset"),
        _index(DIST_TABLE, setup.service_dist, "service distribution"),
        len(setup.algorithms),
        *(_index(ALGORITHM_TABLE, a, "algorithm") for a in setup.algorithms),
        setup.seed,
        flags,
    ]
    if flags & HAS_RATE:
        values.append(_hundredths(setup.arrival_rate, "an arrival rate"))
    if flags & HAS_SERVERS:
        runs = _runs(setup.servers)
        values.append(len(runs))
        for count, s in runs:
            values += [count, _hundredths(s.weight, "a weight"), _hundredths(s.speed, "a speed"), int(s.down)]
    if flags & HAS_SHAPE:
        # Each field: 0 for "as the preset has it", else its value (in hundredths) + 1.
        for f in SHAPE_FIELDS:
            value = getattr(setup, f)
            values.append(0 if value is None else _hundredths(value, f.replace("_", " ")) + 1)
    for v in values:
        _put(out, v)


def _encode_scenario(spec: ScenarioSpec, out: bytearray) -> None:
    """Name (its place in SCENARIO_TABLE + 1, or 0 then the name), seed, then each changed
    parameter as name, kind, value."""
    if spec.name in SCENARIO_TABLE:
        _put(out, SCENARIO_TABLE.index(spec.name) + 1)
    else:
        _put(out, 0)
        _put_text(out, spec.name)
    _put(out, spec.seed)
    _put(out, len(spec.params))
    for key in sorted(spec.params):
        value = spec.params[key]
        _put_text(out, key)
        if isinstance(value, bool):
            _put(out, BOOL)
            _put(out, int(value))
        elif isinstance(value, int):
            _put(out, INT)
            _put(out, value * 2 if value >= 0 else -value * 2 - 1)  # zigzag: small negatives stay small
        elif isinstance(value, float):
            _put(out, FLOAT)
            _put_text(out, repr(value))
        else:
            _put(out, TEXT)
            _put_text(out, str(value))


def _put_text(out: bytearray, text: str) -> None:
    data = text.encode()
    _put(out, len(data))
    out += data


def _runs(servers) -> list[tuple[int, object]]:
    """Consecutive equal servers as (count, server): sixteen identical servers cost four numbers."""
    runs: list[list] = []
    for s in servers:
        if runs and runs[-1][1] == s:
            runs[-1][0] += 1
        else:
            runs.append([1, s])
    return [(n, s) for n, s in runs]


# ------------------------------------------------------------------------ decode
def decode(code: str):
    """The `LabSetup` or `ScenarioSpec` a code stands for; ScenarioCodeError if it is not valid."""
    text = (code or "").strip().upper()
    if text.startswith(PREFIX):
        text = text[len(PREFIX):]
    elif text.startswith("LB") and not text.startswith("LB-"):
        text = text[2:]
    text = "".join(_READ_AS.get(ch, ch) for ch in text if ch not in "- \t")
    if not text:
        raise ScenarioCodeError("that is not a scenario code: codes look like LB-0A2C-1M8H-Q4RT")
    bad = sorted({ch for ch in text if ch not in ALPHABET})
    if bad:
        raise ScenarioCodeError(
            f"a scenario code has only digits and the letters A–Z without I, L, O, U; this one has {''.join(bad)!r}"
        )
    data = _b32decode(text)
    if data is None or len(data) < 4:
        raise ScenarioCodeError("that code is too short: a character is missing (codes look like LB-0A2C-1M8H-Q4RT)")
    body, check = data[:-2], data[-2:]
    if _checksum(body) != check:
        raise ScenarioCodeError("that code has a typo: its check digits do not match (compare it character by character)")
    if body[0] != VERSION:
        raise ScenarioCodeError(
            f"that code was made by a different version of lbtutor (code format {body[0]}; this one reads format {VERSION})"
        )
    reader = _Reader(body, 2)
    try:
        if body[1] == SANDBOX:
            item = _decode_setup(reader)
        elif body[1] == SCENARIO:
            item = _decode_scenario(reader)
        else:
            raise ScenarioCodeError(f"that code holds something this lbtutor does not know (kind {body[1]})")
    except IndexError:
        raise ScenarioCodeError("that code ends too early: it is damaged") from None
    if not reader.done:
        raise ScenarioCodeError("that code has extra data at the end: it is damaged")
    return item


def _decode_setup(r: _Reader):
    from lbtutor.sim.presets import LabSetup, ServerSetup

    preset = _entry(PRESET_TABLE, r.get(), "traffic preset")
    dist = _entry(DIST_TABLE, r.get(), "service distribution")
    count = r.get()
    if not 1 <= count <= 8:
        raise ScenarioCodeError("that code is damaged: it names an impossible number of algorithms")
    algorithms = tuple(_entry(ALGORITHM_TABLE, r.get(), "algorithm") for _ in range(count))
    seed = r.get()
    flags = r.get()
    changes: dict = {"service_dist": dist}
    if flags & HAS_RATE:
        changes["arrival_rate"] = r.get() / 100
    if flags & HAS_SERVERS:
        servers: list = []
        for _ in range(r.get()):
            n, weight, speed, down = r.get(), r.get() / 100, r.get() / 100, bool(r.get())
            if len(servers) + n > 4096:
                raise ScenarioCodeError("that code is damaged: it names an impossible number of servers")
            servers += [ServerSetup(weight, speed, down)] * n
        changes["servers"] = tuple(servers)
    if flags & HAS_SHAPE:
        for f in SHAPE_FIELDS:
            v = r.get()
            if v:
                number = (v - 1) / 100
                changes[f] = number if f in ("service_rate", "zipf") else round(number)
    try:
        return LabSetup.from_preset(preset, algorithms, seed).with_(**changes)
    except ConfigError as exc:
        raise ScenarioCodeError(f"that code asks for something the lab refuses: {exc}") from None


def _decode_scenario(r: _Reader) -> ScenarioSpec:
    index = r.get()
    name = r.text() if index == 0 else _entry(SCENARIO_TABLE, index - 1, "scenario")
    seed = r.get()
    params: dict = {}
    for _ in range(r.get()):
        key = r.text()
        kind = r.get()
        if kind == BOOL:
            params[key] = bool(r.get())
        elif kind == INT:
            z = r.get()
            params[key] = z // 2 if z % 2 == 0 else -(z + 1) // 2
        elif kind == FLOAT:
            try:
                params[key] = float(r.text())
            except ValueError:
                raise ScenarioCodeError("that code is damaged: a parameter cannot be read") from None
        elif kind == TEXT:
            params[key] = r.text()
        else:
            raise ScenarioCodeError("that code is damaged: a parameter cannot be read")
    return ScenarioSpec(name, params, seed)


# ------------------------------------------------------------------------ pieces
def _index(table: tuple[str, ...], name: str, what: str) -> int:
    try:
        return table.index(name)
    except ValueError:
        raise ScenarioCodeError(f"no code can hold the {what} {name!r} yet") from None


def _entry(table: tuple[str, ...], index: int, what: str) -> str:
    if index >= len(table):
        raise ScenarioCodeError(f"that code names a {what} this lbtutor does not have (made by a newer version?)")
    return table[index]


def _hundredths(value: float, what: str) -> int:
    """`value` in hundredths, or a refusal: a code that silently rounded would open another run."""
    n = round(value * 100)
    if n < 0 or abs(value * 100 - n) > 1e-6 * max(1.0, abs(n)):
        raise ScenarioCodeError(f"this run cannot be written as a code: {what} of {value:g} is finer than "
                                "the hundredths a code holds")
    return n


def _put(out: bytearray, value: int) -> None:
    if value < 0:
        raise ValueError("codes hold numbers from 0 up")
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return


class _Reader:
    def __init__(self, data: bytes, pos: int) -> None:
        self.data = data
        self.pos = pos

    def get(self) -> int:
        value = shift = 0
        while True:
            byte = self.data[self.pos]
            self.pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value
            if shift > 70:
                raise ScenarioCodeError("that code is damaged: a number in it never ends")

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise IndexError
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def text(self) -> str:
        return self.take(self.get()).decode("utf-8", "replace")

    @property
    def done(self) -> bool:
        return self.pos == len(self.data)


def _checksum(body: bytes) -> bytes:
    return hashlib.blake2b(body, digest_size=2, person=b"lbtutor-code").digest()


def _b32encode(data: bytes) -> str:
    bits = int.from_bytes(data, "big") if data else 0
    nbits = len(data) * 8
    chars = (nbits + 4) // 5
    bits <<= chars * 5 - nbits
    return "".join(ALPHABET[(bits >> (5 * (chars - 1 - i))) & 31] for i in range(chars))


def _b32decode(text: str) -> bytes | None:
    nbytes = len(text) * 5 // 8
    if (nbytes * 8 + 4) // 5 != len(text):
        return None  # no byte count encodes to this many characters
    bits = 0
    for ch in text:
        bits = (bits << 5) | ALPHABET.index(ch)
    bits >>= len(text) * 5 - nbytes * 8
    return bits.to_bytes(nbytes, "big")
