#!/usr/bin/env python3
"""Splits the module's instructions per request by stage, from two callgrind profiles of
the same N requests: one to the location with the module on, one with it off.

    scripts/bench-stages.py N callgrind.on callgrind.off

Self (exclusive) costs are summed by function: the HMAC (sha2, hmac, digest, hs256), base64, JSON
(the scanner and serde_json), the claim and policy checks, the JWS parsing (splitting the
token, choosing the key), malloc/free (the 'on' run's minus the 'off' run's), and the nginx
glue: everything else that the 'on' run costs more than the 'off' run.
"""
import re
import subprocess
import sys

STAGES = [
    ("HMAC-SHA", re.compile(r"sha2::|hmac::|digest::|subtle::|block_buffer|onlyoffice_jwt_core::hs256::|jws::Key::matches")),
    ("base64", re.compile(r"base64::|onlyoffice_jwt_core::b64::")),
    ("JSON", re.compile(r"onlyoffice_jwt_core::scan::|onlyoffice_jwt_core::json::|serde_json::|serde_core::|core::str::converts::from_utf8")),
    ("claims/policy", re.compile(r"onlyoffice_jwt_core::policy::|Verifier::check_times|NumericDate")),
    ("JWS parsing", re.compile(r"onlyoffice_jwt_core::jws::")),
    ("malloc/free", re.compile(r"malloc|free|realloc|memalign|__rust_alloc|__rust_dealloc|raw_vec")),
]


def self_costs(path):
    out = subprocess.run(
        ["callgrind_annotate", "--threshold=100", path],
        capture_output=True, text=True, check=True,
    ).stdout
    total = 0
    costs = {}
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(.*)$", line)
        if not m:
            continue
        ir = int(m.group(1).replace(",", ""))
        name = m.group(2)
        if "PROGRAM TOTALS" in name:
            total = ir
            continue
        costs[name] = costs.get(name, 0) + ir
    return total, costs


def by_stage(costs):
    stages = {name: 0 for name, _ in STAGES}
    for fn, ir in costs.items():
        for name, pattern in STAGES:
            if pattern.search(fn):
                stages[name] += ir
                break
    return stages


def main():
    n = int(sys.argv[1])
    on_total, on = self_costs(sys.argv[2])
    off_total, off = self_costs(sys.argv[3])
    on_stages, off_stages = by_stage(on), by_stage(off)
    module = (on_total - off_total) / n
    print(f"module total {module:9.0f} instructions per request")
    accounted = 0
    for name, _ in STAGES:
        cost = (on_stages[name] - off_stages[name]) / n
        accounted += cost
        print(f"  {name:<14} {cost:9.0f}")
    print(f"  {'nginx glue':<14} {module - accounted:9.0f}  (access handler, body reading, context)")
    hmac = (on_stages["HMAC-SHA"] - off_stages["HMAC-SHA"]) / n
    if hmac > 0:
        print(f"  module / HMAC  {module / hmac:9.2f}")


if __name__ == "__main__":
    main()
