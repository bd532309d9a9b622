#!/usr/bin/env python3
"""CPU of the server by component, from `perf script` output of a `perf record -p PID` run.

Each sample is charged to the component of its leaf frame (the code that was running), so the
shares add up to 100% of the server's samples. Multiply a share by the bench's "server CPU µs/req"
to get µs per request. Usage: perf script -i FILE | components.py
"""
import re
import sys
from collections import Counter

RULES = [
    ("kernel (sockets, scheduling, fsync)", re.compile(r"\[kernel|\[vdso\]")),
    ("SQLite", re.compile(r"libe_sqlite3")),
    ("Microsoft.Data.Sqlite + SQLitePCL", re.compile(r"Microsoft\.Data\.Sqlite|SQLitePCL|SafeHandle")),
    ("Marconi", re.compile(r"\[Marconi\.|\] Marconi\.")),
    ("Dapper", re.compile(r"\[Dapper\]|Dapper")),
    ("FluentValidation", re.compile(r"FluentValidation")),
    ("System.Text.Json", re.compile(r"System\.Text\.Json")),
    ("Kestrel + ASP.NET Core", re.compile(r"Microsoft\.AspNetCore|Microsoft\.Extensions|System\.IO\.Pipelines|System\.Net\.")),
    ("Serilog", re.compile(r"Serilog")),
    ("libc (malloc and mutexes, mostly SQLite's)", re.compile(r"libc\.so|ld-linux")),
    ("runtime: GC, allocation, thread pool", re.compile(r"libcoreclr|libclrjit|libSystem|\[unknown\]|stub ")),
    ("base library (System.Private.CoreLib)", re.compile(r"System\.Private\.CoreLib|System\.Runtime|System\.Collections|System\.Linq")),
]

def component(frame: str) -> str:
    for name, pattern in RULES:
        if pattern.search(frame):
            return name
    return "other managed code"

counts, total, leaf = Counter(), 0, None
for line in sys.stdin:
    if not line.strip():
        if leaf is not None:
            counts[component(leaf)] += 1
            total += 1
        leaf = None
    elif line[0] in " \t":
        if leaf is None:
            leaf = line.strip()
if leaf is not None:
    counts[component(leaf)] += 1
    total += 1

for name, n in counts.most_common():
    print(f"{100.0 * n / total:5.1f}%  {name}")
print(f"{total} samples")
