"""The Kubernetes example in docs/deploy parses, runs real commands, and stops within its grace period."""

from __future__ import annotations

from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml", reason="PyYAML is not installed: the Kubernetes example is not parsed")

EXAMPLE = Path(__file__).parents[2] / "docs" / "deploy" / "kubernetes.yaml"


def _docs() -> dict[str, dict]:
    docs = [d for d in yaml.safe_load_all(EXAMPLE.read_text(encoding="utf-8")) if d]
    return {f"{d['kind']}/{d['metadata']['name']}": d for d in docs}


def test_the_kubernetes_example_is_complete_and_consistent(make_settings):
    from handouts.app import create_app
    from handouts.cli import build_parser
    from handouts.wiring import open_runtime
    from pipeline.settings import Settings

    docs = _docs()
    assert {"Secret/handouts", "Job/handouts-migrate", "Deployment/handouts-web", "Service/handouts-web",
            "Deployment/handouts-worker"} <= set(docs)
    secret = docs["Secret/handouts"]["stringData"]
    known = {f.alias for f in Settings.model_fields.values() if f.alias}
    assert set(secret) <= known, f"settings Handouts does not read: {set(secret) - known}"
    grace = float(secret["HANDOUTS_SHUTDOWN_GRACE"])
    web = docs["Deployment/handouts-web"]["spec"]["template"]["spec"]
    worker = docs["Deployment/handouts-worker"]["spec"]["template"]["spec"]
    migrate = docs["Job/handouts-migrate"]["spec"]["template"]["spec"]
    for pod in (web, worker):
        assert grace < pod["terminationGracePeriodSeconds"] <= grace + 30, "SIGKILL comes after the worker's grace"
    for pod in (web, worker, migrate):
        [container] = pod["containers"]
        assert container["envFrom"] == [{"secretRef": {"name": "handouts"}}]
        argv = container["command"]
        assert argv[0] == "handouts"
        build_parser().parse_args(argv[1:])  # a command and options the CLI knows
    [box] = web["containers"]
    assert box["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert box["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert box["readinessProbe"]["httpGet"]["port"] == box["ports"][0]["name"] == "http"
    assert "--port" in box["command"] and box["command"][box["command"].index("--port") + 1] == \
        str(box["ports"][0]["containerPort"])
    rt = open_runtime(make_settings(HANDOUTS_ADMIN_TOKEN="t" * 32, HANDOUTS_SECRET_KEY="k" * 48), immediate=True)
    try:  # the probes' routes answer without a token, as a kubelet asks them
        client = create_app(runtime=rt).test_client()
        for path in ("/readyz", "/healthz"):
            assert client.get(path, environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200, path
    finally:
        rt.close()


def test_the_checklist_and_readme_point_at_the_example():
    root = Path(__file__).parents[2]
    assert "docs/deploy/kubernetes.yaml" in (root / "README.md").read_text(encoding="utf-8")
    assert "docs/deploy/kubernetes.yaml" in (root / "docs" / "production-checklist.md").read_text(encoding="utf-8")
