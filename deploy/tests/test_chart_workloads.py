"""Every process runs safely: probes, drains, security context, PDB, HPA, migrations, jobs."""

from __future__ import annotations

from typing import Any

SERVICES = ("auth", "core", "notification", "search")


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    spec = obj["spec"]
    if obj["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]


def matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def processes(deploy: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(process kind, container) for each container: one, or three in a combined pod."""
    return [(c["args"][0], c) for c in pod_spec(deploy)["containers"]]


def test_every_process_kind_of_every_service_is_deployed(chart, profile):
    if profile == "minimal":
        return
    running = {
        (d["metadata"]["labels"]["app.kubernetes.io/name"], kind)
        for d in chart.by_kind(chart.render(profile), "Deployment")
        for kind, _ in processes(d)
    }
    expected = {(s, k) for s in SERVICES for k in ("web", "grpc", "worker")}
    assert running == expected | {("console", "web")}


def test_production_runs_one_deployment_per_process(chart):
    names = {d["metadata"]["name"] for d in chart.by_kind(chart.render("production"), "Deployment")}
    expected = {f"keel-{s}-{k}" for s in SERVICES for k in ("web", "grpc", "worker")}
    assert names == expected | {"keel-console-web"}


def test_deployments_have_probes_and_liveness_ignores_dependencies(chart, profile):
    for deploy in chart.by_kind(chart.render(profile), "Deployment"):
        for c in pod_spec(deploy)["containers"]:
            assert {"livenessProbe", "readinessProbe", "startupProbe"} <= c.keys(), c["name"]
            live = c["livenessProbe"]
            # /readyz checks the database and broker; liveness must not, or an outage
            # restarts every pod. It may only ask whether the process answers.
            assert "tcpSocket" in live or live["httpGet"]["path"] in {"/healthz", "/metrics"}


def test_pods_drain_gracefully(chart, profile):
    for deploy in chart.by_kind(chart.render(profile), "Deployment"):
        spec = pod_spec(deploy)
        for c in spec["containers"]:
            *_, script = c["lifecycle"]["preStop"]["exec"]["command"]
            touch, sleep = script.split("; sleep ")
            assert touch == "touch /tmp/keel-draining"  # readiness flips before SIGTERM
            grace = spec["terminationGracePeriodSeconds"]
            assert 0 < int(sleep) < grace, deploy["metadata"]["name"]
            env = {e["name"]: e.get("value") for e in c.get("env", [])}
            if c["name"].endswith("-web"):
                assert env["DRAIN_FILE"] == "/tmp/keel-draining"
                # gunicorn's graceful stop ends before the kubelet's SIGKILL
                assert int(sleep) + int(env["GUNICORN_GRACEFUL_TIMEOUT"]) < grace
        strategy = deploy["spec"]["strategy"]
        if strategy["type"] == "Recreate":
            # Only a single-writer pod whose ReadWriteOnce volume cannot be in two pods at once.
            assert deploy["metadata"]["labels"]["app.kubernetes.io/component"] == "combined"
            assert [v for v in spec["volumes"] if "persistentVolumeClaim" in v]
        else:
            assert strategy["rollingUpdate"]["maxUnavailable"] == 0


def test_every_pod_is_locked_down(chart, profile):
    objects = chart.render(profile)
    for obj in [o for o in objects if o["kind"] in {"Deployment", "Job", "CronJob"}]:
        spec = pod_spec(obj)
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        assert spec["automountServiceAccountToken"] is False
        for c in spec["containers"]:
            sc = c["securityContext"]
            assert sc["readOnlyRootFilesystem"] is True, c["name"]
            assert sc["allowPrivilegeEscalation"] is False
            assert sc["capabilities"]["drop"] == ["ALL"]
            assert c["resources"]["requests"] and c["resources"]["limits"]["memory"]
            assert "/tmp" in {m["mountPath"] for m in c["volumeMounts"]}


def test_every_deployment_has_a_pdb_an_hpa_and_spreads(chart, profile):
    objects = chart.render(profile)
    pdbs = chart.by_kind(objects, "PodDisruptionBudget")
    hpas = {
        h["spec"]["scaleTargetRef"]["name"]: h
        for h in chart.by_kind(objects, "HorizontalPodAutoscaler")
    }
    for deploy in chart.by_kind(objects, "Deployment"):
        labels = deploy["spec"]["template"]["metadata"]["labels"]
        assert [p for p in pdbs if matches(p["spec"]["selector"]["matchLabels"], labels)]
        name = deploy["metadata"]["name"]
        assert name in hpas or deploy["spec"]["replicas"] >= 1
        if name in hpas:
            assert "replicas" not in deploy["spec"], "the HPA owns the replica count"
        zones = {t["topologyKey"] for t in pod_spec(deploy)["topologySpreadConstraints"]}
        assert zones == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}


def test_production_keeps_replicas_in_several_zones(chart):
    objects = chart.render("production")
    for hpa in chart.by_kind(objects, "HorizontalPodAutoscaler"):
        assert hpa["spec"]["minReplicas"] >= 2
    for deploy in chart.by_kind(objects, "Deployment"):
        zone = pod_spec(deploy)["topologySpreadConstraints"][0]
        assert zone["whenUnsatisfiable"] == "DoNotSchedule"


def test_workers_scale_on_queue_depth_only_with_the_adapter(chart):
    def external(profile: str, name: str) -> list[dict[str, Any]]:
        hpas = chart.by_kind(chart.render(profile), "HorizontalPodAutoscaler")
        hpa = next(h for h in hpas if h["metadata"]["name"] == name)
        return [m for m in hpa["spec"]["metrics"] if m["type"] == "External"]

    assert external("default", "keel-notification-worker") == []
    [metric] = external("queue-autoscaling", "keel-notification-worker")
    assert metric["external"]["metric"]["name"] == "rabbitmq_queue_messages_ready"
    queues = metric["external"]["metric"]["selector"]["matchExpressions"][0]["values"]
    assert queues == ["notification.order-placed", "notification.user-registered"]
    assert external("queue-autoscaling", "keel-core-worker") == []  # no queues listed


def test_services_name_their_ports_for_the_protocol(chart):
    objects = chart.render("default")
    deployments = chart.by_kind(objects, "Deployment")
    for svc in chart.by_kind(objects, "Service"):
        [port] = svc["spec"]["ports"]
        kind = svc["metadata"]["labels"]["app.kubernetes.io/component"]
        assert port["name"] == port["appProtocol"] == {"web": "http", "grpc": "grpc"}[kind]
        targets = [
            d
            for d in deployments
            if matches(svc["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])
        ]
        assert len(targets) == 1
        ports = {p["name"] for c in pod_spec(targets[0])["containers"] for p in c["ports"]}
        assert port["targetPort"] in ports


def test_every_process_runs_the_right_command(chart):
    for deploy in chart.by_kind(chart.render("default"), "Deployment"):
        component = deploy["metadata"]["labels"]["app.kubernetes.io/component"]
        service = deploy["metadata"]["labels"]["app.kubernetes.io/name"]
        for kind, container in processes(deploy):
            assert container["name"] == f"{service}-{kind}"
            assert component in {kind, "combined"}
            assert (
                container["envFrom"][1]["secretRef"]["name"]
                == deploy["spec"]["template"]["spec"]["serviceAccountName"]
            )


def test_migrations_run_as_a_pre_upgrade_hook_per_service(chart, profile):
    objects = chart.render(profile)
    jobs = {j["metadata"]["name"]: j for j in chart.by_kind(objects, "Job")}
    if profile == "minimal":
        assert jobs == {}
        return
    assert set(jobs) == {f"keel-{s}-migrate" for s in SERVICES}
    secret_weights = [
        int(o["metadata"]["annotations"]["helm.sh/hook-weight"])
        for o in objects
        if o["kind"] in {"ExternalSecret", "SecretStore", "ServiceAccount"}
        and "helm.sh/hook" in o["metadata"].get("annotations", {})
    ]
    for job in jobs.values():
        notes = job["metadata"]["annotations"]
        assert "pre-upgrade" in notes["helm.sh/hook"].split(",")
        assert all(w < int(notes["helm.sh/hook-weight"]) for w in secret_weights)
        [container] = pod_spec(job)["containers"]
        assert container["args"] == ["migrate"]
        assert {
            "name": "SERVICE_NAME",
            "value": job["metadata"]["labels"]["app.kubernetes.io/name"],
        } in container["env"]


def test_external_secrets_fill_each_service_secret(chart):
    objects = chart.render("production")
    secrets = {e["spec"]["target"]["name"]: e for e in chart.by_kind(objects, "ExternalSecret")}
    # Each service's own secret, its broker user's, and the broker admin's (for the operator);
    # the console's own (its cookie key), with nothing else merged in.
    assert set(secrets) == {f"keel-{s}{kind}" for s in SERVICES for kind in ("", "-broker")} | {
        "keel-rabbitmq-admin",
        "keel-console",
    }
    assert secrets["keel-console"]["spec"]["dataFrom"] == [
        {"extract": {"key": "keel/production/console"}}
    ]
    assert "template" not in secrets["keel-console"]["spec"]["target"]
    assert secrets["keel-core"]["spec"]["dataFrom"] == [
        {"extract": {"key": "keel/production/core"}},
        {"extract": {"key": "keel/production/consul-core"}},
    ]
    [store] = chart.by_kind(objects, "SecretStore")
    assert store["spec"]["provider"]["aws"]["service"] == "SecretsManager"
    assert chart.by_kind(chart.render("default"), "ExternalSecret") == []


def test_periodic_jobs_are_cronjobs_that_never_overlap(chart):
    cronjobs = chart.by_kind(chart.render("default"), "CronJob")
    assert cronjobs
    for cron in cronjobs:
        assert cron["spec"]["concurrencyPolicy"] == "Forbid"
        assert cron["spec"]["timeZone"] == "Etc/UTC"
        service = cron["metadata"]["labels"]["app.kubernetes.io/name"]
        [container] = pod_spec(cron)["containers"]
        assert container["name"] == f"{service}-job" and container["args"][0] == "job"
