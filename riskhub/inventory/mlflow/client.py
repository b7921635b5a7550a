"""A small client for MLflow's REST API (2.0 endpoints), on the standard library.

RiskHub does not depend on the mlflow package at run time. Every call has a time-out;
listings follow `next_page_token` to the end; every failure becomes `MlflowError` whose
message says what went wrong in words a person can act on.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

DEFAULT_TIMEOUT = 30.0
PAGE_SIZE = 1000  # the registry's own maximum for registered-models/search
MAX_BODY = 50 * 1024 * 1024


class MlflowError(Exception):
    """A call to MLflow failed; the message is shown in the sync summary."""


class NotFound(MlflowError):
    """MLflow says the object does not exist (RESOURCE_DOES_NOT_EXIST)."""


class MlflowClient:
    def __init__(
        self,
        tracking_uri: str,
        *,
        token: str = "",
        timeout: float = DEFAULT_TIMEOUT,
        page_size: int = PAGE_SIZE,
    ) -> None:
        parts = urllib.parse.urlsplit(tracking_uri.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise MlflowError(
                f"The tracking URI “{tracking_uri}” is not an http(s) address of an MLflow server."
            )
        self.base = tracking_uri.strip().rstrip("/")
        self.token = token
        self.timeout = timeout
        self.page_size = page_size

    # --- transport -------------------------------------------------------------------------

    def _get(self, endpoint: str, params: dict[str, Any]) -> dict[str, Any]:
        query = urllib.parse.urlencode({k: v for k, v in params.items() if v not in (None, "")})
        url = f"{self.base}/api/2.0/mlflow/{endpoint}" + (f"?{query}" if query else "")
        request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                body = response.read(MAX_BODY + 1)
        except urllib.error.HTTPError as exc:
            raise self._http_error(exc, endpoint) from None
        except TimeoutError:
            raise MlflowError(
                f"MLflow at {self.base} did not answer {endpoint} within {self.timeout:g} seconds."
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise MlflowError(f"Could not reach MLflow at {self.base}: {reason}.") from None
        if len(body) > MAX_BODY:
            raise MlflowError(f"MLflow's answer to {endpoint} is larger than {MAX_BODY} bytes.")
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            raise MlflowError(
                f"{self.base} answered {endpoint} with something that is not JSON: is it an "
                "MLflow tracking server?"
            ) from None
        if not isinstance(data, dict):
            raise MlflowError(f"MLflow answered {endpoint} with an unexpected shape.")
        return data

    def _http_error(self, exc: urllib.error.HTTPError, endpoint: str) -> MlflowError:
        try:
            payload = json.loads(exc.read(65536) or b"{}")
        except ValueError:
            payload = {}
        code = payload.get("error_code", "") if isinstance(payload, dict) else ""
        message = payload.get("message", "") if isinstance(payload, dict) else ""
        if exc.code in (401, 403):
            return MlflowError(
                f"MLflow at {self.base} refused the credentials ({exc.code}): check the token "
                "named in the registry's settings."
            )
        if code == "RESOURCE_DOES_NOT_EXIST":
            return NotFound(message or f"{endpoint}: not found")
        if exc.code == 404:
            return MlflowError(
                f"{self.base} has no MLflow REST API at {endpoint} (404): check the tracking URI."
            )
        detail = f"{code}: {message}" if code or message else exc.reason
        return MlflowError(f"MLflow answered {endpoint} with {exc.code} ({detail}).")

    def _pages(self, endpoint: str, key: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        token = ""
        while True:
            page = self._get(
                endpoint, {**params, "max_results": self.page_size, "page_token": token}
            )
            items = page.get(key) or []
            if not isinstance(items, list):
                raise MlflowError(f"MLflow answered {endpoint} with an unexpected shape.")
            yield from (item for item in items if isinstance(item, dict))
            token = page.get("next_page_token") or ""
            if not token:
                return

    # --- the calls the sync makes ----------------------------------------------------------

    def registered_models(self) -> Iterator[dict[str, Any]]:
        return self._pages("registered-models/search", "registered_models", {})

    def model_versions(self) -> Iterator[dict[str, Any]]:
        return self._pages("model-versions/search", "model_versions", {})

    def run(self, run_id: str) -> dict[str, Any]:
        run = self._get("runs/get", {"run_id": run_id}).get("run")
        if not isinstance(run, dict):
            raise MlflowError(f"MLflow answered runs/get for {run_id} without a run.")
        return run


def tags(items: Any) -> dict[str, str]:
    """MLflow's [{key, value}] lists as a dict."""
    if not isinstance(items, list):
        return {}
    return {
        str(item.get("key")): str(item.get("value", ""))
        for item in items
        if isinstance(item, dict) and item.get("key")
    }
