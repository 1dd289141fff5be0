#!/usr/bin/env python3
"""Counts the module's code that a request executes, from a callgrind profile recorded with
--dump-instr=yes over N identical requests: the distinct 64-byte lines holding an instruction
of the module's shared object that ran at least N times (that is, on every request).

    scripts/code-footprint.py N callgrind.out [functions]

The portable SHA-256 compression (what valgrind runs instead of the SHA extensions) is left
out. With a third argument, the functions with the most such lines are listed too. Between
two requests the kernel and nginx push this code out of the first-level caches, so every
line is fetched again on the next request: the count is what a request pays for in misses.
It also gives the 4 KB pages those lines lie on and, from objdump's disassembly of the
shared object (when objdump is there), the bytes of the instructions themselves: the lines
they would take if nothing else lay between them.
"""
import re
import subprocess
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
    ob = fn = so_path = ""
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
                so_path = ob
                address = int(fields[0], 16)
                runs[address] = runs.get(address, 0) + int(fields[positions])
                owner[address] = fn
    lines = {}
    for address, count in runs.items():
        if count >= n:
            lines.setdefault(address // 64, set()).add(owner[address])
    pages = {line * 64 // 4096 for line in lines}
    print(f"{len(lines)} lines of 64 bytes ({len(lines) * 64} bytes) of module code run on every "
          f"request, on {len(pages)} pages")
    sizes = instruction_sizes(so_path)
    if sizes:
        hot = sum(sizes.get(address, 0) for address, count in runs.items() if count >= n)
        print(f"  the instructions themselves: {hot} bytes ({(hot + 63) // 64} lines if packed)")
    if top:
        per_fn = {}
        for functions in lines.values():
            for function in functions:
                per_fn[function] = per_fn.get(function, 0) + 1
        for function, count in sorted(per_fn.items(), key=lambda x: -x[1])[:top]:
            print(f"  {count:4d}  {function[:100]}")


def instruction_sizes(path):
    """The size of each instruction of the shared object at `path`, by address, from
    objdump's disassembly (the distance to the next one); empty without objdump."""
    try:
        out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", path],
                             capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return {}
    sizes = {}
    previous = None
    for line in out.splitlines():
        m = re.match(r"\s*([0-9a-f]+):\t", line)
        if not m:
            continue
        address = int(m.group(1), 16)
        if previous is not None and 0 < address - previous <= 15:
            sizes[previous] = address - previous
        previous = address
    return sizes


if __name__ == "__main__":
    main()
