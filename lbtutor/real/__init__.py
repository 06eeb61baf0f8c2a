"""The real thing: HAProxy or nginx on loopback in front of real backends, fed by an open-loop
load generator, with the simulator running the same setup beside it.

Layering: this package may import `lbtutor.sim` (for the run beside it), never `lbtutor.ui`,
`lbtutor.content`, textual or rich (tests/test_lint.py holds it to that).
"""
