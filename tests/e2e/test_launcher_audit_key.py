"""The embedded run's audit key: made once, kept private, never changed (the chain needs it)."""

import json
import stat

from deploy.launcher import load_or_create_audit_key


class TestAuditKey:
    def test_made_on_first_start_private_and_kept(self, tmp_path):
        key = load_or_create_audit_key(tmp_path)
        path = tmp_path / "secrets.json"
        assert len(key) >= 32
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert load_or_create_audit_key(tmp_path) == key

    def test_other_secrets_in_the_file_are_kept(self, tmp_path):
        (tmp_path / "secrets.json").write_text(json.dumps({"EW_PII_KEY": "p" * 40}))
        key = load_or_create_audit_key(tmp_path)
        assert json.loads((tmp_path / "secrets.json").read_text()) == {
            "EW_PII_KEY": "p" * 40,
            "SUBSIDIES_AUDIT_KEY": key,
        }
