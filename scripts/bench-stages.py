#!/usr/bin/env python3
"""Reads `callgrind_annotate --inclusive=yes` output and prints the module's cost by stage,
per request: scripts/bench-stages.py REQUESTS < annotate-output."""
import re
import sys

requests = int(sys.argv[1])
costs = {}
for line in sys.stdin:
    m = re.match(r"\s*([\d,]+)\s+\([^)]*\)\s+\S*:(.*)$", line) or re.match(r"\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(.*)$", line)
    if not m:
        continue
    ir = int(m.group(1).replace(",", ""))
    name = m.group(2).strip()
    costs[name] = max(costs.get(name, 0), ir)

for name, ir in sorted(costs.items(), key=lambda kv: -kv[1])[:60]:
    print(f"{ir / requests:10.0f}  {name[:150]}")
