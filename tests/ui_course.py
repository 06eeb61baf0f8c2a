"""A small, fixed course for the UI tests and snapshots: lessons in the bundled format, one broken.

Written to a temporary folder by `write_course(path)`, so the tests never depend on the wording of
the real lessons (which teachers edit) and the snapshots stay the same from run to run.
"""

from __future__ import annotations

from pathlib import Path

SECTION_TITLES = [
    "Load Balancing Fundamentals",
    "Load Balancing Algorithms",
    "Layer 4 vs Layer 7 Load Balancing",
    "Load Balancer Types",
    "Health Checks and Failover",
    "API Gateway",
    "Scaling Strategies",
    "High Availability for Load Balancers",
]

FIRST = '''+++
id = "basics"
section = 1
title = "Load Balancing Fundamentals"
minutes = 25
+++

## One server

A server finishes about **10 req/s**. Requests arrive at random, 6 req/s on average,
so it is busy 60% of the time. Text like [bold]this[/bold] is shown as written.

```
client ──▶ balancer ──▶ server
```

## Three servers

Three equal servers share the traffic.

```lab
title = "Three equal servers"
look_for = "Each server gets every third request, so the bars rise and fall together."
algorithms = ["round-robin", "random"]
servers = 3
arrival_rate = 24.0
service_rate = 10.0
seed = 7
```

```check
question = "Which server gets the fourth request under round robin?"
answer = "a"
[[options]]
key = "a"
text = "The first server, s1"
explain = "Round robin goes s1, s2, s3 and starts again, so the fourth goes to s1."
[[options]]
key = "b"
text = "The least busy server"
explain = "That is least connections. Round robin does not look at load."
[[options]]
key = "c"
text = "A random server"
explain = "That is the random algorithm; round robin follows a fixed order."
```

## What the balancer buys you

| Without a balancer | With a balancer in front of several servers |
|---|---|
| One server carries every request, however many arrive | The requests are shared, so the pool carries the sum of what each can |
| When it dies, the service is down until someone restarts it | When one dies, the balancer stops sending to it and the others carry on |

```check
question = "What does a balancer give you? Choose all that apply."
answer = ["a", "b"]
[[options]]
key = "a"
text = "More capacity than one server"
explain = "Several servers answer more requests than one."
[[options]]
key = "b"
text = "Survival when one server fails"
explain = "The balancer stops sending to a dead server."
[[options]]
key = "c"
text = "Faster requests on an idle system"
explain = "With no queue, a request takes as long as its own work wherever it goes."
```

That is the whole first module. Back to [three servers](basics#three-servers) or [this step](#what-the-balancer-buys-you).
'''

OTHER = '''+++
id = "{id}"
section = {section}
title = "{title}"
minutes = {minutes}
+++

## Overview

What {title} is about.

## In practice

How it is used.
'''

BROKEN = '''+++
id = "summary"
section = 9
title = "Chapter Summary"
minutes = 30
+++

## Cheat sheet

```lab
title = "A lab with a typo"
look_for = "Nothing: this block is broken."
algorithms = ["[b]fastest[/b]"]
```
'''


def write_course(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "01-basics.md").write_text(FIRST, encoding="utf-8")
    for n, title in enumerate(SECTION_TITLES[1:], start=2):
        slug = f"module-{n}"
        text = OTHER.format(id=slug, section=n, title=title, minutes=20 + 5 * n)
        (directory / f"{n:02d}-{slug}.md").write_text(text, encoding="utf-8")
    (directory / "09-summary.md").write_text(BROKEN, encoding="utf-8")
    return directory
