"""Unlist / relist from the product page: core's ``/v1/admin/products/{id}/unlist|relist``.

No script, so the "are you sure?" is a page: the first POST shows what will happen, the
second (with ``confirmed=yes``) does it.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from keel_console.entrypoints.views_pages import call, signed_in

bp = Blueprint("listing", __name__, url_prefix="/admin")

#: The button's label and what the confirmation page says will happen.
ACTIONS = {
    "unlist": ("Unlist", "It leaves the public listing and search; the owner sees the reason."),
    "relist": ("Relist", "It returns to the public listing and search."),
}


@bp.post("/products/<uuid:product_id>/<any(unlist, relist):action>")
@signed_in
def act(product_id: uuid.UUID, action: str) -> Response | str:
    reason = request.form.get("reason", "").strip()
    if request.form.get("confirmed") != "yes":
        found = call("GET", "/v1/admin/products", params={"id": str(product_id)})["items"]
        return render_template(
            "product_confirm.html", product=found[0] if found else {"id": product_id},
            action=action, label=ACTIONS[action], reason=reason,
        )  # fmt: skip
    call("POST", f"/v1/admin/products/{product_id}/{action}", json={"reason": reason})
    return redirect(url_for("pages.product", product_id=product_id, saved=1))
