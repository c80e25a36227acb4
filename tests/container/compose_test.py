#!/usr/bin/env python3
"""The container test: the compose federation of deploy/compose.yaml, for real.

Builds the runtime image (deploy/Dockerfile, target `prebuilt`) from a Debian base made here
(debootstrap --variant=minbase bookworm, then docker import under the tag the Dockerfile's
base stage uses: no registry is needed) with the metronode binary built on the host, starts
the four pilot cities, waits until they converge, queries a metropolitan aggregate over HTTP
from outside, stops one city and checks the others report it stale and keep serving, publishes
a new release meanwhile, restarts the stopped city and checks it catches up, then tears
everything down.

Then the partitions (RELIABILITY.md, "Partitions"): Tirana cut off from the federation network
(1|3, `docker network disconnect`), then a 2|2 split made with packet filters in the cities'
network namespaces (every packet between the halves dropped, so calls hang until their timeout,
while each half keeps talking internally). Releases are published on both sides meanwhile; every
city's query answers within QUERY_DEADLINE and reports the cut-off members stale; after healing,
every city holds every origin's records, the partition's releases included.

Usage: tests/container/compose_test.py [BINARY]   (default: target/debug/metronode)
Without a reachable Docker engine it says so in one line and exits 1, or 0 when
METRONODE_CONTAINER_TEST=skip-if-no-docker.
"""

import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BASE = "debian:bookworm-slim"
IMAGE = "metronode:container-test"
PROJECT = f"mnct{os.getpid()}"
CITIES = ["bebru", "iedub", "bgsof", "altia"]
NAMES = {"bebru": "Brussels", "iedub": "Dublin", "bgsof": "Sofia", "altia": "Tirana"}
DEADLINE = 180
# Longest a city's query may take during a partition: a node never waits on an unreachable peer.
QUERY_DEADLINE = 5.0
QUERY = "/api/v1/query?indicator=DRI-USE-01&by=age_band&period=2025"
# The iptables chain the partitions add to each city's network namespace.
CHAIN = "METRONODE-PARTITION"


def say(line):
    print(f"container test: {line}", flush=True)


def run(*args, check=True, capture=False, env=None):
    return subprocess.run(
        args, check=check, text=True, env=env,
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.PIPE if capture else None,
    )


def compose_cmd():
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return ["docker", "compose"]


def ensure_base():
    if run("docker", "image", "inspect", BASE, check=False, capture=True).returncode == 0:
        say(f"base image {BASE} present")
        return
    if not shutil.which("debootstrap"):
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        run(*sudo, "apt-get", "install", "-y", "-qq", "debootstrap", capture=True)
    start = time.time()
    with tempfile.TemporaryDirectory(prefix="metronode-rootfs-") as tmp:
        rootfs = os.path.join(tmp, "rootfs")
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        run(*sudo, "debootstrap", "--variant=minbase", "bookworm", rootfs,
            "http://deb.debian.org/debian", capture=True)
        tar = subprocess.Popen([*sudo, "tar", "-C", rootfs, "-c", "."], stdout=subprocess.PIPE)
        imp = subprocess.run(["docker", "import", "-", BASE], stdin=tar.stdout,
                             stdout=subprocess.PIPE, text=True)
        tar.wait()
        if imp.returncode != 0 or tar.returncode != 0:
            raise SystemExit("container test: docker import of the debootstrap base failed")
        run(*sudo, "rm", "-rf", rootfs, check=False)
    say(f"base image {BASE} made with debootstrap in {time.time() - start:.0f} s")


def build_image(binary):
    with tempfile.TemporaryDirectory(prefix="metronode-ctx-") as ctx:
        shutil.copy2(binary, os.path.join(ctx, "metronode"))
        run("docker", "build", "-q", "-f", os.path.join(ROOT, "deploy", "Dockerfile"),
            "--target", "prebuilt", "-t", IMAGE, ctx, capture=True)
    say(f"built {IMAGE} from {binary}")


# The slowest query answer seen (seconds), and how many were asked, over the partitions.
SLOWEST = {"seconds": 0.0, "queries": 0}
# Reachable members a city's answer called stale during a partition: (city, member) pairs.
FALSE_STALE = set()


def get(port, path):
    started = time.time()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=QUERY_DEADLINE) as r:
        answer = json.load(r)
    took = time.time() - started
    SLOWEST["seconds"] = max(SLOWEST["seconds"], took)
    SLOWEST["queries"] += 1
    assert took <= QUERY_DEADLINE, f"GET {path} took {took:.1f} s"
    return answer


def wait_for(what, cond, timeout=DEADLINE):
    start = time.time()
    last = None
    while time.time() - start < timeout:
        try:
            if cond():
                say(f"{what} after {time.time() - start:.1f} s")
                return
        except Exception as e:  # noqa: BLE001 - a node still starting is expected here
            last = e
        time.sleep(1)
    raise AssertionError(f"{what}: not within {timeout} s (last error: {last})")


def held(port):
    """Records held per origin at the node behind `port`."""
    return {m["id"]: m["records_held"] for m in get(port, "/api/v1/members")["members"]}


def converged(ports, cities):
    """Every node holds the same records of every origin, and every city's releases."""
    views = [held(ports[c]) for c in cities]
    if len(views[0]) != 4 or any(v != views[0] for v in views):
        return False
    query = "/api/v1/query?indicator=DRI-USE-01&period=2025"
    return all(len(get(ports[c], query)["coverage"]["included"]) == 4 for c in cities)


def stale(port):
    """The members a city's answer reports stale."""
    return {x["city"] for x in get(port, QUERY)["coverage"]["stale"]}


def sides_stale(ports, sides):
    """Whether every city reports every member of the other sides stale; notes any member of
    its own side it reports stale (reachable, so wrongly called stale)."""
    ok = True
    for side in sides:
        others = {c.upper() for c in CITIES if c not in side}
        for c in side:
            seen = stale(ports[c])
            FALSE_STALE.update((c.upper(), m) for m in seen if m not in others)
            ok &= others <= seen
    return ok


def holds(ports, cities, sizes):
    """Every city in `cities` holds at least `sizes[origin]` records of each origin given."""
    return all(held(ports[c]).get(o, 0) >= n for c in cities for o, n in sizes.items())


class Federation:
    """The running compose federation: containers, their addresses, and ways to split them."""

    def __init__(self, project):
        self.project = project
        self.network = f"{project}_federation"
        self.ids = {}
        for c in CITIES:
            out = run("docker", "ps", "-q", "--filter", f"name={project}_{c}_", capture=True)
            self.ids[c] = out.stdout.split()[0]

    def inspect(self, city, fmt):
        return run("docker", "inspect", "--format", fmt, self.ids[city],
                   capture=True).stdout.strip()

    def ip(self, city):
        return self.inspect(city, f'{{{{(index .NetworkSettings.Networks "{self.network}").IPAddress}}}}')

    def exec(self, city, *args):
        return run("docker", "exec", self.ids[city], "metronode", *args, capture=True)

    def publish(self, city, period):
        """Publishes a new release in `city` (its own local port: works in any partition) and
        returns the size of its own log afterwards."""
        self.exec(city, "demo", "generate", "--city", city.upper(), "--rows", "600", "--seed",
                  period, "--out", f"/tmp/survey-{period}.csv")
        out = self.exec(city, "ingest", "--dir", "/data", "--dataset", "survey", "--period",
                        period, f"/tmp/survey-{period}.csv").stdout
        last = re.search(r"as log records \d+\.\.=(\d+)", out)
        assert last, out
        return int(last.group(1)) + 1

    def local_query(self, city):
        """The city's answer through its own local port, from inside its container: the
        members it reports stale, and how long it took."""
        started = time.time()
        out = self.exec(city, "query", "--dir", "/data", "--indicator", "DRI-USE-01",
                        "--by", "age_band", "--period", "2025", "--format", "json")
        took = time.time() - started
        SLOWEST["seconds"] = max(SLOWEST["seconds"], took)
        SLOWEST["queries"] += 1
        assert took <= QUERY_DEADLINE + 1, f"the local query took {took:.1f} s"
        return {x["city"] for x in json.loads(out.stdout)["coverage"]["stale"]}

    def nsenter(self, city, *args):
        pid = self.inspect(city, "{{.State.Pid}}")
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        return run(*sudo, "nsenter", "-t", pid, "-n", "iptables", *args, capture=True)

    def split(self, *sides):
        """Drops every packet between cities on different sides, in both cities' namespaces."""
        ips = {c: self.ip(c) for c in CITIES}
        for side in sides:
            for c in side:
                self.nsenter(c, "-N", CHAIN)
                self.nsenter(c, "-I", "INPUT", "-j", CHAIN)
                self.nsenter(c, "-I", "OUTPUT", "-j", CHAIN)
                for other in CITIES:
                    if other not in side:
                        self.nsenter(c, "-A", CHAIN, "-s", ips[other], "-j", "DROP")
                        self.nsenter(c, "-A", CHAIN, "-d", ips[other], "-j", "DROP")

    def heal(self):
        for c in CITIES:
            if self.nsenter_ok(c, "-L", CHAIN):
                self.nsenter(c, "-D", "INPUT", "-j", CHAIN)
                self.nsenter(c, "-D", "OUTPUT", "-j", CHAIN)
                self.nsenter(c, "-F", CHAIN)
                self.nsenter(c, "-X", CHAIN)

    def nsenter_ok(self, city, *args):
        try:
            self.nsenter(city, *args)
            return True
        except subprocess.CalledProcessError:
            return False


def reliability_note(section, lines):
    """Replaces the `## section` of RELIABILITY.md with `lines`, keeping every other section,
    as the Rust tests' `reliability_note` does: under an exclusive lock on the repository
    directory, through a temporary file renamed over the report."""
    path = os.path.join(ROOT, "RELIABILITY.md")
    lock = os.open(ROOT, os.O_RDONLY)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with open(path, encoding="utf-8") as f:
                old = f.read()
        except FileNotFoundError:
            old = ""
        parts = [[]]
        for line in old.splitlines():
            if line.startswith("## "):
                parts.append([])
            parts[-1].append(line)
        if not parts[0] or parts[0][0] != "# Reliability":
            parts[0] = ["# Reliability", "", "Regenerated by the test suite (`bash .ci/run`); "
                        "each section is written by the tests named in it."]
        body = [f"## {section}", "", *lines]
        for i, part in enumerate(parts):
            if i > 0 and part[0] == f"## {section}":
                parts[i] = body
                break
        else:
            parts.append(body)
        text = "\n\n".join("\n".join(p).rstrip() for p in parts) + "\n"
        tmp = os.path.join(ROOT, f".RELIABILITY.md.{os.getpid()}.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, path)
    finally:
        os.close(lock)


def partitions(ports, dc):
    """The partition phases; returns the rows of the report."""
    fed = Federation(PROJECT)
    rows = []
    all_up = lambda: {c.upper() for c in CITIES}  # noqa: E731

    # 1|3: Tirana disconnected from the federation network. Its published port goes with that
    # network, so it is asked through its own local port from inside its container.
    say("phase 1|3: Tirana cut off (docker network disconnect)")
    phase = time.time()
    run("docker", "network", "disconnect", fed.network, fed.ids["altia"])
    majority = ["bebru", "iedub", "bgsof"]
    sizes = {"BEBRU": fed.publish("bebru", "2027")}
    tirana = fed.publish("altia", "2027")
    wait_for("phase 1|3: Brussels, Dublin and Sofia report Tirana stale",
             lambda: sides_stale(ports, [majority]), timeout=60)
    wait_for("phase 1|3: Brussels, Dublin and Sofia hold Brussels's new release",
             lambda: holds(ports, majority, sizes), timeout=60)
    wait_for("phase 1|3: Tirana reports the three others stale",
             lambda: fed.local_query("altia") >= {"BEBRU", "IEDUB", "BGSOF"}, timeout=60)
    stale_seen = time.time() - phase
    run("docker", "network", "connect", "--alias", "altia", fed.network, fed.ids["altia"])
    healed = time.time()
    say("phase 1|3: Tirana reconnected (with its service name as alias)")
    resolved = run("docker", "exec", fed.ids["bebru"], "getent", "hosts", "altia",
                   capture=True).stdout.split()[0]
    assert resolved == fed.ip("altia"), (resolved, fed.ip("altia"))
    ports["altia"] = dc("port", "altia", "7480").stdout.strip().rsplit(":", 1)[1]
    sizes["ALTIA"] = tirana
    wait_for("phase 1|3: every city holds both sides' releases",
             lambda: holds(ports, CITIES, sizes) and converged(ports, CITIES))
    wait_for("phase 1|3: no city reports anyone stale",
             lambda: not any(stale(ports[c]) & all_up() for c in CITIES), timeout=60)
    rows.append(("1\\|3: Tirana disconnected from the federation network "
                 "(`docker network disconnect`, then `connect --alias altia`; the others "
                 "resolve `altia` again)",
                 "Brussels and Tirana",
                 "Brussels, Dublin and Sofia held Brussels's new release and reported Tirana "
                 "stale; Tirana reported the three stale",
                 stale_seen, time.time() - healed))

    # 2|2: packets between {Brussels, Dublin} and {Sofia, Tirana} dropped in both directions.
    say("phase 2|2: {Brussels, Dublin} | {Sofia, Tirana} (packets dropped both ways)")
    phase = time.time()
    west, east = ["bebru", "iedub"], ["bgsof", "altia"]
    fed.split(west, east)
    try:
        dublin = {"IEDUB": fed.publish("iedub", "2028")}
        sofia = {"BGSOF": fed.publish("bgsof", "2028")}
        wait_for("phase 2|2: each half reports the other stale",
                 lambda: sides_stale(ports, [west, east]), timeout=90)
        wait_for("phase 2|2: each half holds its own new release", lambda: holds(
            ports, west, dublin) and holds(ports, east, sofia), timeout=60)
        # Keep asking a while longer: a reachable member must not be called stale meanwhile.
        until = time.time() + 15
        while time.time() < until:
            sides_stale(ports, [west, east])
            time.sleep(0.5)
        assert not holds(ports, east, dublin) and not holds(ports, west, sofia)
        stale_seen = time.time() - phase
    finally:
        fed.heal()
    healed = time.time()
    say("phase 2|2: healed")
    sizes = {**dublin, **sofia}
    wait_for("phase 2|2: every city holds both halves' releases",
             lambda: holds(ports, CITIES, sizes) and converged(ports, CITIES))
    wait_for("phase 2|2: no city reports anyone stale",
             lambda: not any(stale(ports[c]) & all_up() for c in CITIES), timeout=90)
    rows.append(("2\\|2: {Brussels, Dublin} and {Sofia, Tirana}, every packet between them "
                 "dropped both ways (iptables in each city's network namespace), so calls "
                 "across hang until `peer_timeout_ms`", "Dublin and Sofia",
                 "each half held its own side's new release and not the other's, and reported "
                 "the other half stale",
                 stale_seen, time.time() - healed))
    return rows


def report(rows, took):
    lines = [
        f"Written by `tests/container/compose_test.py` (run by `.ci/run`; the partition phases "
        f"took {took:.0f} s): the four pilot cities of `deploy/compose.yaml` as containers, each "
        "syncing every second and calling a member stale after 10 s without a sync. During "
        "each partition a new release was published on both sides (`metronode ingest` in the "
        "container), and every city was asked the metropolitan query over HTTP from the host "
        "again and again (a city off the federation network through its own local port, with "
        f"`metronode query` in its container): {SLOWEST['queries']} answers, the slowest in "
        f"{SLOWEST['seconds'] * 1000:.0f} ms (the test fails any answer over "
        f"{QUERY_DEADLINE:.0f} s).",
        "",
        "| Partition | Published during it | Meanwhile | Cut-off members stale everywhere, "
        "each side's own release held by its side | After healing: every city holds every "
        "origin's records, nobody stale |",
        "|---|---|---|---:|---:|",
    ]
    for what, published, meanwhile, stale_seen, healed in rows:
        lines.append(f"| {what} | {published} | {meanwhile}; every answer within the deadline "
                     f"| {stale_seen:.0f} s | {healed:.0f} s |")
    wrong = ", ".join(f"{NAMES[c.lower()]} called {NAMES[m.lower()]} stale"
                      for c, m in sorted(FALSE_STALE))
    lines += [
        "",
        "Reachable members called stale during the partitions (peers are synced concurrently, "
        "so an unreachable peer's calls timing out hold up only its own slot; the test fails "
        f"on any): {wrong or 'none'}.",
        "",
        "A node never waits on an unreachable peer to answer a query: answers come from the "
        "records held, with the members not synced within `stale_after_ms` listed as stale "
        "(their verified releases stay included). Healing takes as long as the peers' backoff: "
        "a failed sync is retried after the sync interval doubled per failure in a row, up to "
        "five minutes, so a long partition heals in up to five minutes after the network does.",
    ]
    reliability_note("Partitions", lines)


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target", "debug", "metronode")
    if shutil.which("docker") is None or run("docker", "info", check=False,
                                                 capture=True).returncode != 0:
        allowed = os.environ.get("METRONODE_CONTAINER_TEST") == "skip-if-no-docker"
        print("container test: skipped: no Docker engine is reachable"
              + ("" if allowed else " (set METRONODE_CONTAINER_TEST=skip-if-no-docker to allow)"))
        return 0 if allowed else 1
    if not os.path.exists(binary):
        raise SystemExit(f"container test: {binary} is missing; build it first (cargo build)")
    ensure_base()
    build_image(binary)

    env = dict(os.environ, METRONODE_IMAGE=IMAGE, METRONODE_DEMO_ROWS="600")
    for c in CITIES:
        env[f"METRONODE_{c.upper()}_HTTP"] = "127.0.0.1:"
    compose = [*compose_cmd(), "-p", PROJECT, "-f", os.path.join(ROOT, "deploy", "compose.yaml")]

    def dc(*args, capture=True):
        return run(*compose, *args, env=env, capture=capture)

    try:
        dc("up", "-d")
        ports = {c: dc("port", c, "7480").stdout.strip().rsplit(":", 1)[1] for c in CITIES}
        say(f"four cities up, dashboards on ports {ports}")

        wait_for("the four cities converged", lambda: converged(ports, CITIES))
        query = "/api/v1/query?indicator=DRI-USE-01&by=age_band&period=2025"
        for c in CITIES:
            a = get(ports[c], query)
            assert sorted(a["coverage"]["included"]) == ["ALTIA", "BEBRU", "BGSOF", "IEDUB"], a
            assert a["metro"]["value"] > 0, a["metro"]
        say("every city answers the metropolitan aggregate with all four cities included")

        dc("stop", "bgsof")
        say("stopped Sofia")
        others = ["bebru", "iedub", "altia"]

        def sofia_stale():
            return all(any(s["city"] == "BGSOF" for s in get(ports[c], query)["coverage"]["stale"])
                       for c in others)
        wait_for("the others report Sofia stale", sofia_stale, timeout=60)
        a = get(ports["iedub"], query)
        assert "BGSOF" in a["coverage"]["included"], "Sofia's verified releases stay usable"

        # A new release in Brussels while Sofia is down.
        before = held(ports["bebru"])["BEBRU"]
        container = run("docker", "ps", "-q", "--filter", f"name={PROJECT}_bebru",
                        capture=True).stdout.split()[0]
        # As a data officer would (README): the file stays on the host and is streamed through
        # `docker exec -i` into the CLI in the container (read-only root), which sends it to the
        # node's local port.
        with tempfile.TemporaryDirectory() as tmp:
            host_file = os.path.join(tmp, "survey-2026.csv")
            run(binary, "demo", "generate", "--city", "BEBRU", "--rows", "600", "--seed", "7",
                "--out", host_file)
            with open(host_file, "rb") as f:
                streamed = subprocess.run(
                    ["docker", "exec", "-i", container, "metronode", "ingest", "--dir", "/data",
                     "--dataset", "survey", "--period", "2026", "/dev/stdin"],
                    stdin=f, capture_output=True, text=True)
            assert streamed.returncode == 0, streamed.stderr
            assert "as log records" in streamed.stdout, streamed.stdout
        after = held(ports["bebru"])["BEBRU"]
        assert after > before, (before, after)
        wait_for("Dublin and Tirana hold Brussels's new release",
                 lambda: converged(ports, others) and held(ports["iedub"])["BEBRU"] == after)

        dc("start", "bgsof")
        say("restarted Sofia")
        ports["bgsof"] = dc("port", "bgsof", "7480").stdout.strip().rsplit(":", 1)[1]
        wait_for("Sofia caught up", lambda: converged(ports, CITIES)
                 and held(ports["bgsof"])["BEBRU"] == after)
        wait_for("no city reports Sofia stale", lambda: not any(
            any(s["city"] == "BGSOF" for s in get(ports[c], query)["coverage"]["stale"])
            for c in others), timeout=60)
        a = get(ports["bgsof"], "/api/v1/query?indicator=DRI-USE-01&period=2026")
        assert a["coverage"]["included"] == ["BEBRU"], a["coverage"]
        say("Sofia serves Brussels's 2026 release it missed while stopped")
        health = run("docker", "inspect", "--format", "{{.State.Health.Status}}",
                     container, capture=True).stdout.strip()
        assert health == "healthy", health

        started = time.time()
        rows = partitions(ports, dc)
        report(rows, time.time() - started)
        assert not FALSE_STALE, f"reachable members called stale: {sorted(FALSE_STALE)}"
        say("partitions: every replica converged after each split; RELIABILITY.md written")
        say("ok")
        return 0
    except Exception:
        for c in CITIES:
            logs = dc("logs", "--tail", "20", c, capture=True)
            print(logs.stdout[-4000:], file=sys.stderr)
        raise
    finally:
        run(*compose, "down", "-v", "--remove-orphans", env=env, check=False, capture=True)
        say("torn down")


if __name__ == "__main__":
    sys.exit(main())
