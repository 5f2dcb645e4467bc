from __future__ import annotations

from django.urls import path

from reformer.web.accounts import views

urlpatterns = [
    path("o/<slug:slug>/", views.organization_public, name="organization_public"),
    path("o/<slug:slug>/join/", views.organization_join, name="organization_join"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("start/", views.start, name="start"),
    path("organizations/new/", views.organization_create, name="organization_create"),
    path("organizations/switch/", views.switch_organization, name="switch_organization"),
]
