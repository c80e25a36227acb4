#!/usr/bin/env python3
"""The container test: the compose federation of deploy/compose.yaml, for real.

Builds the runtime image (deploy/Dockerfile, target `prebuilt`) from a Debian base made here
(debootstrap --variant=minbase bookworm, then docker import under the tag the Dockerfile's
base stage uses: no registry is needed) with the metronode binary built on the host, starts
the four pilot cities, waits until they converge, queries a metropolitan aggregate over HTTP
from outside, stops one city and checks the others report it stale and keep serving, publishes
a new release meanwhile, restarts the stopped city and checks it catches up, then tears
everything down.

Usage: tests/container/compose_test.py [BINARY]   (default: target/debug/metronode)
Without a reachable Docker engine it says so in one line and exits 1, or 0 when
METRONODE_CONTAINER_TEST=skip-if-no-docker.
"""

import json
import os
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
DEADLINE = 180


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


def get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
        return json.load(r)


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
        run("docker", "exec", container, "metronode", "demo", "generate", "--city", "BEBRU",
            "--rows", "600", "--seed", "7", "--out", "/tmp/survey-2026.csv")
        run("docker", "exec", container, "metronode", "ingest", "--dir", "/data", "--dataset",
            "survey", "--period", "2026", "/tmp/survey-2026.csv", capture=True)
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
