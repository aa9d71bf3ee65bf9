"""The back office's audit runs, in the tokens table (models.AuditRunModel): one run at a time per merchant."""
from __future__ import annotations

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError

from chalicelib.adapters.dynamo import is_condition_failure, translate_all
from chalicelib.adapters.models import AuditRunModel

KEPT_SECONDS = 7 * 24 * 3600  # a finished run stays readable for a week (the table's TTL removes it then)


def _run_key(merchant_id: str, run_id: str) -> str:
    return f"audit_run#{merchant_id}#{run_id}"


def _lock_key(merchant_id: str) -> str:
    return f"audit_run_lock#{merchant_id}"


def _save(run: dict) -> None:
    AuditRunModel(token_hash=_run_key(run["merchant_id"], run["id"]), kind="audit_run",
                  merchant_id=run["merchant_id"], run_id=run["id"], run=run,
                  expires_at_epoch=int(run["running_until_epoch"]) + KEPT_SECONDS).save()


@translate_all
class AuditRunRepository:
    @staticmethod
    def start(run: dict, now_epoch: int) -> dict:
        """The run is stored first (nobody knows its id yet), then the merchant's lock is claimed unless a live run
        holds it; when one does, the new record is deleted and the running one answered."""
        merchant_id = run["merchant_id"]
        _save(run)
        lock = AuditRunModel(token_hash=_lock_key(merchant_id), kind="audit_run_lock", merchant_id=merchant_id,
                             run_id=run["id"], running_until_epoch=run["running_until_epoch"],
                             expires_at_epoch=run["running_until_epoch"])
        for _ in range(3):
            try:
                lock.save(condition=AuditRunModel.token_hash.does_not_exist()
                          | (AuditRunModel.running_until_epoch < now_epoch))
                return run
            except PutError as exc:
                if not is_condition_failure(exc):
                    AuditRunModel(token_hash=_run_key(merchant_id, run["id"])).delete()
                    raise
            holder = AuditRunRepository._holder(merchant_id)
            if holder is not None:
                AuditRunModel(token_hash=_run_key(merchant_id, run["id"])).delete()
                return holder
        AuditRunModel(token_hash=_run_key(merchant_id, run["id"])).delete()
        raise RuntimeError("the merchant's audit-run lock kept changing")  # never seen: 3 finished runs meanwhile

    @staticmethod
    def _holder(merchant_id: str) -> dict | None:
        """The run holding the merchant's lock, while it still RUNS. None when the lock went meanwhile, or was left
        by a run that finished (its release failed): then it is released here."""
        try:
            lock = AuditRunModel.get(_lock_key(merchant_id), consistent_read=True)
        except DoesNotExist:
            return None
        run = AuditRunRepository.get(merchant_id, lock.run_id)
        if run is not None and run.get("status") == "RUNNING":
            return run
        _release(merchant_id, lock.run_id)
        return None

    @staticmethod
    def get(merchant_id: str, run_id: str) -> dict | None:
        try:
            return AuditRunModel.get(_run_key(merchant_id, run_id), consistent_read=True).run
        except DoesNotExist:
            return None

    @staticmethod
    def finish(run: dict) -> None:
        _save(run)
        _release(run["merchant_id"], run["id"])


def _release(merchant_id: str, run_id: str) -> None:
    try:
        AuditRunModel(token_hash=_lock_key(merchant_id)).delete(condition=AuditRunModel.run_id == run_id)
    except DeleteError as exc:
        if not is_condition_failure(exc):
            raise
