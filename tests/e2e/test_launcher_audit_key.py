"""The embedded run's audit key: made once, kept private, never changed (the chain needs it),
and given to the subsidies service alone."""

import json
import stat

from deploy.launcher import Launcher
from deploy.secrets import AUDIT_KEY, load_or_create_secrets


class TestAuditKey:
    def test_made_on_first_start_private_and_kept(self, tmp_path):
        key = load_or_create_secrets(tmp_path)[AUDIT_KEY]
        path = tmp_path / "secrets.json"
        assert len(key) >= 32
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert load_or_create_secrets(tmp_path)[AUDIT_KEY] == key

    def test_other_secrets_in_the_file_are_kept(self, tmp_path):
        (tmp_path / "secrets.json").write_text(json.dumps({"EW_PII_KEY": "p" * 40}))
        key = load_or_create_secrets(tmp_path)[AUDIT_KEY]
        saved = json.loads((tmp_path / "secrets.json").read_text())
        assert saved["EW_PII_KEY"] == "p" * 40
        assert saved[AUDIT_KEY] == key

    def test_only_the_subsidies_service_gets_it(self, tmp_path, monkeypatch):
        monkeypatch.setenv("EW_DATA_DIR", str(tmp_path))
        monkeypatch.delenv(AUDIT_KEY, raising=False)
        launcher = Launcher()
        key = launcher.secrets[AUDIT_KEY]
        assert launcher.child_env("subsidies")[AUDIT_KEY] == key
        for other in ("jobs", "products", "gateway", "nats"):
            assert AUDIT_KEY not in launcher.child_env(other)
