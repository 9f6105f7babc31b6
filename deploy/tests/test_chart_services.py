"""The chart agrees with what the services need: their periodic jobs, search's single-writer
index, and the settings auth refuses to start without in production."""

from __future__ import annotations

import inspect
from typing import Any

import annotated_types
import helm_python
import pytest

from keel_auth.adapters.signing_keys import SigningKeyStore
from keel_auth.bootstrap import DECLARATION as AUTH
from keel_auth.config import AuthSettings
from keel_common.auth import DEFAULT_LEEWAY
from keel_core.bootstrap import DECLARATION as CORE
from keel_notification.bootstrap import DECLARATION as NOTIFICATION
from keel_search.bootstrap import DECLARATION as SEARCH

DECLARATIONS = {d.name: d for d in (AUTH, CORE, NOTIFICATION, SEARCH)}

SERVICES = ("auth", "core", "notification", "search")


def cronjobs(chart, profile: str, service: str) -> dict[str, str]:
    """Job name -> schedule of one service's CronJobs."""
    return {
        c["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"][1]: c["spec"][
            "schedule"
        ]
        for c in chart.by_kind(chart.render(profile), "CronJob")
        if c["metadata"]["labels"]["app.kubernetes.io/name"] == service
    }


def autoscaled(chart, objects: list[dict[str, Any]]) -> set[str]:
    hpas = chart.by_kind(objects, "HorizontalPodAutoscaler")
    return {h["spec"]["scaleTargetRef"]["name"] for h in hpas}


def named(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    [obj] = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    return obj


@pytest.mark.parametrize("service", SERVICES)
def test_cronjobs_are_the_scheduled_jobs_each_service_declares(chart, profile, service):
    enabled = profile != "minimal" or service in ("auth", "core")
    expected = DECLARATIONS[service].schedules if enabled else {}
    assert cronjobs(chart, profile, service) == expected


def test_every_auth_job_is_a_cronjob(chart):
    assert set(cronjobs(chart, "production", "auth")) == set(AUTH.jobs)


def test_values_override_a_declared_schedule_or_switch_a_job_off(chart):
    override = {
        "services": {
            "notification": {
                "jobs": [
                    {"name": "weekly-recommendations", "schedule": "0 10 * * 2"},
                    {"name": "daily-signups-report", "enabled": False},
                ]
            }
        }
    }
    jobs = {
        c["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"][1]: c["spec"][
            "schedule"
        ]
        for c in chart.by_kind(chart.render_values(override), "CronJob")
        if c["metadata"]["labels"]["app.kubernetes.io/name"] == "notification"
    }
    assert jobs == {"weekly-recommendations": "0 10 * * 2"}


def test_an_override_of_a_job_the_service_does_not_declare_fails_the_render(chart):
    with pytest.raises(Exception, match="not a job keel-core declares"):
        chart.render_values({"services": {"core": {"jobs": [{"name": "nightly"}]}}})


def test_a_rotated_out_signing_key_is_pruned_the_same_day(chart):
    schedules = {name: s.split() for name, s in cronjobs(chart, "default", "auth").items()}
    rotate, prune = schedules["rotate-signing-key"], schedules["prune-signing-keys"]
    assert rotate[2] != "*" and rotate[3:] == ["*", "*"], "rotation: once a month"
    assert prune[2:] == ["*", "*", "*"], "pruning: every day"
    # The old key signs until the new one starts (publish_ahead after rotation), then must
    # verify the longest-lived access token it signed; pruning earlier would keep it a day.
    ahead = inspect.signature(SigningKeyStore.rotate).parameters["publish_ahead"].default
    [longest] = [
        m.le
        for m in AuthSettings.model_fields["access_token_ttl_seconds"].metadata
        if isinstance(m, annotated_types.Le)
    ]
    needed = (ahead + DEFAULT_LEEWAY).total_seconds() + longest

    def minute_of_day(fields: list[str]) -> int:
        return int(fields[1]) * 60 + int(fields[0])

    assert (minute_of_day(prune) - minute_of_day(rotate)) * 60 >= needed


@pytest.mark.parametrize("profile_name", ["default", "staging"])
def test_embedded_search_runs_in_one_pod_around_one_volume(chart, profile_name):
    objects = chart.render(profile_name)
    search = [
        d
        for d in chart.by_kind(objects, "Deployment")
        if d["metadata"]["labels"]["app.kubernetes.io/name"] == "search"
    ]
    assert [d["metadata"]["name"] for d in search] == ["keel-search-combined"]
    [pod] = search
    assert pod["spec"]["replicas"] == 1 and pod["spec"]["strategy"]["type"] == "Recreate"
    hpas = autoscaled(chart, objects)
    assert "keel-search-combined" not in hpas, "a second pod would be a second writer"
    claim = named(objects, "PersistentVolumeClaim", "keel-search-combined")
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    spec = pod["spec"]["template"]["spec"]
    [volume] = [v for v in spec["volumes"] if "persistentVolumeClaim" in v]
    assert volume["persistentVolumeClaim"]["claimName"] == "keel-search-combined"
    config = named(objects, "ConfigMap", "keel-search")["data"]
    assert config["SEARCH_ENGINE"] == "embedded"
    kinds = set()
    for container in spec["containers"]:
        kinds.add(container["args"][0])
        [mount] = [m for m in container["volumeMounts"] if m["name"] == volume["name"]]
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["SEARCH_INDEX_DIR"] == mount["mountPath"], container["name"]
    assert kinds == {"web", "grpc", "worker"}
    # The containers share the pod's network: grpc and worker serve metrics on two ports.
    ports = [p["containerPort"] for c in spec["containers"] for p in c["ports"]]
    assert len(ports) == len(set(ports))
    worker = next(c for c in spec["containers"] if c["args"] == ["worker"])
    [metrics] = worker["ports"]
    assert {"name": "METRICS_PORT", "value": str(metrics["containerPort"])} in worker["env"]
    for kind in ("web", "grpc"):
        selector = named(objects, "Service", f"keel-search-{kind}")["spec"]["selector"]
        labels = pod["spec"]["template"]["metadata"]["labels"]
        assert all(labels.get(k) == v for k, v in selector.items()), kind


def test_production_search_uses_opensearch_and_scales_each_process(chart):
    objects = chart.render("production")
    config = named(objects, "ConfigMap", "keel-search")["data"]
    assert config["SEARCH_ENGINE"] == "opensearch"
    assert config["OPENSEARCH_URL"].startswith("https://")
    assert chart.by_kind(objects, "PersistentVolumeClaim") == []
    hpas = autoscaled(chart, objects)
    assert {"keel-search-web", "keel-search-grpc", "keel-search-worker"} <= hpas


def test_an_embedded_index_without_a_shared_pod_is_refused(chart):
    with pytest.raises(helm_python.HelmRenderError, match=r"SEARCH_ENGINE=embedded"):
        chart.render_values({"services": {"search": {"colocate": {"enabled": False}}}})


@pytest.mark.parametrize(
    ("profile_name", "environment", "scheme"),
    [("production", "production", "rediss"), ("staging", "staging", "redis")],
)
def test_every_service_gets_redis_and_auth_its_secrets(chart, profile_name, environment, scheme):
    objects = chart.render(profile_name)
    values = chart.profile_values(profile_name)
    redis, prefix = values["secrets"]["redis"], values["secrets"]["externalSecrets"]["keyPrefix"]
    for service in SERVICES:
        # ENVIRONMENT=production is what makes auth refuse to start without them.
        assert named(objects, "ConfigMap", f"keel-{service}")["data"]["ENVIRONMENT"] == environment
        spec = named(objects, "ExternalSecret", f"keel-{service}")["spec"]
        # auth's own secrets are named, so a missing one fails the sync, not auth's start.
        required = [
            {"secretKey": key, "remoteRef": {"key": f"{prefix}/auth", "property": key}}
            for key in ("JWT_KEY_PASSPHRASE", "MFA_ENCRYPTION_KEY")
            if service == "auth"
        ]
        template = spec["target"]["template"]
        assert template["mergePolicy"] == "Merge"
        url = template["data"]["REDIS_URL"]
        assert url.endswith(f"@{redis['host']}:6379/0")
        if redis.get("perServiceUsers"):
            # production: the service's own ACL user, limited to its key prefixes.
            assert url.startswith(f"{scheme}://{{{{ .REDIS_USERNAME | urlquery }}}}:")
            own = f"{prefix}/redis-{service}"
            assert spec["data"] == [
                *required,
                {"secretKey": "REDIS_USERNAME", "remoteRef": {"key": own, "property": "username"}},
                {"secretKey": "REDIS_PASSWORD", "remoteRef": {"key": own, "property": "password"}},
            ]
        else:
            assert url.startswith(f"{scheme}://:{{{{ .REDIS_PASSWORD")
            assert spec["data"] == [
                *required,
                {"secretKey": "REDIS_PASSWORD", "remoteRef": {"key": f"{prefix}/redis-auth"}},
            ]
        # JWT_KEY_PASSPHRASE and the rest: the service's own Secrets Manager secret; its
        # Consul ACL token (CONSUL_HTTP_TOKEN) from its own as well.
        assert spec["dataFrom"] == [
            {"extract": {"key": f"{prefix}/{service}"}},
            {"extract": {"key": f"{prefix}/consul-{service}"}},
        ]


def test_redis_from_secrets_needs_external_secrets(chart):
    values = {"secrets": {"redis": {"enabled": True, "host": "redis.example", "port": 6379}}}
    values["secrets"]["redis"] |= {"tls": True, "authFrom": "redis-auth"}
    with pytest.raises(helm_python.HelmRenderError, match=r"needs secrets\.externalSecrets"):
        chart.render_values(values)


@pytest.mark.parametrize("profile_name", ["default", "staging", "production"])
def test_auth_reads_its_oidc_settings_from_the_config_and_its_oidc_secrets_from_the_secret(
    chart, profile_name
):
    """The providers and callback URL are plain config auth parses; the client secrets and
    Apple's key are keys of <keyPrefix>/auth, never config (the schema refuses them)."""
    from keel_auth.adapters.oidc_config import provider_configs

    objects = chart.render(profile_name)
    config = named(objects, "ConfigMap", "keel-auth")["data"]
    settings = AuthSettings(
        oidc_providers=config["OIDC_PROVIDERS"],
        oidc_callback_base_url=config["OIDC_CALLBACK_BASE_URL"],
    )
    assert provider_configs(settings) == {}
    assert settings.oidc_callback_base_url.startswith("https://")
    assert not {"OIDC_CLIENT_SECRETS", "OIDC_APPLE_PRIVATE_KEY"} & set(config)
