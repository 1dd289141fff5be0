#!/usr/bin/env python3
"""Counts the distinct 64-byte lines of code and of data that nginx touches in user space
per request, from a trace of every instruction and memory access (valgrind's lackey tool):
what a request fetches again when the kernel and nginx's other work have pushed it out of
the first-level caches since the last. Deterministic, unlike the time the fetches take.

    scripts/request-lines.py NGINX PREFIX CONF PORT REQUESTS -- DRIVER...

Starts NGINX (single process: CONF must say `master_process off`) under valgrind, waits for
PORT, runs DRIVER (which must send REQUESTS requests), and splits the trace into requests at
each entry into ngx_http_process_request_line (a proxied request, whose upstream is a server
of the same nginx, enters it twice). Prints the median over the requests after the first
three: code lines and data lines, each split by where they lie (nginx, the module, libc,
other libraries, and anonymous memory: the stack and the heap).

valgrind hides the SHA extensions, so the module runs its portable SHA-256 there: the lines
of the sha2 crate's portable compression, and the data only it touches, are left out (on a
CPU with the SHA extensions the module's own compression runs instead, ~1 KB of code).
"""
import collections
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

LEFT_OUT = re.compile(r"sha2::sha256::compress256|sha2::sha256::soft::")


def symbols(path):
    """(start, end, name) of the functions of an ELF file, sorted."""
    out = subprocess.run(["nm", "-C", "-S", "--defined-only", path],
                         capture_output=True, text=True).stdout
    syms = []
    for line in out.splitlines():
        parts = line.split(None, 3)
        if len(parts) == 4 and parts[2] in "tT":
            start = int(parts[0], 16)
            syms.append((start, start + int(parts[1], 16), parts[3]))
    return sorted(syms)


def main():
    sep = sys.argv.index("--")
    nginx, prefix, conf, port, requests = sys.argv[1:sep]
    port, requests = int(port), int(requests)
    driver = sys.argv[sep + 1:]
    text = open(conf).read()
    module = re.search(r"^\s*load_module\s+(\S+);", text, re.M).group(1)
    if not re.search(r"\bmaster_process\s+off\s*;", text):
        sys.exit(f"{conf}: needs master_process off (one process to trace)")

    read_fd, write_fd = os.pipe()
    vg = subprocess.Popen(
        ["valgrind", "--tool=lackey", "--trace-mem=yes", f"--log-fd={write_fd}",
         nginx, "-p", prefix, "-c", conf, "-e", os.path.join(prefix, "error.log")],
        pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)

    # Filled in once nginx listens: the marker instruction and the address ranges to leave
    # out. The reader sees them as soon as they are set; requests come only after.
    known = {"marker": None, "left_out": [], "regions": []}
    requests_seen = []

    def read_trace():
        code, data = set(), set()
        skip = False
        with os.fdopen(read_fd, "r", buffering=1 << 20) as trace:
            for line in trace:
                if line.startswith("I"):
                    addr = int(line[3:line.index(",")], 16)
                    if addr == known["marker"]:
                        requests_seen.append((code, data))
                        code, data = set(), set()
                    skip = any(lo <= addr < hi for lo, hi in known["left_out"])
                    if not skip:
                        code.add(addr >> 6)
                elif line.startswith(" ") and not skip:
                    data.add(int(line[3:line.index(",")], 16) >> 6)
        requests_seen.append((code, data))

    reader = threading.Thread(target=read_trace)
    reader.start()
    try:
        measure(vg, nginx, module, port, driver, known)
    finally:
        if vg.poll() is None:
            vg.kill()
            vg.wait()
        reader.join()
    report(requests_seen, requests, nginx, module, known["regions"])


def measure(vg, nginx, module, port, driver, known):
    """Waits for nginx, finds its marker and what to leave out, and runs the driver."""
    for _ in range(600):
        time.sleep(0.1)
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()
            break
        except urllib.error.HTTPError:
            break
        except OSError:
            continue
    else:
        sys.exit(f"nginx did not answer on port {port}")
    maps = open(f"/proc/{vg.pid}/maps").read().splitlines()
    regions = known["regions"]
    for line in maps:
        parts = line.split()
        lo, hi = (int(x, 16) for x in parts[0].split("-"))
        regions.append((lo, hi, parts[5] if len(parts) > 5 else ""))

    def load_base(path):
        real = os.path.realpath(path)
        return min(lo for lo, _, name in regions if name and os.path.realpath(name) == real)

    marker = [s for s in symbols(nginx) if s[2] == "ngx_http_process_request_line"][0][0]
    elf_type = open(nginx, "rb").read(18)[16]
    module_base = load_base(module)
    known["left_out"] = [(module_base + lo, module_base + hi)
                         for lo, hi, name in symbols(module) if LEFT_OUT.search(name)]
    known["marker"] = marker + (load_base(nginx) if elf_type == 3 else 0)

    subprocess.run(driver, check=True)
    vg.send_signal(3)
    vg.wait()


def report(requests_seen, requests, nginx, module, regions):
    """Prints the medians over the requests after the first three."""
    # a request from the driver enters the marker once, or twice when proxied to this nginx
    seen = requests_seen[1:]
    per = max(1, round(len(seen) / requests))
    merged = []
    for i in range(0, len(seen) - per + 1, per):
        group = seen[i:i + per]
        merged.append((set().union(*(g[0] for g in group)), set().union(*(g[1] for g in group))))
    merged = merged[3:]

    named = {os.path.realpath(module): "module", os.path.realpath(nginx): "nginx"}
    kinds = []
    for lo, hi, name in regions:
        real = os.path.realpath(name) if name.startswith("/") else ""
        kind = named.get(real) or ("libc" if "/libc.so" in real else "other" if real else "")
        kinds.append((lo, hi, kind or "stack/heap"))

    def where(line):
        addr = line << 6
        for lo, hi, kind in kinds:
            if lo <= addr < hi:
                return kind
        return "stack/heap"

    def summary(kind):
        counts = [collections.Counter(where(line) for line in m[kind]) for m in merged]
        total = statistics.median(sum(c.values()) for c in counts)
        parts = {name: statistics.median(c[name] for c in counts)
                 for name in ("nginx", "module", "libc", "other", "stack/heap")}
        return total, parts

    for kind, label in ((0, "code"), (1, "data")):
        total, parts = summary(kind)
        detail = ", ".join(f"{name} {value:g}" for name, value in parts.items() if value)
        print(f"{label} {total:g} ({detail})")
    print(f"requests {len(merged)}")


if __name__ == "__main__":
    main()
