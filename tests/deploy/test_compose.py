"""docker-compose.yml and the Dockerfile, checked without a Docker engine: the compose file against
the Compose specification's JSON schema (as vendored by check-jsonschema), then what PageSight
needs of it."""

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"


def validate(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec",
                           str(path)], capture_output=True, text=True, timeout=120)


def test_the_compose_file_follows_the_compose_specification():
    result = validate(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_validator_rejects_a_broken_compose_file(tmp_path):
    broken = yaml.safe_load(COMPOSE.read_text())
    broken["services"]["api"]["depends_on"]["qdrant"]["condition"] = "whenever"
    broken["services"]["qdrant"]["healthcheck"]["retries"] = "many"
    (tmp_path / "compose.yml").write_text(yaml.safe_dump(broken))
    assert validate(tmp_path / "compose.yml").returncode != 0


def test_the_services_fit_together():
    spec = yaml.safe_load(COMPOSE.read_text())
    qdrant, api, vllm = (spec["services"][name] for name in ("qdrant", "api", "vllm"))
    assert re.fullmatch(r"qdrant/qdrant:v\d+\.\d+\.\d+", qdrant["image"])  # pinned, never :latest
    assert "qdrant-storage:/qdrant/storage" in qdrant["volumes"] and "test" in qdrant["healthcheck"]
    assert api["depends_on"]["qdrant"]["condition"] == "service_healthy"
    assert api["environment"]["PAGESIGHT_QDRANT_URL"] == "http://qdrant:6333"
    assert {"pagesight-data:/data", "models:/models"} <= set(api["volumes"]) and "test" in api["healthcheck"]
    assert vllm["profiles"] == ["vllm"] and re.fullmatch(r"vllm/vllm-openai:v[\d.]+", vllm["image"])
    assert "PAGESIGHT_REMOTE_URL" in api["environment"]
    postgres = spec["services"]["postgres"]  # the conversations' database
    assert re.fullmatch(r"postgres:\d+\.\d+(-\w+)?", postgres["image"]) and "test" in postgres["healthcheck"]
    assert "postgres-data:/var/lib/postgresql/data" in postgres["volumes"]
    assert api["depends_on"]["postgres"]["condition"] == "service_healthy"
    database = api["environment"]["PAGESIGHT_DATABASE_URL"]
    assert re.fullmatch(r"postgresql://pagesight:\S+@postgres:5432/pagesight", database)
    assert set(spec["volumes"]) == {"qdrant-storage", "postgres-data", "pagesight-data", "models"}


def test_the_image_runs_as_a_user_with_a_healthcheck_and_a_model_volume():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^ARG VARIANT=cpu$", dockerfile, re.M) and "FROM base-${VARIANT}" in dockerfile
    user = re.findall(r"^USER (\S+)$", dockerfile, re.M)
    assert user and user[-1] not in ("root", "0")
    assert "HEALTHCHECK" in dockerfile and "/health" in dockerfile
    assert 'VOLUME ["/data", "/models"]' in dockerfile and "HF_HOME=/models" in dockerfile
    copied = set(re.findall(r"^COPY (\w+) \1$", dockerfile, re.M))
    assert copied == {"core", "ingest", "index", "retrieve", "generate", "api"}  # every package folder


CLUSTER = ROOT / "docker-compose.cluster.yml"


def merged(base: dict, override: dict) -> dict:
    """Compose's merge of an override file: mappings merge key by key, lists add up, the rest is replaced."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            out[key] = merged(base[key], value)
        elif isinstance(value, list) and isinstance(base.get(key), list) and key != "command":
            out[key] = base[key] + [v for v in value if v not in base[key]]
        else:
            out[key] = value
    return out


def test_the_cluster_file_and_the_merged_configuration_follow_the_compose_specification(tmp_path):
    assert validate(CLUSTER).returncode == 0, validate(CLUSTER).stdout
    spec = merged(yaml.safe_load(COMPOSE.read_text()), yaml.safe_load(CLUSTER.read_text()))
    (tmp_path / "merged.yml").write_text(yaml.safe_dump(spec))
    result = validate(tmp_path / "merged.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_cluster_is_three_qdrant_peers_and_pagesight_shards_and_replicates_over_them():
    from pagesight.core.settings import Settings

    spec = merged(yaml.safe_load(COMPOSE.read_text()), yaml.safe_load(CLUSTER.read_text()))
    services = spec["services"]
    peers = {name: s for name, s in services.items() if s.get("image", "").startswith("qdrant/qdrant:")}
    assert len(peers) == 3 and len({s["image"] for s in peers.values()}) == 1  # one pinned version
    first = peers["qdrant"]["command"]
    assert first[:2] == ["./qdrant", "--uri"] and first[2] == "http://qdrant:6335"
    for name, peer in peers.items():
        assert peer["environment"]["QDRANT__CLUSTER__ENABLED"] == "true"
        assert "6335" in peer["expose"] and not peer.get("ports")  # the peer port accepts writes: never published
        assert "QDRANT__SERVICE__API_KEY" in peer["environment"]
        if name != "qdrant":
            command = peer["command"]
            assert command[command.index("--bootstrap") + 1] == "http://qdrant:6335"
            assert command[command.index("--uri") + 1] == f"http://{name}:6335"
            assert peer["depends_on"]["qdrant"]["condition"] == "service_healthy"
    storages = [v.split(":")[0] for s in peers.values() for v in s["volumes"]]
    assert len(set(storages)) == 3 and set(storages) <= set(spec["volumes"])  # a volume each
    api = services["api"]
    assert {"qdrant", "qdrant-2", "qdrant-3"} <= set(api["depends_on"])
    settings = {f"PAGESIGHT_{name.upper()}" for name in Settings.model_fields}
    cluster = {k for k in api["environment"] if k.startswith("PAGESIGHT_QDRANT_")}
    assert cluster <= settings  # every variable names a real setting
    replication = re.fullmatch(r"\$\{PAGESIGHT_QDRANT_REPLICATION_FACTOR:-(\d+)\}",
                               api["environment"]["PAGESIGHT_QDRANT_REPLICATION_FACTOR"])
    assert replication and int(replication.group(1)) >= 2  # one node down loses nothing
