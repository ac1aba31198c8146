"""Issue 20: deploy/ holds the files the README's deployment guide shows, and they are what the local
cluster (deploy/local-cluster.sh, run by tests/browser/test_cluster_browser.py) uses as they are."""

import subprocess

from tests.browser.test_nginx_headers import readme_block
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"


def test_the_readmes_nginx_block_is_deploy_nginx_conf():
    assert readme_block() == (DEPLOY / "nginx.conf").read_text()


def test_the_units_restart_their_process_and_run_the_desks_own_commands():
    app = (DEPLOY / "mesa-app@.service").read_text()
    worker = (DEPLOY / "mesa-worker@.service").read_text()
    for unit in (app, worker):
        assert "Restart=always" in unit and "EnvironmentFile=/etc/mesa/mesa.env" in unit
    assert "ExecStart=/opt/mesa/.venv/bin/streamlit run server.py --server.port %i" in app
    assert "ExecStart=/opt/mesa/.venv/bin/python cli.py worker" in worker
    # The app ports the units are started on are nginx's upstream.
    upstream = (DEPLOY / "nginx.conf").read_text().split("\n", 1)[0]
    assert upstream.count("server 127.0.0.1:") == 3


def test_the_cluster_script_is_valid_bash_and_refuses_an_unknown_action():
    subprocess.run(["bash", "-n", str(DEPLOY / "local-cluster.sh")], check=True)
    wrong = subprocess.run(["bash", str(DEPLOY / "local-cluster.sh"), "sideways"], capture_output=True, text=True)
    assert wrong.returncode == 2 and "Uso:" in wrong.stderr
