"""deploy/compose.yaml and deploy/k8s/, checked offline: the Kubernetes manifests against the
Kubernetes JSON schemas (kubernetes-validate bundles them, strict: unknown fields fail), the fields
that matter cross-checked, the compose file's structure, and nginx -t on the config compose runs."""

from __future__ import annotations

import os
import re
import shlex
import subprocess

import pytest
import yaml

from app.settings import Settings
from tests.deploy.servers import NGINX, ROOT, free_port, start_app, stop, wait_up

K8S = ROOT / "deploy/k8s"
K8S_VERSION = "1.30.0"  # the oldest Kubernetes these manifests are for


def manifests() -> dict[str, dict]:
    out = {}
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            out[doc["kind"]] = doc
    return out


def test_manifests_validate_against_the_kubernetes_schemas() -> None:
    import kubernetes_validate

    docs = manifests()
    assert {
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "Ingress",
        "PodDisruptionBudget",
        "Kustomization",
    } <= set(docs)
    for kind, doc in docs.items():
        if kind == "Kustomization":
            continue
        for version in (K8S_VERSION, kubernetes_validate.latest_version()):
            kubernetes_validate.validate(doc, version, strict=True)  # raises on any error
    # the validator does catch mistakes (a control)
    bad = yaml.safe_load((K8S / "deployment.yaml").read_text())
    bad["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["pathh"] = "/healthz"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, K8S_VERSION, strict=True)
    kustomize = docs["Kustomization"]
    assert sorted(kustomize["resources"]) == sorted(
        p.name for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml"
    )


def test_the_fields_that_matter_agree() -> None:
    docs = manifests()
    dep, svc, hpa, ing = docs["Deployment"], docs["Service"], docs["HorizontalPodAutoscaler"], docs["Ingress"]
    pod = dep["spec"]["template"]
    labels = pod["metadata"]["labels"]
    assert dep["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert svc["spec"]["selector"].items() <= labels.items()
    assert docs["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"].items() <= labels.items()
    (box,) = pod["spec"]["containers"]
    port = {p["name"]: p["containerPort"] for p in box["ports"]}
    env = {e["name"]: e["value"] for e in box["env"]}
    assert port["http"] == int(env.get("OPTIVIZ_PORT", Settings.model_fields["port"].default))
    assert "OPTIVIZ_HOST" not in env  # the image listens on 0.0.0.0
    for name in env:  # every setting named exists
        assert name == "FORWARDED_ALLOW_IPS" or name.removeprefix("OPTIVIZ_").lower() in Settings.model_fields
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert box[probe]["httpGet"] == {"path": "/healthz", "port": "http"}
    res = box["resources"]
    assert res["requests"]["cpu"] and res["requests"]["memory"] and res["limits"]["cpu"] and res["limits"]["memory"]
    assert pod["spec"]["securityContext"]["runAsUser"] == 10001  # the image's user
    assert pod["spec"]["terminationGracePeriodSeconds"] > 10 + 5  # uvicorn's graceful 10 s + preStop
    assert svc["spec"]["ports"][0]["targetPort"] == "http"
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", dep["metadata"]["name"])
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu" and metric["resource"]["target"]["type"] == "Utilization"
    assert hpa["spec"]["minReplicas"] >= 2
    backend = ing["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": svc["metadata"]["name"], "port": {"name": "http"}}
    notes = ing["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"  # events flow as they come
    assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600  # as nginx.conf's streams
    assert notes["nginx.ingress.kubernetes.io/proxy-body-size"] == "1m"  # as nginx.conf


def compose() -> dict:
    return yaml.safe_load((ROOT / "deploy/compose.yaml").read_text())


def test_compose_structure() -> None:
    doc = compose()
    app, web = doc["services"]["app"], doc["services"]["nginx"]
    assert (
        app["build"]["context"] == ".."
        and (ROOT / "deploy" / app["build"]["context"] / app["build"]["dockerfile"]).exists()
    )
    assert re.fullmatch(r"\$\{OPTIVIZ_REPLICAS:-\d+\}", str(app["deploy"]["replicas"]))
    assert "ports" not in app and app["expose"] == ["8000"]  # only through nginx
    assert "/healthz" in " ".join(app["healthcheck"]["test"]) and app["healthcheck"]["test"][0] == "CMD"
    assert web["depends_on"] == {"app": {"condition": "service_healthy"}}
    assert web["ports"] == ["8080:8080"]  # nginx.conf's listen 8080
    assert "./nginx.conf:/etc/optiviz/nginx.conf:ro" in web["volumes"]
    assert (ROOT / "deploy/nginx.conf").exists()
    assert "/healthz" in " ".join(web["healthcheck"]["test"])
    limits = app["deploy"]["resources"]["limits"]
    assert float(limits["cpus"]) >= int(app["environment"]["OPTIVIZ_WORKERS"])  # a CPU per process


@pytest.mark.skipif(not os.path.exists(NGINX), reason="nginx is installed by `make test` (system-deps)")
def test_compose_nginx_config(tmp_path) -> None:
    """The config compose writes (its own sed over deploy/nginx.conf) passes nginx -t and proxies a
    replica (the service name `app` stands for a local app here: no Docker engine in the tests)."""
    script = compose()["services"]["nginx"]["command"][2]
    sed = script.split(" && ")[0]
    argv = shlex.split(sed.replace("/etc/optiviz/nginx.conf > /etc/nginx/nginx.conf", str(ROOT / "deploy/nginx.conf")))
    conf = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    upstream = re.search(r"upstream optiviz \{(.*?)\}", conf, re.S).group(1)
    assert re.findall(r"server (\S+)", upstream) == ["app:8000"]  # every replica behind one name
    assert conf.count("\n") == (ROOT / "deploy/nginx.conf").read_text().count("\n") - 1  # nothing else changed
    port, listen = free_port(), free_port()
    conf = conf.replace("server app:8000 ", f"server 127.0.0.1:{port} ").replace(
        "listen 8080;", f"listen 127.0.0.1:{listen};"
    )
    conf = conf.replace(
        "worker_processes auto;",
        "worker_processes 1;\npid nginx.pid;\nerror_log error.log;" + ("\nuser root;" if os.geteuid() == 0 else ""),
    )
    conf = conf.replace(
        "http {",
        "http {\n    access_log off;\n    client_body_temp_path tmp_body;\n"
        "    proxy_temp_path tmp_proxy;\n    fastcgi_temp_path tmp_fcgi;\n"
        "    uwsgi_temp_path tmp_uwsgi;\n    scgi_temp_path tmp_scgi;",
        1,
    )
    (tmp_path / "nginx.conf").write_text(conf)
    cmd = [NGINX, "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(tmp_path / "nginx.conf")]
    check = subprocess.run([*cmd, "-t"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    app = start_app(port)
    proxy = subprocess.Popen([*cmd, "-g", "daemon off;"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_up(f"http://127.0.0.1:{listen}/healthz", proxy)
    finally:
        stop(proxy, app)
