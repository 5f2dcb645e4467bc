"""The installable app's URLs, namespace "pwa", mounted at the site root."""

from __future__ import annotations

from django.urls import path

from reformer.web.pwa import push_views, views

app_name = "pwa"

urlpatterns = [
    path("sw.js", views.service_worker, name="service_worker"),
    path("manifest.webmanifest", views.manifest, name="default_manifest"),
    path("o/<slug:slug>/manifest.webmanifest", views.manifest, name="manifest"),
    path("o/<slug:slug>/icons/<int:size>.png", views.icon, name="icon"),
    path("o/<slug:slug>/icons/maskable-512.png", views.maskable_icon, name="maskable_icon"),
    path("o/<slug:slug>/launch/", views.launch, name="launch"),
    path("pwa/shell.json", views.shell, name="shell"),
    path("offline/", views.offline, name="offline"),
    path("me/devices/", push_views.devices, name="devices"),
    path("me/devices/subscribe/", push_views.subscribe, name="push_subscribe"),
    path("me/devices/<int:pk>/remove/", push_views.remove, name="push_remove"),
]
