#!/usr/bin/env python3
"""Counts the module's code that a request executes, from a callgrind profile recorded with
--dump-instr=yes over N identical requests: the distinct 64-byte lines holding an instruction
of the module's shared object that ran at least N times (that is, on every request).

    scripts/code-footprint.py N callgrind.out [functions]

The portable SHA-256 compression (what valgrind runs instead of the SHA extensions) is left
out. With a third argument, the functions with the most such lines are listed too. Between
two requests the kernel and nginx push this code out of the first-level caches, so every
line is fetched again on the next request: the count is what a request pays for in misses.
"""
import re
import sys

MODULE = "libngx_http_onlyoffice_jwt_module.so"
LEFT_OUT = re.compile(r"sha2::sha256::compress256|sha2::sha256::soft::")


def main():
    n = int(sys.argv[1])
    path = sys.argv[2]
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    names = {}

    def name(kind, rest):
        # callgrind compresses names: "(id) name" defines one, "(id)" refers to it
        m = re.match(r"\((\d+)\)(?:\s+(.*))?", rest)
        if not m:
            return rest
        key = (kind, m.group(1))
        if m.group(2) is not None:
            names[key] = m.group(2)
        return names.get(key, "?")

    positions = 1
    ob = fn = ""
    after_call = False
    runs = {}
    owner = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            if line.startswith("positions:"):
                positions = len(line.split()) - 1
            elif line.startswith("ob="):
                ob = name("ob", line[3:])
            elif line.startswith("cob="):
                name("ob", line[4:])
            elif line.startswith("fn="):
                fn = name("fn", line[3:])
            elif line.startswith("cfn="):
                name("fn", line[4:])
            elif line.startswith("calls="):
                # the next cost line is the call's inclusive cost, not the caller's own
                after_call = True
            elif line[0].isdigit():
                fields = line.split()
                if after_call:
                    after_call = False
                    continue
                if MODULE not in ob or LEFT_OUT.search(fn) or len(fields) <= positions:
                    continue
                address = int(fields[0], 16)
                runs[address] = runs.get(address, 0) + int(fields[positions])
                owner[address] = fn
    lines = {}
    for address, count in runs.items():
        if count >= n:
            lines.setdefault(address // 64, set()).add(owner[address])
    print(f"{len(lines)} lines of 64 bytes ({len(lines) * 64} bytes) of module code run on every request")
    if top:
        per_fn = {}
        for functions in lines.values():
            for function in functions:
                per_fn[function] = per_fn.get(function, 0) + 1
        for function, count in sorted(per_fn.items(), key=lambda x: -x[1])[:top]:
            print(f"  {count:4d}  {function[:100]}")


if __name__ == "__main__":
    main()
