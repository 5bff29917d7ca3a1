"""Deployment files: what can be checked without a Docker engine or a running nginx.

They are read as data (YAML, a small nginx parser) and checked against the code they
point at, so a renamed module or a dropped header fails here rather than in production.
"""

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass

import pytest
import yaml

from tunewave.tests import BASE_DIR, settings_variables

NGINX_CONF = BASE_DIR / "deploy" / "nginx.conf"
ASGI_TARGET = "tunewave.asgi:application"
# Daphne with a graceful SIGTERM (tunewave/serve.py): Daphne's own arguments follow.
SERVE = ["python", "-m", "tunewave.serve"]
# Variables that put the query string (and so ?token=…) into a log line.
QUERY_BEARING = ("$request_uri", "$args", "$query_string", "$arg_", "$is_args")


# --- a small nginx config reader --------------------------------------------------------


@dataclass
class Directive:
    name: str
    args: list[str]
    block: list["Directive"] | None = None

    def all(self, name: str) -> list["Directive"]:
        return [child for child in self.block or [] if child.name == name]


_TOKEN = re.compile(r"""\s+|#[^\n]*|'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[{};]|[^\s{};'"#]+""")


def parse_nginx(text: str) -> Directive:
    """Parses nginx syntax into a tree; raises ValueError on unbalanced braces."""
    root_block: list[Directive] = []
    root = Directive("main", [], root_block)
    stack = [root_block]  # the blocks being filled, innermost last
    words: list[str] = []
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token.isspace() or token.startswith("#"):
            continue
        if token == ";":
            stack[-1].append(Directive(words[0], words[1:]))
            words = []
        elif token == "{":
            block: list[Directive] = []
            stack[-1].append(Directive(words[0], words[1:], block))
            stack.append(block)
            words = []
        elif token == "}":
            if len(stack) == 1 or words:
                raise ValueError("unbalanced '}' or a directive without ';'")
            stack.pop()
        else:
            words.append(token.strip("'\"") if token[0] in "'\"" else token)
    if len(stack) != 1 or words:
        raise ValueError("unclosed '{' or a directive without ';'")
    return root


@pytest.fixture(scope="module")
def nginx():
    return parse_nginx(NGINX_CONF.read_text())


def https_server(nginx: Directive) -> Directive:
    http = nginx.all("http")[0]
    return next(s for s in http.all("server") if any("443" in d.args[0] for d in s.all("listen")))


def location(server: Directive, path: str) -> Directive:
    return next(loc for loc in server.all("location") if loc.args[-1] == path)


def headers_set(block: Directive) -> dict[str, str]:
    return {d.args[0].lower(): " ".join(d.args[1:]) for d in block.all("proxy_set_header")}


def log_formats(nginx: Directive) -> dict[str, str]:
    http = nginx.all("http")[0]
    return {d.args[0]: " ".join(d.args[1:]) for d in http.all("log_format")}


# --- nginx ---------------------------------------------------------------------------------


def test_it_reads_the_nginx_config_with_balanced_braces(nginx):
    assert nginx.all("events")
    assert nginx.all("http")


def test_it_rejects_unbalanced_braces_when_reading_nginx_config():
    with pytest.raises(ValueError):
        parse_nginx("http { server { listen 80; }")
    with pytest.raises(ValueError):
        parse_nginx("http { } }")


def test_it_balances_two_or_more_daphne_processes(nginx):
    upstream = nginx.all("http")[0].all("upstream")[0]

    servers = [d.args[0] for d in upstream.all("server")]

    assert len(servers) >= 2
    assert "127.0.0.1:8001" in servers
    assert "127.0.0.1:8002" in servers


def test_it_upgrades_websockets_on_ws(nginx):
    ws = location(https_server(nginx), "/ws/")

    headers = headers_set(ws)

    assert ws.all("proxy_pass")
    assert headers["upgrade"] == "$http_upgrade"
    assert headers["connection"] in ("$connection_upgrade", "upgrade", '"upgrade"')
    assert [d.args for d in ws.all("proxy_http_version")] in ([], [["1.1"]])
    # A location with its own proxy_set_header inherits none from the server: check the forwarding ones too.
    assert "x-forwarded-for" in headers
    assert "x-forwarded-proto" in headers


def test_it_never_logs_query_strings_on_ws(nginx):
    ws = location(https_server(nginx), "/ws/")
    formats = log_formats(nginx)

    [access_log] = ws.all("access_log")
    format_name = access_log.args[1]

    assert format_name in formats, "the /ws/ access log must name a log_format without the query string"
    used = formats[format_name]
    assert "$uri" in used
    assert not re.search(r"\$request(?![_a-z])", used), "$request is the whole request line, query included"
    assert not any(variable in used for variable in QUERY_BEARING)


def test_it_never_logs_oauth_codes_on_callbacks(nginx):
    server = https_server(nginx)
    callbacks = [loc for loc in server.all("location") if "callback" in loc.args[-1]]
    formats = log_formats(nginx)

    assert callbacks
    for loc in callbacks:
        [access_log] = loc.all("access_log")
        assert not any(variable in formats[access_log.args[1]] for variable in QUERY_BEARING)


def test_it_keeps_request_lines_of_credential_paths_out_of_the_error_log(nginx):
    """nginx's error log prints the whole request line (query included) and takes no format: on
    /ws/ and the OAuth callbacks only `crit` is logged, so an upstream failure under open sockets
    does not write their tickets there (deploy/tests/stack_suite.py greps the real logs)."""
    server = https_server(nginx)
    paths = [location(server, "/ws/"), *[loc for loc in server.all("location") if "callback" in loc.args[-1]]]

    for loc in paths:
        [error_log] = loc.all("error_log")
        assert error_log.args[-1] in ("crit", "alert", "emerg"), loc.args


def test_it_serves_static_and_media_from_disk_with_nosniff(nginx):
    server = https_server(nginx)

    for path in ("/static/", "/media/"):
        loc = location(server, path)
        assert loc.all("alias") or loc.all("root"), path
        assert not loc.all("proxy_pass"), path
        assert ["X-Content-Type-Options", "nosniff", "always"] in [d.args for d in loc.all("add_header")], path


def test_it_accepts_avatar_sized_bodies_and_forwards_client_details(nginx):
    server = https_server(nginx)

    assert [d.args for d in server.all("client_max_body_size")] == [["6m"]]
    headers = headers_set(server)
    assert headers["x-forwarded-for"] == "$proxy_add_x_forwarded_for"
    assert headers["x-forwarded-proto"] == "$scheme"
    assert headers["host"] == "$http_host"  # with its port, for absolute URLs on a non-standard port


def proxied_locations(nginx: Directive) -> list[tuple[Directive, Directive]]:
    http = nginx.all("http")[0]
    return [(server, loc) for server in http.all("server") for loc in server.all("location") if loc.all("proxy_pass")]


def test_it_sends_its_request_id_to_daphne_on_every_proxied_location(nginx):
    """nginx's rule: a location that sets any proxy_set_header inherits none from its server, so
    each proxied location is checked with the headers that really apply to it."""
    proxied = proxied_locations(nginx)

    assert len(proxied) >= 4  # /healthz on :80, the upload, the sockets, the callbacks, the rest
    for server, loc in proxied:
        headers = headers_set(loc) or headers_set(server) or headers_set(nginx.all("http")[0])
        assert headers.get("x-request-id") == "$request_id", loc.args


def test_it_logs_the_request_id_in_both_formats_and_still_no_query_string(nginx):
    formats = log_formats(nginx)

    assert set(formats) >= {"tunewave", "tunewave_noquery"}
    for name, used in formats.items():
        assert "$request_id" in used, name
    noquery = formats["tunewave_noquery"]
    assert not re.search(r"\$request(?![_a-z])", noquery), "$request is the whole request line, query included"
    assert not any(variable in noquery for variable in QUERY_BEARING)


def test_it_passes_nginx_own_syntax_check(tmp_path):
    nginx_bin = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )
    if nginx_bin is None:
        pytest.skip("nginx is not installed here")
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a throwaway certificate")
    tls = tmp_path / "tls"
    tls.mkdir()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"]
        + ["-keyout", str(tls / "privkey.pem"), "-out", str(tls / "fullchain.pem")],
        check=True,
        capture_output=True,
    )
    # Certificates, logs and buffers go to tmp_path so the check runs unprivileged.
    conf = NGINX_CONF.read_text().replace("/etc/nginx/tls/", f"{tls}/").replace("/var/log/nginx/", f"{tmp_path}/")
    temp_paths = " ".join(
        f"{kind}_temp_path {tmp_path}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = conf.replace("http {", f"http {{\n    {temp_paths}", 1)
    if not os.path.exists("/etc/nginx/mime.types"):
        conf = conf.replace("include /etc/nginx/mime.types;", "")
    (tmp_path / "nginx.conf").write_text(conf)

    result = subprocess.run(
        [nginx_bin, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")]
        + ["-g", f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;"],
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stderr


# --- Docker, Compose, Procfile, GitLab ---------------------------------------------------


def asgi_target_exists(target: str) -> bool:
    module, _, attribute = target.partition(":")
    source = BASE_DIR / (module.replace(".", "/") + ".py")
    return source.exists() and re.search(rf"^{attribute}\s*=", source.read_text(), re.M) is not None


def test_it_points_every_process_at_the_real_asgi_application():
    assert asgi_target_exists(ASGI_TARGET)
    assert (BASE_DIR / "tunewave" / "celery.py").exists()  # `celery -A tunewave` loads it


def test_it_builds_the_image_from_existing_files():
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    instructions = [line.split(None, 1) for line in dockerfile.splitlines() if line and not line.startswith("#")]
    by_name: dict[str, list[str]] = {}
    for name, *rest in instructions:
        by_name.setdefault(name.upper(), []).append(rest[0] if rest else "")

    assert by_name["FROM"] == ["node:20-slim AS spa", "python:3.11-slim"]
    copied = [args.split()[0] for args in by_name["COPY"]]
    assert "requirements.txt" in copied
    # The SPA stage builds from the lockfile and hands only its output to the final image.
    assert "frontend/package-lock.json" in by_name["COPY"][0]
    assert (BASE_DIR / "frontend" / "package-lock.json").exists()
    assert any("npm --prefix frontend run build" in run for run in by_name["RUN"])
    assert "--from=spa /build/static/app/ static/app/" in by_name["COPY"]
    assert (BASE_DIR / "requirements.txt").exists()
    assert any("pip install -r requirements.txt" in run for run in by_name["RUN"])
    assert any("collectstatic" in run for run in by_name["RUN"])
    [cmd] = by_name["CMD"]
    command = json.loads(cmd)
    assert command[:3] == SERVE
    assert command[-1] == ASGI_TARGET


def test_it_keeps_local_state_out_of_the_image():
    ignored = (BASE_DIR / ".dockerignore").read_text().split()

    for path in (".venv", ".env", ".git", "db.sqlite3", "media", "node_modules"):
        assert path in ignored


def test_it_declares_web_worker_and_beat_in_the_procfile():
    lines = (BASE_DIR / "Procfile").read_text().splitlines()
    processes = dict(line.split(":", 1) for line in lines if line.strip())

    assert {"web", "worker", "beat"} <= set(processes)
    assert processes["web"].split()[:3] == SERVE
    assert ASGI_TARGET in processes["web"]
    assert processes["worker"].split()[:4] == ["celery", "-A", "tunewave", "worker"]
    assert processes["beat"].split()[:4] == ["celery", "-A", "tunewave", "beat"]


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


def test_it_composes_every_service(compose):
    services = compose["services"]
    webs = [name for name in services if name.startswith("web")]

    assert {"postgres", "redis", "rabbitmq", "nginx", "worker", "beat"} <= set(services)
    assert len(webs) >= 2 or services.get("web", {}).get("deploy", {}).get("replicas", 1) >= 2


def test_it_runs_compose_in_services_mode_with_production_settings(compose):
    for name in ("worker", "beat", *[n for n in compose["services"] if n.startswith("web")]):
        environment = compose["services"][name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://"), name
        assert environment["REDIS_URL"].startswith("redis://"), name
        assert environment["CELERY_BROKER_URL"].startswith("amqp://"), name
        assert environment["DEBUG"] == "0", name
        assert environment["TRUSTED_PROXY_COUNT"] == "1", name


def test_it_starts_compose_web_processes_on_the_nginx_upstream(compose, nginx):
    upstream = nginx.all("http")[0].all("upstream")[0]
    servers = {d.args[0] for d in upstream.all("server")}
    webs = {name: service for name, service in compose["services"].items() if name.startswith("web")}

    bound = set()
    for service in webs.values():
        command = service["command"]
        assert command[:3] == SERVE
        assert command[-1] == ASGI_TARGET
        bound.add(f"{command[command.index('-b') + 1]}:{command[command.index('-p') + 1]}")

    assert bound == servers


def test_it_shares_one_metrics_directory_and_pid_namespace_between_the_processes_it_scrapes(compose):
    """prometheus_client's multiprocess mode (README "Metrics"): the Daphne processes and the
    worker write their files into one directory; their pids name the files and tell a dead
    process from a live one, so they must share a pid namespace too."""
    services = compose["services"]
    counted = [name for name in services if name.startswith("web")] + ["worker"]

    mounts, namespaces = set(), set()
    for name in counted:
        directory = services[name]["environment"]["PROMETHEUS_MULTIPROC_DIR"]
        [volume] = [v.split(":")[0] for v in services[name]["volumes"] if v.split(":")[1] == directory]
        mounts.add(volume)
        namespaces.add(services[name]["pid"])

    assert len(mounts) == 1 and next(iter(mounts)) in compose["volumes"]
    [namespace] = namespaces
    assert namespace.startswith("service:") and namespace.removeprefix("service:") in services
    for name in counted:
        assert services[name]["environment"]["METRICS_TOKEN"] == "${METRICS_TOKEN:-}", name


def test_it_mounts_the_nginx_config_from_this_repository(compose):
    volumes = compose["services"]["nginx"]["volumes"]
    mounted = [v.split(":")[0] for v in volumes if v.startswith("./")]

    assert "./deploy/nginx.conf" in mounted
    for path in mounted:
        assert (BASE_DIR / path).exists() or path == "./deploy/tls", path


def test_it_runs_the_same_ci_on_gitlab():
    pipeline = yaml.safe_load((BASE_DIR / ".gitlab-ci.yml").read_text())
    [job] = [job for name, job in pipeline.items() if isinstance(job, dict) and "script" in job]

    assert any(".ci/run" in line for line in job["script"])
    images = {service["name"].split(":")[0] for service in job["services"]}
    assert {"postgres", "redis", "rabbitmq"} <= images


def test_it_starts_missing_services_in_ci_with_the_documented_commands():
    ci = BASE_DIR / ".ci" / "run"
    script = ci.read_text()

    assert os.access(ci, os.X_OK)
    assert script.startswith("#!/usr/bin/env bash")
    assert "set -euo pipefail" in script
    assert "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start" in script
    assert 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no' in script
    assert "rabbitmq-server -detached" in script


def test_it_keeps_daphne_from_printing_oauth_codes_in_deployment(compose):
    # Daphne writes its access log straight to stdout, past the logging redaction filter.
    commands = [
        json.loads((BASE_DIR / "Dockerfile").read_text().split("\nCMD ", 1)[1].splitlines()[0]),
        *[service["command"] for name, service in compose["services"].items() if name.startswith("web")],
        next(line for line in (BASE_DIR / "Procfile").read_text().splitlines() if line.startswith("web:")).split(),
    ]

    for command in commands:
        assert "--access-log" in command, command
        assert command[command.index("--access-log") + 1] == "/dev/null", command


# --- configuration is documented ------------------------------------------------------------


def test_it_lists_every_setting_in_env_example():
    example = (BASE_DIR / ".env.example").read_text()

    missing = [name for name in settings_variables() if not re.search(rf"^#?{name}=", example, re.M)]

    assert missing == []


def test_it_documents_every_setting_in_the_readme():
    readme = (BASE_DIR / "README.md").read_text()

    missing = [name for name in settings_variables() if f"`{name}`" not in readme]

    assert missing == []
