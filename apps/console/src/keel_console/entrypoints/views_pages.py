"""The console's pages: each one calls the admin APIs of the service that owns the data."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from keel_console.adapters.api import ApiError
from keel_console.adapters.session import ConsoleSession
from keel_console.entrypoints.flask_app import services

bp = Blueprint("pages", __name__, url_prefix="/admin")
F = TypeVar("F", bound=Callable[..., Any])
PRODUCT_FIELDS = ("title", "description", "price_cents", "currency", "category", "stock")


def signed_in(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.session is None:
            return redirect(url_for("auth.login_form"))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def call(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    session: ConsoleSession = g.session
    return services()[2].call(session, method, path, **kwargs)


def _params(*names: str) -> dict[str, str]:
    return {n: v for n in names if (v := request.args.get(n, "").strip())}


@bp.get("/")
@signed_in
def dashboard() -> str:
    from keel_console.entrypoints import views_messages, views_users  # they import this module

    today = call("GET", "/v1/admin/orders/today")
    index = call("GET", "/v1/admin/search/index")
    return render_template(
        "dashboard.html", today=today, index=index, dead_letters=dead_letter_counts(),
        signups=views_users.signup_stats(), failed=views_messages.failed_deliveries(),
    )  # fmt: skip


DEAD_LETTER_APIS = {
    "notification": "/v1/admin/notification/dead-letters",
    "search": "/v1/admin/search/dead-letters",
}


def dead_letter_counts() -> dict[str, list[dict[str, Any]] | str] | None:
    """Each service's queues with their dead-letter counts, or why a service's are missing;
    ``None`` for a caller the dead-letter APIs refuse (neither staff nor admin)."""
    found: dict[str, list[dict[str, Any]] | str] = {}
    for service, path in DEAD_LETTER_APIS.items():
        try:
            found[service] = call("GET", path)["queues"]
        except ApiError as exc:
            if exc.status == 403:
                return None
            found[service] = f"unavailable ({exc.status})"
    return found


@bp.get("/products")
@signed_in
def products() -> str:
    query = _params("id", "owner_id", "title", "cursor")
    page = call("GET", "/v1/admin/products", params=query) if query else None
    return render_template("products.html", page=page, query=query)


@bp.get("/products/<uuid:product_id>")
@signed_in
def product(product_id: str) -> str:
    found = call("GET", "/v1/admin/products", params={"id": str(product_id)})["items"]
    if not found:
        raise ApiError(404, {"detail": "No such product."})
    return render_template("product.html", product=found[0], fields=PRODUCT_FIELDS)


@bp.post("/products/<uuid:product_id>")
@signed_in
def edit_product(product_id: str) -> Response:
    changes: dict[str, Any] = {}
    for name in PRODUCT_FIELDS:
        value = request.form.get(name)
        if value is None or value == request.form.get(f"was_{name}"):
            continue
        changes[name] = (
            int(value) if name in ("price_cents", "stock") and value.isdigit() else value
        )
    body = {"changes": changes, "reason": request.form.get("reason", "")}
    call("PATCH", f"/v1/admin/products/{product_id}", json=body)
    return redirect(url_for(".product", product_id=product_id, saved=1))


@bp.get("/orders")
@signed_in
def orders() -> str:
    query = _params("id", "buyer_id", "cursor")
    page = call("GET", "/v1/admin/orders", params=query)
    return render_template("orders.html", page=page, query=query)


@bp.get("/orders/<uuid:order_id>")
@signed_in
def order(order_id: str) -> str:
    return render_template("order.html", record=call("GET", f"/v1/admin/orders/{order_id}"))


@bp.post("/orders/<uuid:order_id>/cancel")
@signed_in
def cancel_order(order_id: str) -> Response:
    body = {"reason": request.form.get("reason", "")}
    call("POST", f"/v1/admin/orders/{order_id}/cancel", json=body)
    return redirect(url_for(".order", order_id=order_id))


@bp.get("/app-versions")
@signed_in
def app_versions() -> str:
    found = call("GET", "/v1/admin/app-versions")
    return render_template("app_versions.html", thresholds=found["items"])


@bp.post("/app-versions/<any(ios, android):platform>")
@signed_in
def set_app_version(platform: str) -> Response:
    body = {
        n: request.form.get(n, "") for n in ("min_supported_version", "latest_version", "reason")
    }
    call("PUT", f"/v1/admin/app-versions/{platform}", json=body)
    return redirect(url_for(".app_versions", saved=platform))


@bp.get("/search")
@signed_in
def search() -> str:
    return render_template("search.html", index=call("GET", "/v1/admin/search/index"))


@bp.post("/search/rebuilds")
@signed_in
def start_rebuild() -> Response:
    try:
        job = call("POST", "/v1/admin/search/rebuilds")
    except ApiError as exc:
        running = exc.problem.get("running_job_id") if exc.status == 409 else None
        if not running:
            raise
        return redirect(url_for(".rebuild", job_id=running))
    return redirect(url_for(".rebuild", job_id=job["id"]))


@bp.get("/search/rebuilds/<uuid:job_id>")
@signed_in
def rebuild(job_id: str) -> str:
    return render_template("rebuild.html", job=call("GET", f"/v1/admin/search/rebuilds/{job_id}"))
