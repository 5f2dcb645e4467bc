"""Setup: what is taught (class types) and what clients buy (package products)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from reformer.accounts.profile import MAX_PHOTO_BYTES, PHOTO_TOO_LARGE
from reformer.billing import products as product_actions
from reformer.core.errors import VALIDATION, DomainError
from reformer.core.permissions import MANAGE_BILLING, MANAGE_CLASS_TYPES
from reformer.scheduling import actions as scheduling
from reformer.web.auth import capability_required
from reformer.web.staff.common import actor_of, class_type_for, product_for, refused
from reformer.web.staff.forms import ClassTypeForm, ProductForm
from reformer.web.staff.setup_queries import class_types_of, products_of

# --------------------------------------------------------------------------- class types

CLASS_TYPES_TEMPLATE = "staff/setup/class_types.html"
CLASS_TYPE_TEMPLATE = "staff/setup/class_type.html"


@capability_required(MANAGE_CLASS_TYPES)
def class_types(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    form = ClassTypeForm(
        request.POST or None,
        initial={"duration_minutes": 50, "default_capacity": 10, "colour": "#3b6e8f"},
    )
    context = {"class_types": class_types_of(actor), "form": form}
    if request.method == "POST":
        if not form.is_valid():
            return render(request, CLASS_TYPES_TEMPLATE, context, status=422)
        try:
            class_type = scheduling.create_class_type(actor, **form.cleaned_data)
        except DomainError as error:
            return refused(request, error, CLASS_TYPES_TEMPLATE, context)
        messages.success(request, f"{class_type.name} added.")
        return redirect("staff:class_types")
    return render(request, CLASS_TYPES_TEMPLATE, context)


@capability_required(MANAGE_CLASS_TYPES)
def class_type(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    class_type = class_type_for(actor, pk)
    form = _class_type_form(class_type, request.POST or None)
    context = {"class_type": class_type, "form": form}
    if request.method == "POST":
        if not form.is_valid():
            return render(request, CLASS_TYPE_TEMPLATE, context, status=422)
        try:
            scheduling.update_class_type(actor, class_type, **form.cleaned_data)
        except DomainError as error:
            return refused(request, error, CLASS_TYPE_TEMPLATE, context)
        messages.success(request, "Class type saved.")
        return redirect("staff:class_types")
    return render(request, CLASS_TYPE_TEMPLATE, context)


# Requests this much over the photo limit are refused before their body is read.
_UPLOAD_SLACK_BYTES = 256 * 1024


@require_POST
@capability_required(MANAGE_CLASS_TYPES)
def class_type_photo(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload (or with remove=1, remove) the class type's photo, shown on clients' cards."""
    actor = actor_of(request)
    class_type = class_type_for(actor, pk)
    if request.POST.get("remove") == "1":
        scheduling.remove_class_type_photo(actor, class_type)
        messages.success(request, "Photo removed.")
        return redirect("staff:class_type", pk=class_type.pk)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:  # a malformed header: Django reads no body either
        length = 0
    upload = None if length > MAX_PHOTO_BYTES + _UPLOAD_SLACK_BYTES else request.FILES.get("photo")
    try:
        if length > MAX_PHOTO_BYTES + _UPLOAD_SLACK_BYTES:
            raise DomainError(VALIDATION, PHOTO_TOO_LARGE, field="photo")
        if upload is None:
            raise DomainError(VALIDATION, "Choose a JPEG or PNG image.", field="photo")
        scheduling.set_class_type_photo(actor, class_type, upload=upload)
    except DomainError as error:
        context = {"class_type": class_type, "form": _class_type_form(class_type)}
        return refused(request, error, CLASS_TYPE_TEMPLATE, context | {"photo_error": error})
    messages.success(request, "Photo saved.")
    return redirect("staff:class_type", pk=class_type.pk)


@require_POST
@capability_required(MANAGE_CLASS_TYPES)
def class_type_active(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    class_type = class_type_for(actor, pk)
    active = request.POST.get("active") == "1"
    scheduling.update_class_type(actor, class_type, active=active)
    messages.success(request, f"{class_type.name} {'restored' if active else 'archived'}.")
    return redirect("staff:class_types")


def _class_type_form(class_type, data=None) -> ClassTypeForm:
    initial = {
        "name": class_type.name,
        "duration_minutes": class_type.duration_minutes,
        "default_capacity": class_type.default_capacity,
        "colour": class_type.colour,
        "description": class_type.description,
        "what_to_bring": class_type.what_to_bring,
    }
    return ClassTypeForm(data, initial=initial)


# ------------------------------------------------------------------------------ products

PRODUCTS_TEMPLATE = "staff/setup/products.html"
PRODUCT_TEMPLATE = "staff/setup/product.html"


@capability_required(MANAGE_BILLING)
def products(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    form = ProductForm(
        request.POST or None,
        initial={"kind": "class_pack", "validity_days": 90, "currency": "USD"},
    )
    context = {"products": products_of(actor), "form": form}
    if request.method == "POST":
        if not form.is_valid():
            return render(request, PRODUCTS_TEMPLATE, context, status=422)
        try:
            product = product_actions.create_package_product(actor, **form.cleaned_data)
        except DomainError as error:
            return refused(request, error, PRODUCTS_TEMPLATE, context)
        messages.success(request, f"{product.name} added.")
        return redirect("staff:products")
    return render(request, PRODUCTS_TEMPLATE, context)


@capability_required(MANAGE_BILLING)
def product(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    product = product_for(actor, pk)
    initial = {
        name: getattr(product, name)
        for name in (
            "name",
            "kind",
            "credits",
            "validity_days",
            "price",
            "currency",
            "weekly_limit",
            "description",
        )
    }
    form = ProductForm(request.POST or None, initial=initial)
    context = {"product": product, "form": form}
    if request.method == "POST":
        if not form.is_valid():
            return render(request, PRODUCT_TEMPLATE, context, status=422)
        try:
            product_actions.update_package_product(actor, product, **form.cleaned_data)
        except DomainError as error:
            return refused(request, error, PRODUCT_TEMPLATE, context)
        messages.success(request, "Package saved.")
        return redirect("staff:products")
    return render(request, PRODUCT_TEMPLATE, context)


@require_POST
@capability_required(MANAGE_BILLING)
def product_active(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    product = product_for(actor, pk)
    active = request.POST.get("active") == "1"
    try:
        product_actions.set_package_product_active(actor, product, active=active)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, f"{product.name} {'is on sale again' if active else 'is withdrawn from sale'}."
        )
    return redirect("staff:products")
