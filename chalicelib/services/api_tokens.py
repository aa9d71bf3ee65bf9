"""API access tokens (DESIGN.md 3.3): named bearer tokens for integrations, READ or WRITE, optionally limited to
stores; shown once, stored as a hash, listed with their last use, revoked at once."""
from chalicelib import clock
from chalicelib.domain.roles import ADMIN_ROLES, require_role
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.services.common import Principal, new_id
from chalicelib.services.security import hash_token, new_token
from chalicelib.wiring import adapters

TOKEN_PREFIX = "pos_at_"  # recognisable in logs and by secret scanners
KIND = "api"
TOUCH_EVERY_SECONDS = 60  # last_used_at is written at most once a minute per token


def create(principal: Principal, name: str, access: str, store_ids: list[str] | None) -> dict:
    require_role(principal.role, ADMIN_ROLES, "manage API tokens")
    if store_ids:
        found = adapters().stores.get_many(principal.merchant_id, store_ids)
        missing = sorted(set(store_ids) - set(found))
        if missing:
            raise InvalidInput(field="store_ids", code="UNKNOWN_STORE", key="UNKNOWN_STORE.ids",
                               params={"ids": ", ".join(missing)})
    secret, _ = new_token()
    token = TOKEN_PREFIX + secret
    record = {"merchant_id": principal.merchant_id, "id": new_id(), "name": name, "access": access,
              "store_ids": sorted(set(store_ids)) if store_ids else None, "token_hash": hash_token(token),
              "created_at": clock.iso(), "created_by": principal.actor}
    adapters().integrations.create_api_token(record)
    return record | {"token": token}


def list_tokens(principal: Principal) -> list[dict]:
    require_role(principal.role, ADMIN_ROLES, "manage API tokens")
    return adapters().integrations.list_api_tokens(principal.merchant_id)


def revoke(principal: Principal, token_id: str) -> None:
    require_role(principal.role, ADMIN_ROLES, "manage API tokens")
    if not adapters().integrations.revoke_api_token(principal.merchant_id, token_id):
        raise NotFound(key="NOT_FOUND.api_token")


def principal_of(record: dict) -> Principal:
    """The Principal of a live API token's bearer record; records its use (at most once a minute)."""
    now = clock.now()
    last = record.get("last_used_at")
    if not last or (now - clock.parse(last)).total_seconds() >= TOUCH_EVERY_SECONDS:
        adapters().integrations.touch_api_token(record["merchant_id"], record["api_token_id"], record["token_hash"],
                                                clock.iso(now))
    store_ids = record.get("store_ids")
    return Principal(merchant_id=record["merchant_id"], employee_id=None, role=None,
                     store_ids=frozenset(store_ids) if store_ids else None, read_only=record.get("access") == "READ",
                     api_token_id=record["api_token_id"], name=record.get("name"))
