"""Unknown query parameters are refused (422), so a typo (`studio_id` for `studio`) is
reported instead of silently returning everything."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from ninja.decorators import _apply_decorators as decorate_operation
from ninja.operation import Operation
from ninja.params.models import QueryModel
from ninja.utils import contribute_operation_callback

from reformer.web.api.problems import problem_response

F = TypeVar("F", bound=Callable[..., Any])


def _known_names(operation: Operation) -> set[str]:
    names: set[str] = set()
    for model in operation.models:
        if isinstance(model, type) and issubclass(model, QueryModel):
            for name, field in model.model_fields.items():
                names.add(field.alias or name)
    return names


def _guard(operation: Operation) -> None:
    known = _known_names(operation)

    def refuse_unknown(run: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(run)
        def guarded_run(request, **kwargs):
            # The raw query string: Django's QueryDict drops a parameter with an empty name.
            raw = parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True)
            unknown = sorted(({name for name, _ in raw} | set(request.GET)) - known)
            if unknown:
                listed = ", ".join(repr(name) for name in unknown[:5])
                allowed = ", ".join(sorted(known)) or "none"
                return problem_response(
                    422,
                    "validation",
                    f"Unknown query parameter {listed}. This endpoint takes: {allowed}.",
                    errors=[
                        {"field": name, "message": "unknown parameter"} for name in unknown[:5]
                    ],
                )
            return run(request, **kwargs)

        return guarded_run

    # Through ninja's own run-decorator hook, so the router's copies of the operation keep it.
    decorate_operation((refuse_unknown,), operation)


def strict(view: F) -> F:
    """Put under @router.get/post: the operation refuses query parameters it does not take."""
    contribute_operation_callback(view, _guard)
    return view
