#!/usr/bin/env python3
"""Single appends on the 1M benchmark log, two builds side by side, interleaved: an ordinary event (a visit) and two
corrections (of a UFRN and of an allocation, judged at their target's place). Medians of wall time and of the
child's CPU (user + sys), which the machine's load disturbs less.

    Tests/Scripts/append-bench.py OLD_BINARY NEW_BINARY DIR [RUNS]

DIR holds old/log.jsonl and new/log.jsonl, copies of bench-1000000.jsonl (with its .ids); each build keeps its own
write state beside its copy (formats differ), made by a first append that is not timed. Each run appends three
lines to each copy (ids made unique per call)."""
import json, os, resource, statistics, subprocess, sys, time, uuid

old, new, folder = sys.argv[1:4]
runs = int(sys.argv[4]) if len(sys.argv) > 4 else 21
family = "family:F-41453"  # in the 1M log: lead worker w-107, manager m-302, UFRN F-41453-ufrn-5
tag = uuid.uuid4().hex[:8]


def event(kind, index):
    base = dict(stream=family, occurredAt="2026-05-10")
    if kind == "visit":
        return dict(base, id=f"{tag}-v-{index}", type="visit.completed",
                    actor=dict(id="w-107", role="fsw"), data=dict(kind="home"))
    target, data = (("F-41453-ufrn-5", dict(ufrn="EH03461812F", locality="03")) if kind == "ufrn"
                    else ("F-41453-allocated-4", dict(worker="w-107", relationship="lead")))
    return dict(base, id=f"{tag}-{kind}-{index}", type="event.corrected",
                actor=dict(id="m-302", role="team-manager"), data=dict(target=target, reason="r", data=data))


def append(binary, which, line):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([binary, "append", "--log", os.path.join(folder, which, "log.jsonl"), "-"],
                          input=(json.dumps(line) + "\n").encode(), capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{which}: {done.stderr.decode()}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


builds = {"old": old, "new": new}
for which, binary in builds.items():  # the write state made (or caught up), not timed
    append(binary, which, event("visit", f"warm-{which}"))
times = {}
for index in range(runs):
    for which, binary in builds.items():
        for kind in ["visit", "ufrn", "alloc"]:
            times.setdefault((which, kind), []).append(append(binary, which, event(kind, f"{which}-{index}")))
for kind in ["visit", "ufrn", "alloc"]:
    o, n = times[("old", kind)], times[("new", kind)]
    ow, nw = statistics.median(t[0] for t in o), statistics.median(t[0] for t in n)
    oc, nc = statistics.median(t[1] for t in o), statistics.median(t[1] for t in n)
    print(f"{kind:6} wall old {ow * 1000:6.1f} ms new {nw * 1000:6.1f} ms ({nw / ow:.2f}x)"
          f"   cpu old {oc * 1000:6.1f} ms new {nc * 1000:6.1f} ms ({nc / oc:.2f}x)")
