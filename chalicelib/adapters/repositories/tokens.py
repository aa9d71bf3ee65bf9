"""Bearer tokens (user, login, device), stored by their hash."""
from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from chalicelib.adapters.dynamo import translate_all
from chalicelib.adapters.models import TokenModel
from chalicelib.adapters.repositories._common import attrs


@translate_all
class TokenRepository:
    @staticmethod
    def put(token_hash: str, **fields) -> None:
        TokenModel(token_hash=token_hash, **fields).save()

    @staticmethod
    def delete(token_hash: str) -> None:
        TokenModel(token_hash=token_hash).delete()

    @staticmethod
    def get(token_hash: str) -> dict | None:
        try:
            return attrs(TokenModel.get(token_hash))
        except DoesNotExist:
            return None
