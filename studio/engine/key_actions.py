"""The engine's doors for a designer's API keys: make one (its text returned once), list them, revoke one, and who a
script's key says it is. Part of `Studio` (studio.py); the keys are kept hashed (services/keys.py)."""
from __future__ import annotations

from studio.core import limits
from studio.core.keys import ApiKey, key_shaped
from studio.engine import validation as checks
from studio.engine.validation import StudioError


class KeyActions:
    """Mixed into `Studio`, which provides `keys` (services.keys.ApiKeys) and `clock`."""

    def create_api_key(self, owner: str, label: str = "") -> tuple[str, ApiKey]:
        """A key a script sends to act as `owner`: (the key, its record). The key is returned here only."""
        owner = checks.owner(owner)
        label = checks.text("key_label", label, limits.MAX_KEY_LABEL_CHARS)
        made = self.keys.create(owner, label, self.clock(), limits.MAX_API_KEYS)
        if made is None:
            raise StudioError("key.too_many", limit=limits.MAX_API_KEYS)
        return made

    def list_api_keys(self, owner: str) -> list[ApiKey]:
        return self.keys.list(checks.owner(owner))

    def revoke_api_key(self, owner: str, key_id: str) -> ApiKey:
        owner, key_id = checks.owner(owner), checks.key_id(key_id)
        revoked = self.keys.revoke(owner, key_id, self.clock())
        if revoked is None:  # another owner's key looks just like a missing one
            raise StudioError("key.missing")
        return revoked

    def owner_for_key(self, key) -> str | None:
        """Who a script sending `key` is: the owner of a stored, unrevoked key; None for anything else."""
        return self.keys.owner_for(key, self.clock()) if key_shaped(key) else None
