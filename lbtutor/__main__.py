"""Allows `python -m lbtutor`."""

from lbtutor.cli import main

raise SystemExit(main())
