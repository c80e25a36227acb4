#!/usr/bin/env python3
"""Checks the metronode Helm chart with Helm's own Go code (helm-sdkpy), without a helm binary
or a cluster. Run through check.sh, which installs helm-sdkpy, cffi and PyYAML.

1. `helm lint` (helm-sdkpy's Lint: schema validation, rendering, manifest checks) of the chart
   with its default values and with test-values.yaml; warnings count as failures.
2. Broken value sets must be rejected by the schema (lint and install both).
3. `helm install` against a small fake Kubernetes API server in this process (HELM_DRIVER=memory
   keeps the release in memory): Helm renders the manifests exactly as for a real install, maps
   every object through API discovery and POSTs it. The rendered manifests are then parsed and
   the facts that matter are checked; the init container's script is run in a sandbox.

Prints one line per check; exits 1 if any fails.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import copy
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import tomllib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
CHART = HERE / "metronode"
TEST_VALUES = HERE / "test-values.yaml"
NODE_EXAMPLE = HERE.parent / "node.example.toml"
NAMESPACE = "metronode-ci"

# Fields of node/src/config.rs that deploy/node.example.toml leaves out; all else must be the
# example's own structure (the node refuses unknown fields).
CONFIG_FIELDS_BEYOND_EXAMPLE = {"federation": {"stale_after_ms"}, "http": {"public", "tokens"}}
MEMBER_ID = re.compile(r"^[A-Z]{2}[A-Z2-9]{3}$")
LABELS = (
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/component",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/managed-by",
    "helm.sh/chart",
)

# Value sets the schema must reject, each applied on top of test-values.yaml.
BROKEN = [
    ("node.id of 3 letters", {"node": {"id": "BRU"}}),
    ("node.id in lower case", {"node": {"id": "bebru"}}),
    ("node.endpoint not https://", {"node": {"endpoint": "http://bebru.example.org:7401"}}),
    ("unknown top-level value (typo)", {"persistance": {"size": "1Gi"}}),
    ("unknown field in node", {"node": {"city": "Brussels"}}),
    ("token sha256 not 64 hex digits",
     {"http": {"tokens": [{"name": "x", "sha256": "abc123"}]}}),
    ("logging.format xml", {"logging": {"format": "xml"}}),
    ("federation.syncIntervalMs below 50", {"federation": {"syncIntervalMs": 10}}),
    ("federation.peersPerRound of 0", {"federation": {"peersPerRound": 0}}),
    ("card key not a member id", {"federation": {"cards": {"dublin": "id = \"IEDUB\""}}}),
    ("federation.service.type External", {"federation": {"service": {"type": "External"}}}),
    ("privacy perRelease with 4 decimals", {"privacy": {"survey": {"perRelease": "0.1234"}}}),
    ("privacy mechanism unknown", {"privacy": {"survey": {"mechanism": "gaussian"}}}),
    ("keys value not PEM", {"identity": {"keys": {"tlsCert": "not a certificate"}}}),
    ("persistence.size not a quantity", {"persistence": {"size": "lots"}}),
    ("http.ingress.host with a scheme", {"http": {"ingress": {"host": "https://x.example.org"}}}),
]

# Value sets the templates must refuse (checks the schema cannot express), on test-values.yaml.
REFUSED = [
    ("flagBase below minBase", {"disclosure": {"minBase": 50, "flagBase": 40}},
     "flagBase must be at least"),
    ("no keys and no existingSecret",
     {"identity": {"keys": {"signingKey": "", "tlsKey": "", "tlsCert": ""}}},
     "keys are required"),
    ("grace period not above the drain timeout",
     {"terminationGracePeriodSeconds": 10, "grpc": {"drainTimeoutSecs": 10}},
     "terminationGracePeriodSeconds must be larger"),
    ("an Ingress without a host", {"http": {"ingress": {"enabled": True, "host": ""}}},
     "http.ingress.host is required"),
]


# === reporting ===

class Report:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def check(self, name: str, ok: bool, detail: str = "", note: str = "") -> bool:
        """One line: `ok    name (note)` or `FAIL  name: detail`."""
        if ok:
            self.passed += 1
            print(f"ok    {name}" + (f" ({note})" if note else ""), flush=True)
        else:
            self.failed += 1
            print(f"FAIL  {name}" + (f": {detail or note}" if detail or note else ""), flush=True)
        return ok

    @contextlib.contextmanager
    def section(self, name: str):
        """Turns an unexpected exception in a group of checks into one failed check."""
        try:
            yield
        except Exception as e:  # noqa: BLE001 - reported, the run goes on
            self.check(name, False, f"{type(e).__name__}: {e}")


def deep_merge(base: Any, over: Any) -> Any:
    """Helm's value coalescing: maps merge recursively, anything else replaces."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = deep_merge(base.get(k), v) if k in base else copy.deepcopy(v)
        return out
    return copy.deepcopy(over)


def get(obj: Any, *path: Any, default: Any = None) -> Any:
    for p in path:
        try:
            obj = obj[p]
        except (KeyError, IndexError, TypeError):
            return default
    return obj


# === a fake Kubernetes API server, enough for `helm install` ===

def _resource(name: str, kind: str, namespaced: bool = True) -> dict:
    return {
        "name": name, "singularName": kind.lower(), "namespaced": namespaced, "kind": kind,
        "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"],
    }


DISCOVERY = {
    "/version": {"major": "1", "minor": "31", "gitVersion": "v1.31.0", "platform": "linux/amd64"},
    "/api": {"kind": "APIVersions", "versions": ["v1"],
             "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]},
    "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
        {"name": g, "versions": [{"groupVersion": f"{g}/v1", "version": "v1"}],
         "preferredVersion": {"groupVersion": f"{g}/v1", "version": "v1"}}
        for g in ("apps", "policy", "networking.k8s.io", "monitoring.coreos.com")]},
    "/api/v1": {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "v1", "resources": [
        _resource("configmaps", "ConfigMap"), _resource("secrets", "Secret"),
        _resource("services", "Service"), _resource("serviceaccounts", "ServiceAccount"),
        _resource("persistentvolumeclaims", "PersistentVolumeClaim"), _resource("pods", "Pod"),
        _resource("namespaces", "Namespace", False)]},
    "/apis/apps/v1": {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "apps/v1",
                      "resources": [_resource("statefulsets", "StatefulSet"),
                                    _resource("deployments", "Deployment")]},
    "/apis/policy/v1": {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "policy/v1",
                        "resources": [_resource("poddisruptionbudgets", "PodDisruptionBudget")]},
    "/apis/networking.k8s.io/v1": {"kind": "APIResourceList", "apiVersion": "v1",
                                   "groupVersion": "networking.k8s.io/v1",
                                   "resources": [_resource("networkpolicies", "NetworkPolicy"),
                                                 _resource("ingresses", "Ingress")]},
    "/apis/monitoring.coreos.com/v1": {"kind": "APIResourceList", "apiVersion": "v1",
                                       "groupVersion": "monitoring.coreos.com/v1",
                                       "resources": [_resource("servicemonitors", "ServiceMonitor")]},
}


class FakeApi:
    """Answers discovery, 404 to every GET of an object, and echoes every POSTed object."""

    def __init__(self) -> None:
        self.created: list[dict] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, code: int, obj: Any) -> None:
                body = json.dumps(obj).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _not_found(self) -> None:
                self._send(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                 "reason": "NotFound", "code": 404, "message": "not found"})

            def do_GET(self) -> None:
                doc = DISCOVERY.get(self.path.split("?")[0])
                self._send(200, doc) if doc is not None else self._not_found()

            def do_POST(self) -> None:
                obj = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                api.created.append(obj)
                self._send(201, obj)

            def do_PUT(self) -> None:
                self._send(405, {"kind": "Status", "code": 405})

            do_PATCH = do_DELETE = do_PUT

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# === helm-sdkpy ===

@contextlib.contextmanager
def captured_stderr():
    """Captures fd 2, where Helm's Go code logs (e.g. `required` under lint)."""
    sys.stderr.flush()
    saved = os.dup(2)
    out: list[str] = []
    with tempfile.TemporaryFile() as f:
        os.dup2(f.fileno(), 2)
        try:
            yield out
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            f.seek(0)
            out.append(f.read().decode("utf-8", "replace"))


SEVERITY = {0: "unknown", 1: "info", 2: "warning", 3: "error"}


class Helm:
    def __init__(self, kubeconfig: str) -> None:
        import helm_sdkpy

        self.h = helm_sdkpy
        self.kubeconfig = kubeconfig
        self.version = helm_sdkpy.get_version()
        self.n = 0

    def _config(self):
        return self.h.Configuration(namespace=NAMESPACE, kubeconfig=self.kubeconfig)

    def lint(self, chart: Path) -> tuple[list[tuple[str, str]], str]:
        """[(severity, path)] of the lint messages (helm-sdkpy drops their text), Go's log."""
        with captured_stderr() as log:
            result = asyncio.run(self.h.Lint(self._config()).run(str(chart)))
        msgs = [(SEVERITY.get(m.get("Severity"), str(m.get("Severity"))), m.get("Path", "?"))
                for m in result.get("Messages") or []]
        return msgs, log[0]

    def install(self, chart: Path, values: dict) -> tuple[dict | None, str | None]:
        """The release (manifest, notes, ...) or the error text."""
        self.n += 1
        try:
            with captured_stderr():
                rel = asyncio.run(self.h.Install(self._config()).run(
                    f"bebru-{self.n}", str(chart), values=values, wait=False, timeout=60))
            return rel, None
        except self.h.HelmError as e:
            return None, str(e)


def lint_with_values(helm: Helm, values: dict, work: Path, tag: str):
    """Lints a copy of the chart whose values.yaml is `values` (Lint takes no values)."""
    dest = work / tag / "metronode"
    shutil.copytree(CHART, dest)
    (dest / "values.yaml").write_text(yaml.safe_dump(values, sort_keys=False))
    return helm.lint(dest)


def lint_summary(msgs: list[tuple[str, str]]) -> tuple[list, str]:
    bad = [m for m in msgs if m[0] in ("warning", "error", "unknown")]
    info = [p for s, p in msgs if s == "info"]
    text = f"{len(bad)} errors/warnings" + (f", info on {', '.join(info)}" if info else "")
    return bad, text


# === checks of rendered manifests ===

def parse_manifest(text: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(text) if d]


def by_kind(docs: list[dict], kind: str) -> list[dict]:
    return [d for d in docs if d.get("kind") == kind]


def check_node_toml(r: Report, text: str, expect: dict, tag: str) -> dict | None:
    try:
        cfg = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        r.check(f"[{tag}] node.toml parses as TOML (tomllib)", False, str(e))
        return None
    r.check(f"[{tag}] node.toml parses as TOML (tomllib)", True)
    example = tomllib.loads(NODE_EXAMPLE.read_text())
    allowed = {s: set(f) for s, f in example.items() if s != "privacy"}
    for s, extra in CONFIG_FIELDS_BEYOND_EXAMPLE.items():
        allowed[s] |= extra
    privacy_fields = set(example["privacy"]["survey"])
    unknown, missing = [], []
    for section, fields in cfg.items():
        if section == "privacy":
            for ds, p in fields.items():
                unknown += [f"privacy.{ds}.{f}" for f in set(p) - privacy_fields]
                missing += [f"privacy.{ds}.{f}" for f in privacy_fields - set(p)]
        elif section not in allowed:
            unknown.append(section)
        else:
            unknown += [f"{section}.{f}" for f in set(fields) - allowed[section]]
    for section, fields in example.items():
        if section != "privacy":
            missing += [f"{section}.{f}" for f in set(fields) - set(cfg.get(section, {}))]
    r.check(f"[{tag}] node.toml has the structure of deploy/node.example.toml",
            not unknown and not missing, f"unknown {unknown}, missing {missing}")
    tokens = get(cfg, "http", "tokens", default=[])
    r.check(f"[{tag}] node.toml [[http.tokens]] entries have exactly name and sha256",
            all(set(t) == {"name", "sha256"} and re.fullmatch(r"[0-9a-f]{64}", t["sha256"])
                for t in tokens), str(tokens))
    mismatches = {k: (get(cfg, *k.split(".")), v) for k, v in expect.items()
                  if get(cfg, *k.split(".")) != v}
    r.check(f"[{tag}] node.toml field values match the release values", not mismatches,
            f"got/expected {mismatches}", note=f"{len(expect)} fields")
    # The node's own validation (node/src/config.rs Config::validate), mirrored.
    d, fed, problems = cfg["disclosure"], cfg["federation"], []
    if not MEMBER_ID.match(cfg["node"]["id"]):
        problems.append("node.id")
    if not cfg["node"]["endpoint"].startswith("https://"):
        problems.append("node.endpoint")
    if fed["sync_interval_ms"] < 50 or fed["peer_timeout_ms"] < 50:
        problems.append("federation intervals")
    if not (1 <= d["min_base"] <= d["flag_base"] and d["min_count"] >= 1):
        problems.append("disclosure")
    for ds, p in cfg.get("privacy", {}).items():
        if float(p["per_release"]) > float(p["budget"]) or not 1 <= p["weight_clip"] <= 1000000:
            problems.append(f"privacy.{ds}")
    r.check(f"[{tag}] node.toml passes the node's own validation rules", not problems,
            str(problems))
    return cfg


def check_init_script(r: Report, tag: str, script: str, node_toml: str,
                      keys: dict[str, str]) -> None:
    """Runs the init container's script with /data, /config and /secrets/keys in a sandbox."""
    if not shutil.which("sh") or not shutil.which("install"):
        r.check(f"[{tag}] init script runs in a sandbox", False, "sh or install not found")
        return
    with tempfile.TemporaryDirectory() as t:
        root = Path(t)
        for d in ("data", "config", "secrets"):
            (root / d).mkdir()
        (root / "config" / "node.toml").write_text(node_toml)
        for name, text in keys.items():
            (root / "secrets" / name).write_text(text)
            (root / "secrets" / name).chmod(0o400)
        sandboxed = (script.replace("/secrets/keys", f"{root}/secrets")
                     .replace("/config/", f"{root}/config/").replace("/data", f"{root}/data"))

        def run() -> subprocess.CompletedProcess:
            return subprocess.run(["sh", "-c", sandboxed], capture_output=True, text=True)

        def modes() -> dict[str, int]:
            out = {"keys/": stat.S_IMODE((root / "data" / "keys").stat().st_mode)}
            for name in keys:
                out[name] = stat.S_IMODE((root / "data" / "keys" / name).stat().st_mode)
            return out

        p = run()
        if not r.check(f"[{tag}] init script runs (sh -c, sandboxed paths)", p.returncode == 0,
                       p.stderr.strip()):
            return
        m = modes()
        r.check(f"[{tag}] init script: /data/keys 0700, key files 0600 (node refuses mode & 0o077)",
                m["keys/"] == 0o700 and all(m[k] == 0o600 for k in keys),
                repr({k: oct(v) for k, v in m.items()}))
        same = all((root / "data" / "keys" / k).read_text() == v for k, v in keys.items())
        same = same and (root / "data" / "node.toml").read_text() == node_toml
        r.check(f"[{tag}] init script: /data/node.toml and keys equal the ConfigMap and Secret", same)
        # A restart after kubelet's fsGroup pass (group bits, setgid) must restore the modes.
        (root / "data" / "keys").chmod(0o2770)
        for k in keys:
            (root / "data" / "keys" / k).chmod(0o660)
        p = run()
        m = modes()
        r.check(f"[{tag}] init script: a rerun after fsGroup added group bits restores 0700/0600",
                p.returncode == 0 and m["keys/"] & 0o7077 == 0
                and all(m[k] == 0o600 for k in keys),
                repr({k: oct(v) for k, v in m.items()}) + p.stderr)


def check_release(r: Report, rel: dict, api_created: list[dict], values: dict, tag: str,
                  run_init_script: bool) -> None:
    docs = parse_manifest(rel["manifest"])
    kinds = sorted(d["kind"] for d in docs)
    r.check(f"[{tag}] rendered manifests parse as YAML", True, note=", ".join(kinds))
    r.check(f"[{tag}] the fake API server received every object (kinds known to discovery)",
            len(api_created) == len(docs), note=f"{len(api_created)} created of {len(docs)}")

    missing_labels = [f"{d['kind']}/{d['metadata']['name']}" for d in docs
                      if not all(k in (d["metadata"].get("labels") or {}) for k in LABELS)]
    r.check(f"[{tag}] every object has the app.kubernetes.io/* and helm.sh/chart labels",
            not missing_labels, str(missing_labels))
    r.check(f"[{tag}] every object is in the release namespace",
            all(d["metadata"].get("namespace") == NAMESPACE for d in docs))

    sts_list = by_kind(docs, "StatefulSet")
    if not r.check(f"[{tag}] exactly one StatefulSet", len(sts_list) == 1, kinds.__repr__()):
        return
    sts = sts_list[0]
    spec, pod = sts["spec"], sts["spec"]["template"]["spec"]
    pod_labels = sts["spec"]["template"]["metadata"]["labels"]
    ann = sts["spec"]["template"]["metadata"].get("annotations") or {}
    r.check(f"[{tag}] StatefulSet replicas is 1 (one identity per city)", spec["replicas"] == 1)
    r.check(f"[{tag}] StatefulSet selector matches the pod labels",
            all(pod_labels.get(k) == v for k, v in spec["selector"]["matchLabels"].items()))

    vct = spec.get("volumeClaimTemplates") or []
    data_vct = [v for v in vct if v["metadata"]["name"] == "data"]
    p = values["persistence"]
    want_class = None if not p.get("storageClass") else ("" if p["storageClass"] == "-"
                                                          else p["storageClass"])
    r.check(f"[{tag}] volumeClaimTemplate 'data' with size and storageClass from values",
            len(data_vct) == 1
            and get(data_vct[0], "spec", "resources", "requests", "storage") == p["size"]
            and get(data_vct[0], "spec", "storageClassName") == want_class,
            json.dumps(data_vct))

    containers = {c["name"]: c for c in pod["containers"]}
    inits = {c["name"]: c for c in pod.get("initContainers") or []}
    main = containers.get("metronode")
    if not r.check(f"[{tag}] node container 'metronode' runs `serve`",
                   main is not None and main.get("args") == ["serve"]):
        return
    mounts = {m["mountPath"]: m["name"] for m in main["volumeMounts"]}
    r.check(f"[{tag}] node container mounts the data claim at /data, cards at /cards, /tmp",
            mounts.get("/data") == "data" and mounts.get("/cards") == "cards" and "/tmp" in mounts,
            str(mounts))
    env = {e["name"]: e.get("value") for e in main.get("env") or []}
    r.check(f"[{tag}] METRONODE_DIR=/data", env.get("METRONODE_DIR") == "/data")
    ports = {p["name"]: p["containerPort"] for p in main["ports"]}
    r.check(f"[{tag}] container ports grpc 7400, federation 7401, http 7480",
            ports == {"grpc": 7400, "federation": 7401, "http": 7480}, str(ports))

    def probe(kind: str) -> tuple:
        pr = main.get(kind) or {}
        port = get(pr, "httpGet", "port")
        return get(pr, "httpGet", "path"), ports.get(port, port)

    r.check(f"[{tag}] startupProbe httpGet /healthz on 7480", probe("startupProbe") == ("/healthz", 7480))
    r.check(f"[{tag}] livenessProbe httpGet /healthz on 7480", probe("livenessProbe") == ("/healthz", 7480))
    r.check(f"[{tag}] readinessProbe httpGet /readyz on 7480", probe("readinessProbe") == ("/readyz", 7480))

    psc = pod.get("securityContext") or {}
    r.check(f"[{tag}] pod securityContext: runAsNonRoot, uid/gid/fsGroup 10001",
            psc.get("runAsNonRoot") is True and psc.get("runAsUser") == 10001
            and psc.get("runAsGroup") == 10001 and psc.get("fsGroup") == 10001, str(psc))
    for c in list(containers.values()) + list(inits.values()):
        sc = c.get("securityContext") or {}
        r.check(f"[{tag}] container {c['name']}: readOnlyRootFilesystem, no privilege "
                "escalation, drop ALL, non-root",
                sc.get("readOnlyRootFilesystem") is True
                and sc.get("allowPrivilegeEscalation") is False
                and get(sc, "capabilities", "drop") == ["ALL"]
                and (sc.get("runAsNonRoot") or psc.get("runAsNonRoot")) is True, str(sc))
    r.check(f"[{tag}] resources set on the node container",
            bool(get(main, "resources", "requests")) and bool(get(main, "resources", "limits")))
    drain = int(get(values, "grpc", "drainTimeoutSecs", default=10))
    r.check(f"[{tag}] terminationGracePeriodSeconds > grpc drain timeout",
            pod.get("terminationGracePeriodSeconds", 30) > drain,
            str(pod.get("terminationGracePeriodSeconds")))
    r.check(f"[{tag}] no service-link env (enableServiceLinks false), no API token mounted",
            pod.get("enableServiceLinks") is False
            and pod.get("automountServiceAccountToken") is False)
    r.check(f"[{tag}] pod prometheus.io annotations: scrape, port 7480, path /metrics",
            ann.get("prometheus.io/scrape") == "true" and ann.get("prometheus.io/port") == "7480"
            and ann.get("prometheus.io/path") == "/metrics", str(ann))

    # Volumes, the keys Secret, and the init container.
    vols = {v["name"]: v for v in pod["volumes"]}
    secret_vol = get(vols, "keys", "secret") or {}
    existing = get(values, "identity", "existingSecret")
    secrets = by_kind(docs, "Secret")
    if existing:
        r.check(f"[{tag}] existingSecret: no Secret rendered, the pod mounts '{existing}'",
                not secrets and secret_vol.get("secretName") == existing,
                f"{[s['metadata']['name'] for s in secrets]} {secret_vol}")
        key_texts = {"signing.key": "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n",
                     "tls.key": "-----BEGIN PRIVATE KEY-----\ny\n-----END PRIVATE KEY-----\n",
                     "tls.crt": "-----BEGIN CERTIFICATE-----\nz\n-----END CERTIFICATE-----\n"}
    else:
        ok = len(secrets) == 1 and secret_vol.get("secretName") == secrets[0]["metadata"]["name"]
        key_texts = {}
        if ok:
            key_texts = {k: base64.b64decode(v).decode() for k, v in secrets[0]["data"].items()}
            keys = values["identity"]["keys"]
            ok = key_texts == {"signing.key": keys["signingKey"], "tls.key": keys["tlsKey"],
                               "tls.crt": keys["tlsCert"]}
        r.check(f"[{tag}] keys Secret has signing.key, tls.key, tls.crt from identity.keys and "
                "is the one mounted", ok)
    r.check(f"[{tag}] keys Secret volume: defaultMode 0400, the three keys",
            secret_vol.get("defaultMode") == 0o400
            and sorted(i["key"] for i in secret_vol.get("items", [])) == ["signing.key", "tls.crt", "tls.key"],
            str(secret_vol))
    r.check(f"[{tag}] /tmp is a writable emptyDir (read-only root filesystem)",
            "emptyDir" in vols.get(mounts.get("/tmp", ""), {}))

    init = inits.get("install-config")
    script = (get(init, "args", 0) or "") if init else ""
    imounts = {m["mountPath"]: m for m in (init or {}).get("volumeMounts", [])}
    r.check(f"[{tag}] initContainer: same image, sh -c, mounts data, config and keys (read-only)",
            init is not None and init["image"] == main["image"]
            and init.get("command") == ["sh", "-c"]
            and get(imounts, "/data", "name") == "data"
            and get(imounts, "/secrets/keys", "name") == "keys"
            and get(imounts, "/secrets/keys", "readOnly") is True
            and get(imounts, "/config", "name") == "config", json.dumps(init)[:300])
    r.check(f"[{tag}] initContainer script: install -d -m 0700 /data/keys, install -m 0600 keys",
            "install -d -m 0700 /data/keys" in script and "install -m 0600" in script
            and all(k in script for k in ("signing.key", "tls.key", "tls.crt")))

    # ConfigMaps.
    cms = {d["metadata"]["name"]: d for d in by_kind(docs, "ConfigMap")}
    config_cm = cms.get(get(vols, "config", "configMap", "name"))
    cards_cm = cms.get(get(vols, "cards", "configMap", "name"))
    node_toml = get(config_cm, "data", "node.toml")
    if r.check(f"[{tag}] the config volume's ConfigMap has node.toml", node_toml is not None):
        # The annotation hashes the rendered node.toml; the ConfigMap's block scalar adds "\n".
        r.check(f"[{tag}] checksum/config annotation is the sha256 of node.toml (rolls the pod)",
                ann.get("checksum/config")
                == hashlib.sha256(node_toml.removesuffix("\n").encode()).hexdigest())
        expect = {
            "node.id": values["node"]["id"], "node.name": values["node"]["name"],
            "node.endpoint": values["node"]["endpoint"],
            "grpc.listen": "0.0.0.0:7400", "federation.listen": "0.0.0.0:7401",
            "http.listen": "0.0.0.0:7480",
            "federation.sync_interval_ms": values["federation"]["syncIntervalMs"],
            "federation.peer_timeout_ms": values["federation"]["peerTimeoutMs"],
            "federation.stale_after_ms": values["federation"]["staleAfterMs"],
            "federation.peers_per_round": values["federation"]["peersPerRound"],
            "grpc.drain_timeout_secs": values["grpc"]["drainTimeoutSecs"],
            "http.open_on_loopback": values["http"]["openOnLoopback"],
            "http.public": values["http"]["public"],
            "artefacts.max_bytes": values["artefacts"]["maxBytes"],
            "http.tokens": [{"name": t["name"], "sha256": t["sha256"].lower()}
                            for t in values["http"]["tokens"]] or None,
            "disclosure.min_base": values["disclosure"]["minBase"],
            "disclosure.flag_base": values["disclosure"]["flagBase"],
            "disclosure.min_count": values["disclosure"]["minCount"],
            "logging.filter": values["logging"]["filter"],
            "logging.format": values["logging"]["format"],
            "keys.signing_key": "keys/signing.key", "keys.tls_key": "keys/tls.key",
            "keys.tls_cert": "keys/tls.crt", "store.path": "store",
            "privacy": {ds: {"mechanism": p.get("mechanism", "discrete_gaussian"),
                             "per_release": p["perRelease"], "budget": p["budget"],
                             "weight_clip": p["weightClip"]}
                        for ds, p in (values.get("privacy") or {}).items()} or None,
        }
        check_node_toml(r, node_toml, expect, tag)
    cards = values["federation"].get("cards") or {}
    ok = cards_cm is not None and sorted((cards_cm.get("data") or {})) == sorted(f"{i}.toml" for i in cards)
    card_ids = {}
    if ok:
        for name, text in (cards_cm.get("data") or {}).items():
            card_ids[name] = tomllib.loads(text).get("id")
        ok = all(card_ids[f"{i}.toml"] == i for i in cards)
    r.check(f"[{tag}] cards ConfigMap: one <ID>.toml per federation.cards entry, each TOML "
            "with that id", ok, str(card_ids), note=", ".join(sorted(card_ids)) or "no cards")

    # Services.
    svcs = {d["metadata"]["name"]: d for d in by_kind(docs, "Service")}
    headless = svcs.get(spec["serviceName"])
    r.check(f"[{tag}] headless Service governs the StatefulSet",
            headless is not None and get(headless, "spec", "clusterIP") == "None")
    selectors_ok = all(all(pod_labels.get(k) == v for k, v in s["spec"]["selector"].items())
                       for s in svcs.values())
    r.check(f"[{tag}] every Service selects the pod", selectors_ok)

    def targets(s: dict) -> dict:
        return {ports.get(p["targetPort"], p["targetPort"]): p["port"] for p in s["spec"]["ports"]}

    fed = [s for s in svcs.values() if s is not headless and 7401 in targets(s)]
    fsv = values["federation"]["service"]
    r.check(f"[{tag}] federation Service: type {fsv['type']}, port {fsv['port']} -> 7401, "
            "annotations from values",
            len(fed) == 1 and fed[0]["spec"]["type"] == fsv["type"]
            and targets(fed[0]) == {7401: fsv["port"]}
            and (fed[0]["metadata"].get("annotations") or {}) == (fsv.get("annotations") or {}),
            str([(s["metadata"]["name"], s["spec"]) for s in fed]))
    internal = [s for s in svcs.values() if s is not headless and s not in fed]
    r.check(f"[{tag}] ClusterIP Service for HTTP 7480 and local gRPC 7400 (not exposed)",
            len(internal) == 1 and internal[0]["spec"].get("type", "ClusterIP") == "ClusterIP"
            and targets(internal[0]) == {7480: 7480, 7400: 7400},
            str([(s["metadata"]["name"], s["spec"]) for s in internal]))

    ing = values["http"].get("ingress") or {}
    ingresses = by_kind(docs, "Ingress")
    if ing.get("enabled"):
        backends = [(get(p, "backend", "service", "name"), get(p, "backend", "service", "port", "name"))
                    for rule in get(ingresses[0] if ingresses else {}, "spec", "rules", default=[])
                    for p in get(rule, "http", "paths", default=[])]
        r.check(f"[{tag}] Ingress for {ing['host']}: the http port of the internal Service only, "
                "TLS and class from values",
                len(ingresses) == 1 and len(internal) == 1
                and backends == [(internal[0]["metadata"]["name"], "http")]
                and [x["host"] for x in get(ingresses[0], "spec", "rules")] == [ing["host"]]
                and get(ingresses[0], "spec", "ingressClassName") == (ing.get("className") or None)
                and (get(ingresses[0], "spec", "tls", default=[]) or [{}])[0].get("secretName")
                == (ing.get("tlsSecretName") or None)
                and (ingresses[0]["metadata"].get("annotations") or {}) == (ing.get("annotations") or {}),
                json.dumps(ingresses))
    else:
        r.check(f"[{tag}] no Ingress unless http.ingress.enabled", not ingresses)

    notes = get(rel, "info", "notes") or ""
    r.check(f"[{tag}] NOTES.txt renders: keys Secret, federation create, port-forward",
            "create secret generic" in notes and "metronode federation create" in notes
            and "EVERY founding city runs this" in notes and "in ONE founding city" not in notes
            and "port-forward" in notes
            and all(f"/cards/{i}.toml" in notes for i in cards))

    if run_init_script and node_toml is not None:
        check_init_script(r, tag, script, node_toml, key_texts)


def values_from_example() -> dict:
    """Values that mirror deploy/node.example.toml."""
    ex = tomllib.loads(NODE_EXAMPLE.read_text())
    pv = ex["privacy"]["survey"]
    return {
        "node": {"id": ex["node"]["id"], "name": ex["node"]["name"],
                 "endpoint": ex["node"]["endpoint"]},
        "identity": {"existingSecret": "bebru-metronode-keys"},
        "grpc": {"drainTimeoutSecs": ex["grpc"]["drain_timeout_secs"]},
        "federation": {"syncIntervalMs": ex["federation"]["sync_interval_ms"],
                       "peerTimeoutMs": ex["federation"]["peer_timeout_ms"],
                       "staleAfterMs": ex["federation"].get("stale_after_ms", 300000),
                       "peersPerRound": ex["federation"]["peers_per_round"]},
        "http": {"openOnLoopback": ex["http"]["open_on_loopback"],
                 "public": ex["http"].get("public", False)},
        "artefacts": {"maxBytes": ex["artefacts"]["max_bytes"]},
        "logging": {"filter": ex["logging"]["filter"], "format": ex["logging"]["format"]},
        "disclosure": {"minBase": ex["disclosure"]["min_base"],
                       "flagBase": ex["disclosure"]["flag_base"],
                       "minCount": ex["disclosure"]["min_count"]},
        "privacy": {"survey": {"mechanism": pv["mechanism"], "perRelease": pv["per_release"],
                               "budget": pv["budget"], "weightClip": pv["weight_clip"]}},
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()

    r = Report()
    work = Path(tempfile.mkdtemp(prefix="metronode-helm-check."))
    api = FakeApi()
    kubeconfig = work / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "fake",
        "clusters": [{"name": "fake", "cluster": {"server": api.url}}],
        "users": [{"name": "fake", "user": {"token": "fake"}}],
        "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake",
                                                  "namespace": NAMESPACE}}],
    }))
    try:
        helm = Helm(str(kubeconfig))
        print(f"# {helm.version}, chart {CHART.relative_to(HERE.parent.parent)}", flush=True)
        defaults = yaml.safe_load((CHART / "values.yaml").read_text())
        test_values = deep_merge(defaults, yaml.safe_load(TEST_VALUES.read_text()))

        # 1. Lint.
        with r.section("lint, default values"):
            msgs, log = helm.lint(CHART)
            bad, text = lint_summary(msgs)
            skipped = sorted(set(re.findall(r'message="([^"]*?) is required', log)))
            r.check("lint, default values", not bad, f"{bad} {log.strip()}",
                    note=text + (f"; lint skips `required`: {', '.join(skipped)}" if skipped else ""))
        with r.section("lint, test-values.yaml"):
            msgs, log = lint_with_values(helm, test_values, work, "lint-test-values")
            bad, text = lint_summary(msgs)
            r.check("lint, test-values.yaml", not bad, f"{bad} {log.strip()}", note=text)

        # 2. Schema rejections.
        for i, (what, patch) in enumerate(BROKEN):
            with r.section(f"schema rejects {what}"):
                vals = deep_merge(test_values, patch)
                msgs, _ = lint_with_values(helm, vals, work, f"broken-{i}")
                lint_rejects = ("error", "values.yaml") in msgs
                rel, err = helm.install(CHART, vals)
                install_rejects = rel is None and "schema" in (err or "")
                where = re.search(r"- (at '[^\n]*)", err or "")
                r.check(f"schema rejects {what} (lint and install)",
                        lint_rejects and install_rejects,
                        f"lint messages {msgs}; install error {err!r}",
                        note=where.group(1)[:110] if where else "")

        # 3. Install (render) against the fake API server.
        with r.section("install, default values is refused"):
            rel, err = helm.install(CHART, {})
            r.check("install with default values is refused (node.id is required)",
                    rel is None and "node.id is required" in (err or ""),
                    str(err) if rel is None else "installed")
        for what, patch, needle in REFUSED:
            with r.section(f"install refuses {what}"):
                rel, err = helm.install(CHART, deep_merge(test_values, patch))
                r.check(f"install refuses {what}", rel is None and needle in (err or ""),
                        str(err) if rel is None else "installed",
                        note=str(err).split("): ", 1)[-1][:110])

        variants = [
            ("test-values", test_values, True),
            ("existingSecret", deep_merge(test_values, {"identity": {
                "existingSecret": "bebru-metronode-keys",
                "keys": {"signingKey": "", "tlsKey": "", "tlsCert": ""}}}), True),
            ("node.example.toml", deep_merge(defaults, values_from_example()), False),
        ]
        for tag, vals, run_init in variants:
            with r.section(f"[{tag}] install renders"):
                before = len(api.created)
                rel, err = helm.install(CHART, vals)
                if r.check(f"[{tag}] install renders (helm install, fake API server)",
                           rel is not None, str(err)):
                    check_release(r, rel, api.created[before:], vals, tag, run_init)

        with r.section("[node.example.toml] equals the example"):
            rel, err = helm.install(CHART, deep_merge(defaults, values_from_example()))
            docs = parse_manifest(rel["manifest"])
            rendered = next(tomllib.loads(d["data"]["node.toml"]) for d in docs
                            if d["kind"] == "ConfigMap" and "node.toml" in (d.get("data") or {}))
            example = tomllib.loads(NODE_EXAMPLE.read_text())
            beyond = []
            for s, extra in CONFIG_FIELDS_BEYOND_EXAMPLE.items():
                for f in sorted(extra - set(example.get(s, {}))):
                    if rendered.get(s, {}).pop(f, None) is not None:
                        beyond.append(f"{s}.{f}")
            r.check("[node.example.toml] values mirroring the example render exactly the "
                    "example's node.toml",
                    rendered == example, f"{rendered} != {example}")
            if beyond:
                print(f"#     (fields the chart writes beyond the example: {', '.join(beyond)})")
    finally:
        api.close()
        if args.keep:
            print(f"# work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    print(f"# {r.passed} passed, {r.failed} failed", flush=True)
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
